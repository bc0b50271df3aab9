"""Reference data seeded into the `reference` table: buying marketplaces, resale marketplaces, disclosures.

Served by GET /v2/marketplaces, GET /v2/marketplaces?type=resale and GET /v2/disclosures, and the same
for every tenant.

Where the ids come from:

* Ids documented by the legacy 1Ticket API keep their legacy value (buying 1, 55, 58, 359, 395; resale
  1, 2, 3, 4, 12, 15, 16, 25, 27, 29, 41, 52; disclosures 1 and 2), so existing integrations keep working.
* Every other id is assigned by TixPilot from 1001 upward, in each list separately. The legacy id
  space is below 1000 and only partly documented; starting at 1001 means a legacy id learned later can
  still be added under its real value without clashing with one of ours.

Ids are stable forever: brokers store them in their own systems (purchases, listings, sales queries).
Never renumber or reuse an id, not even after removing an entry; add new entries with the next free id
of the TixPilot range. Names and labels may be corrected; ids may not.

Plain data only: `validate()` at the bottom is the self-check run by the tests and before seeding.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------------------
# Buying marketplaces: primary sites where brokers hold purchasing accounts.
# "OSS" = Online Season Seats: a team's Ticketmaster Account Manager site (am.ticketmaster.com/<team>/).
# --------------------------------------------------------------------------------------------------

BUYING_MARKETPLACES: tuple[dict[str, object], ...] = (
    # Legacy 1Ticket ids.
    {"id": 1, "name": "Ticketmaster", "url": "https://www.ticketmaster.com/", "password_required": True},
    {
        "id": 55,
        "name": "OSSHouston Texans",
        "url": "https://am.ticketmaster.com/texans/",
        "password_required": True,
    },
    {"id": 58, "name": "Metrotix", "url": "", "password_required": False},
    {
        "id": 359,
        "name": "OSSBroadway Across America - Baltimore",
        "url": "https://am.ticketmaster.com/baabal/",
        "password_required": True,
    },
    {"id": 395, "name": "Mesa Arts Center", "url": "", "password_required": False},
    # TixPilot ids: ticketing platforms.
    {
        "id": 1001,
        "name": "Ticketmaster Canada",
        "url": "https://www.ticketmaster.ca/",
        "password_required": True,
    },
    {
        "id": 1002,
        "name": "Ticketmaster UK",
        "url": "https://www.ticketmaster.co.uk/",
        "password_required": True,
    },
    {
        "id": 1003,
        "name": "Ticketmaster Mexico",
        "url": "https://www.ticketmaster.com.mx/",
        "password_required": True,
    },
    {
        "id": 1004,
        "name": "Ticketmaster Australia",
        "url": "https://www.ticketmaster.com.au/",
        "password_required": True,
    },
    {"id": 1005, "name": "Live Nation", "url": "https://www.livenation.com/", "password_required": True},
    {"id": 1006, "name": "Ticketweb", "url": "https://www.ticketweb.com/", "password_required": True},
    {"id": 1007, "name": "Universe", "url": "https://www.universe.com/", "password_required": True},
    {"id": 1008, "name": "AXS", "url": "https://www.axs.com/", "password_required": True},
    {"id": 1009, "name": "Telecharge", "url": "https://www.telecharge.com/", "password_required": True},
    {
        "id": 1010,
        "name": "Broadway Inbound",
        "url": "https://www.broadwayinbound.com/",
        "password_required": True,
    },
    {"id": 1011, "name": "TodayTix", "url": "https://www.todaytix.com/", "password_required": True},
    {"id": 1012, "name": "SeatGeek", "url": "https://seatgeek.com/", "password_required": True},
    {"id": 1013, "name": "Etix", "url": "https://www.etix.com/", "password_required": True},
    {"id": 1014, "name": "Eventbrite", "url": "https://www.eventbrite.com/", "password_required": True},
    {"id": 1015, "name": "Tixr", "url": "https://www.tixr.com/", "password_required": True},
    {"id": 1016, "name": "See Tickets", "url": "https://www.seetickets.us/", "password_required": True},
    # DICE signs in with a one-time code sent by SMS: there is no password to store.
    {"id": 1017, "name": "Dice", "url": "https://dice.fm/", "password_required": False},
    {
        "id": 1018,
        "name": "Front Gate Tickets",
        "url": "https://www.frontgatetickets.com/",
        "password_required": True,
    },
    {"id": 1019, "name": "Evenko", "url": "https://www.evenko.ca/", "password_required": True},
    {
        "id": 1020,
        "name": "MLB.com / Tickets.com",
        "url": "https://www.mlb.com/tickets",
        "password_required": True,
    },
    # Paciolan runs one site per venue or school, so there is no single url.
    {"id": 1021, "name": "Paciolan", "url": "", "password_required": True},
    {"id": 1022, "name": "ShowClix", "url": "https://www.showclix.com/", "password_required": True},
    {"id": 1023, "name": "Prekindle", "url": "https://www.prekindle.com/", "password_required": True},
    {"id": 1024, "name": "Eventim", "url": "https://www.eventim.de/", "password_required": True},
    # Resale sites where brokers also buy (their seller account doubles as a buying account).
    {"id": 1025, "name": "StubHub", "url": "https://www.stubhub.com/", "password_required": True},
    {"id": 1026, "name": "Vivid Seats", "url": "https://www.vividseats.com/", "password_required": True},
    # TixPilot ids: Ticketmaster Account Manager team sites (Online Season Seats).
    {
        "id": 1101,
        "name": "OSSNew York Yankees",
        "url": "https://am.ticketmaster.com/yankees/",
        "password_required": True,
    },
    {
        "id": 1102,
        "name": "OSSDallas Cowboys",
        "url": "https://am.ticketmaster.com/cowboys/",
        "password_required": True,
    },
    {
        "id": 1103,
        "name": "OSSGreen Bay Packers",
        "url": "https://am.ticketmaster.com/packers/",
        "password_required": True,
    },
    {
        "id": 1104,
        "name": "OSSChicago Bears",
        "url": "https://am.ticketmaster.com/bears/",
        "password_required": True,
    },
    {
        "id": 1105,
        "name": "OSSPittsburgh Steelers",
        "url": "https://am.ticketmaster.com/steelers/",
        "password_required": True,
    },
    {
        "id": 1106,
        "name": "OSSNew York Giants",
        "url": "https://am.ticketmaster.com/giants/",
        "password_required": True,
    },
    {
        "id": 1107,
        "name": "OSSNew York Jets",
        "url": "https://am.ticketmaster.com/jets/",
        "password_required": True,
    },
    {
        "id": 1108,
        "name": "OSSSan Francisco 49ers",
        "url": "https://am.ticketmaster.com/49ers/",
        "password_required": True,
    },
    {
        "id": 1109,
        "name": "OSSKansas City Chiefs",
        "url": "https://am.ticketmaster.com/chiefs/",
        "password_required": True,
    },
    {
        "id": 1110,
        "name": "OSSPhiladelphia Eagles",
        "url": "https://am.ticketmaster.com/eagles/",
        "password_required": True,
    },
    {
        "id": 1111,
        "name": "OSSLas Vegas Raiders",
        "url": "https://am.ticketmaster.com/raiders/",
        "password_required": True,
    },
    {
        "id": 1112,
        "name": "OSSGolden State Warriors",
        "url": "https://am.ticketmaster.com/warriors/",
        "password_required": True,
    },
    {
        "id": 1113,
        "name": "OSSNew York Knicks",
        "url": "https://am.ticketmaster.com/knicks/",
        "password_required": True,
    },
    {
        "id": 1114,
        "name": "OSSNew York Rangers",
        "url": "https://am.ticketmaster.com/rangers/",
        "password_required": True,
    },
    {
        "id": 1115,
        "name": "OSSBoston Celtics",
        "url": "https://am.ticketmaster.com/celtics/",
        "password_required": True,
    },
    {
        "id": 1116,
        "name": "OSSChicago Bulls",
        "url": "https://am.ticketmaster.com/bulls/",
        "password_required": True,
    },
    {
        "id": 1117,
        "name": "OSSToronto Maple Leafs",
        "url": "https://am.ticketmaster.com/leafs/",
        "password_required": True,
    },
)

# --------------------------------------------------------------------------------------------------
# Resale marketplaces: where brokers sell (the legacy fulfill lookup table).
# integration: "oi" = Order Integration (the marketplace pushes orders to the broker's system),
#              "ion" = Instant Notification (the sale arrives as an email/notification to act on).
# aliases: what a broker may type in a sales query; the name is always the first alias, and every
#          alias is unique across all resale marketplaces.
# binding_holds (only where true): the marketplace's Instant Notification holds are binding, so
#          removing one costs the broker a penalty (StubHub, Vivid Seats); other ION marketplaces'
#          holds give way to a sale elsewhere. (Order Integration holds are binding by nature.)
# --------------------------------------------------------------------------------------------------

RESALE_MARKETPLACES: tuple[dict[str, object], ...] = (
    # Legacy 1Ticket ids.
    {
        "id": 1,
        "name": "stubhub",
        "display_name": "StubHub",
        "integration": "ion",
        "binding_holds": True,
        "aliases": ("stubhub", "stub", "sh", "stub-hub"),
    },
    {
        "id": 2,
        "name": "ticketnetwork",
        "display_name": "TicketNetwork",
        "integration": "ion",
        "aliases": ("ticketnetwork", "tn", "ticket-network", "ticketliquidator"),
    },
    {
        "id": 3,
        "name": "tnow",
        "display_name": "TicketsNow",
        "integration": "ion",
        "aliases": ("tnow", "ticketsnow", "tickets-now"),
    },
    {
        "id": 4,
        "name": "vivid",
        "display_name": "Vivid Seats",
        "integration": "ion",
        "binding_holds": True,
        "aliases": ("vivid", "vividseats", "vivid-seats"),
    },
    {
        "id": 12,
        "name": "viagogo",
        "display_name": "viagogo",
        "integration": "ion",
        "aliases": ("viagogo", "via-gogo"),
    },
    {
        "id": 15,
        "name": "fanxchange",
        "display_name": "FanXchange",
        "integration": "ion",
        "aliases": ("fanxchange", "fanx", "fan-xchange"),
    },
    {
        "id": 16,
        "name": "tickpick",
        "display_name": "TickPick",
        "integration": "oi",
        "aliases": ("tickpick", "tp", "tick-pick"),
    },
    {
        "id": 25,
        "name": "gametime",
        "display_name": "Gametime",
        "integration": "oi",
        "aliases": ("gametime", "gt", "game-time"),
    },
    {
        "id": 27,
        "name": "seatsmart",
        "display_name": "SeatSmart",
        "integration": "ion",
        "aliases": ("seatsmart", "seat-smart"),
    },
    {
        "id": 29,
        "name": "premiumseatsusa",
        "display_name": "Premium Seats USA",
        "integration": "ion",
        "aliases": ("premiumseatsusa", "premiumseats", "premium-seats-usa"),
    },
    {
        "id": 41,
        "name": "seatgeek",
        "display_name": "SeatGeek",
        "integration": "ion",
        "aliases": ("seatgeek", "sg", "seat-geek"),
    },
    {
        "id": 52,
        "name": "agora",
        "display_name": "Agora",
        "integration": "ion",
        "aliases": ("agora",),
    },
    # TixPilot ids.
    {
        "id": 1001,
        "name": "tevo",
        "display_name": "Ticket Evolution",
        "integration": "oi",
        "aliases": ("tevo", "ticketevolution", "ticket-evolution"),
    },
    {
        "id": 1002,
        "name": "axs",
        "display_name": "AXS",
        "integration": "ion",
        "aliases": ("axs", "axsresale", "axs-resale"),
    },
    {
        "id": 1003,
        "name": "ticketmaster",
        "display_name": "Ticketmaster",
        "integration": "ion",
        "aliases": ("ticketmaster", "tm", "tmresale", "tm-resale"),
    },
    {
        "id": 1004,
        "name": "mercury",
        "display_name": "TicketNetwork Mercury",
        "integration": "oi",
        "aliases": ("mercury", "tnmercury", "tn-mercury"),
    },
    {
        "id": 1005,
        "name": "lyte",
        "display_name": "Lyte",
        "integration": "ion",
        "aliases": ("lyte",),
    },
    {
        "id": 1006,
        "name": "gotickets",
        "display_name": "GoTickets",
        "integration": "ion",
        "aliases": ("gotickets", "go-tickets"),
    },
    {
        "id": 1007,
        "name": "ticketcity",
        "display_name": "TicketCity",
        "integration": "ion",
        "aliases": ("ticketcity", "ticket-city"),
    },
    {
        "id": 1008,
        "name": "tixstock",
        "display_name": "Tixstock",
        "integration": "ion",
        "aliases": ("tixstock",),
    },
)

# --------------------------------------------------------------------------------------------------
# Disclosures 1Ticket pulls from primary receipts and ticket PDFs.
# description_skybox: SkyBox's name for the disclosure ("" when there is no obvious one).
# description_dti: the text as printed on the ticket ("" when it is not printed).
# --------------------------------------------------------------------------------------------------

DISCLOSURES: tuple[dict[str, object], ...] = (
    # Legacy 1Ticket ids.
    {
        "id": 1,
        "description": "Not valid",
        "description_short": "NOENTRY",
        "description_long": "Not Valid for Entry",
        "description_skybox": "",
        "description_dti": "",
    },
    {
        "id": 2,
        "description": "Side view",
        "description_short": "SIDEVIEW",
        "description_long": "Side View",
        "description_skybox": "",
        "description_dti": "Side View (printed on ticket)",
    },
    # TixPilot ids: view.
    {
        "id": 1001,
        "description": "Obstructed view",
        "description_short": "OBSTRUCTED",
        "description_long": "Obstructed View",
        "description_skybox": "Obstructed View",
        "description_dti": "Obstructed View",
    },
    {
        "id": 1002,
        "description": "Limited view",
        "description_short": "LIMITEDVIEW",
        "description_long": "Limited View",
        "description_skybox": "Limited View",
        "description_dti": "Limited View",
    },
    {
        "id": 1003,
        "description": "Partial view",
        "description_short": "PARTIALVIEW",
        "description_long": "Partial View",
        "description_skybox": "Partial View",
        "description_dti": "Partial View",
    },
    {
        "id": 1004,
        "description": "Possible obstruction",
        "description_short": "POSSIBLEOBSTRUCTION",
        "description_long": "Possible Obstructed View",
        "description_skybox": "Possible Obstruction",
        "description_dti": "Possible Obstruction",
    },
    {
        "id": 1005,
        "description": "Rear view",
        "description_short": "REARVIEW",
        "description_long": "Rear View of the Stage",
        "description_skybox": "Rear View",
        "description_dti": "Rear View",
    },
    {
        "id": 1006,
        "description": "Side stage",
        "description_short": "SIDESTAGE",
        "description_long": "Side Stage Seating, View of the Stage at an Angle",
        "description_skybox": "Side Stage",
        "description_dti": "Side Stage",
    },
    {
        "id": 1007,
        "description": "Behind stage",
        "description_short": "BEHINDSTAGE",
        "description_long": "Seats Behind the Stage",
        "description_skybox": "Behind Stage",
        "description_dti": "Behind Stage",
    },
    {
        "id": 1008,
        "description": "No view",
        "description_short": "NOVIEW",
        "description_long": "No View of the Stage or Field",
        "description_skybox": "No View",
        "description_dti": "No View",
    },
    {
        "id": 1009,
        "description": "No video board view",
        "description_short": "NOVIDEOBOARD",
        "description_long": "No View of the Video Board",
        "description_skybox": "",
        "description_dti": "No View of Video Board",
    },
    {
        "id": 1010,
        "description": "Production obstruction",
        "description_short": "PRODUCTIONVIEW",
        "description_long": "View May Be Restricted by Rigging, Lighting or the Sound Board",
        "description_skybox": "",
        "description_dti": "Restricted View - Production",
    },
    {
        "id": 1011,
        "description": "Railing obstruction",
        "description_short": "RAILINGVIEW",
        "description_long": "View Partially Blocked by a Railing",
        "description_skybox": "",
        "description_dti": "Railing May Obstruct View",
    },
    # TixPilot ids: age and audience.
    {
        "id": 1012,
        "description": "21+",
        "description_short": "AGE21",
        "description_long": "21 and Over Only, Valid ID Required",
        "description_skybox": "21 and Over",
        "description_dti": "21 & Over",
    },
    {
        "id": 1013,
        "description": "18+",
        "description_short": "AGE18",
        "description_long": "18 and Over Only, Valid ID Required",
        "description_skybox": "18 and Over",
        "description_dti": "18 & Over",
    },
    {
        "id": 1014,
        "description": "Child",
        "description_short": "CHILD",
        "description_long": "Child Ticket, Valid Only for a Child",
        "description_skybox": "Child",
        "description_dti": "Child",
    },
    {
        "id": 1015,
        "description": "Youth",
        "description_short": "YOUTH",
        "description_long": "Youth Ticket, Age Restrictions Apply",
        "description_skybox": "Youth",
        "description_dti": "Youth",
    },
    {
        "id": 1016,
        "description": "Student",
        "description_short": "STUDENT",
        "description_long": "Student Ticket, Valid Student ID Required at Entry",
        "description_skybox": "Student",
        "description_dti": "Student",
    },
    {
        "id": 1017,
        "description": "Senior",
        "description_short": "SENIOR",
        "description_long": "Senior Ticket, Proof of Age May Be Required",
        "description_skybox": "Senior",
        "description_dti": "Senior",
    },
    {
        "id": 1018,
        "description": "Military",
        "description_short": "MILITARY",
        "description_long": "Military Ticket, Military ID Required at Entry",
        "description_skybox": "Military",
        "description_dti": "Military",
    },
    {
        "id": 1019,
        "description": "Family section",
        "description_short": "FAMILY",
        "description_long": "Family Section",
        "description_skybox": "Family Section",
        "description_dti": "Family Section",
    },
    {
        "id": 1020,
        "description": "Alcohol-free",
        "description_short": "ALCOHOLFREE",
        "description_long": "Alcohol-Free Section",
        "description_skybox": "Alcohol Free",
        "description_dti": "Alcohol Free Section",
    },
    # TixPilot ids: accessibility.
    {
        "id": 1021,
        "description": "ADA",
        "description_short": "ADA",
        "description_long": "ADA Accessible Seating",
        "description_skybox": "ADA",
        "description_dti": "Accessible Seating",
    },
    {
        "id": 1022,
        "description": "Wheelchair",
        "description_short": "WHEELCHAIR",
        "description_long": "Wheelchair Space, No Fixed Seat",
        "description_skybox": "Wheelchair",
        "description_dti": "Wheelchair",
    },
    {
        "id": 1023,
        "description": "Wheelchair companion",
        "description_short": "WCCOMPANION",
        "description_long": "Wheelchair Companion Seat, Must Accompany a Wheelchair User",
        "description_skybox": "Wheelchair Companion",
        "description_dti": "Companion",
    },
    {
        "id": 1024,
        "description": "Limited mobility",
        "description_short": "LIMITEDMOBILITY",
        "description_long": "Limited Mobility / Easy Access Seating",
        "description_skybox": "Limited Mobility",
        "description_dti": "Easy Access",
    },
    # TixPilot ids: seat layout.
    {
        "id": 1025,
        "description": "Aisle",
        "description_short": "AISLE",
        "description_long": "Includes Aisle Seat",
        "description_skybox": "Aisle",
        "description_dti": "",
    },
    {
        "id": 1026,
        "description": "Piggyback",
        "description_short": "PIGGYBACK",
        "description_long": "Piggyback Seats, One Behind the Other, Not Side by Side",
        "description_skybox": "Piggyback",
        "description_dti": "",
    },
    {
        "id": 1027,
        "description": "Not together",
        "description_short": "NOTTOGETHER",
        "description_long": "Seats Not Together",
        "description_skybox": "",
        "description_dti": "",
    },
    {
        "id": 1028,
        "description": "Rail seat",
        "description_short": "RAILSEAT",
        "description_long": "Rail Seat, Standing or Stool at a Drink Rail",
        "description_skybox": "Rail Seat",
        "description_dti": "Rail Seat",
    },
    {
        "id": 1029,
        "description": "Bench seating",
        "description_short": "BENCH",
        "description_long": "Bench Seating, No Seat Backs",
        "description_skybox": "Bench",
        "description_dti": "Bench Seating",
    },
    {
        "id": 1030,
        "description": "Barstool",
        "description_short": "BARSTOOL",
        "description_long": "Barstool / High-Top Seating",
        "description_skybox": "",
        "description_dti": "Barstool",
    },
    {
        "id": 1031,
        "description": "Limited legroom",
        "description_short": "LIMITEDLEGROOM",
        "description_long": "Limited Legroom",
        "description_skybox": "",
        "description_dti": "Limited Legroom",
    },
    {
        "id": 1032,
        "description": "No shelter",
        "description_short": "NOSHELTER",
        "description_long": "Uncovered Seating, No Shelter from the Weather",
        "description_skybox": "",
        "description_dti": "Uncovered",
    },
    {
        "id": 1033,
        "description": "Standing room only",
        "description_short": "SRO",
        "description_long": "Standing Room Only, No Seat",
        "description_skybox": "Standing Room Only",
        "description_dti": "Standing Room Only",
    },
    {
        "id": 1034,
        "description": "General admission",
        "description_short": "GA",
        "description_long": "General Admission, No Assigned Seat",
        "description_skybox": "General Admission",
        "description_dti": "General Admission",
    },
    {
        "id": 1035,
        "description": "Lawn",
        "description_short": "LAWN",
        "description_long": "Lawn Seating, No Assigned Seat",
        "description_skybox": "Lawn",
        "description_dti": "Lawn",
    },
    {
        "id": 1036,
        "description": "Zone seating",
        "description_short": "ZONE",
        "description_long": "Zone Seating, Seats Assigned at or Before Entry",
        "description_skybox": "Zone Seating",
        "description_dti": "",
    },
    # TixPilot ids: packages and inclusions.
    {
        "id": 1037,
        "description": "Club access",
        "description_short": "CLUB",
        "description_long": "Includes Club Access",
        "description_skybox": "Club Access",
        "description_dti": "Club",
    },
    {
        "id": 1038,
        "description": "Suite",
        "description_short": "SUITE",
        "description_long": "Suite Seating",
        "description_skybox": "Suite",
        "description_dti": "Suite",
    },
    {
        "id": 1039,
        "description": "VIP package",
        "description_short": "VIP",
        "description_long": "VIP Package, Ticket Includes Package Benefits",
        "description_skybox": "VIP",
        "description_dti": "VIP Package",
    },
    {
        "id": 1040,
        "description": "Hospitality",
        "description_short": "HOSPITALITY",
        "description_long": "Hospitality Package",
        "description_skybox": "Hospitality",
        "description_dti": "Hospitality",
    },
    {
        "id": 1041,
        "description": "Meet & greet",
        "description_short": "MEETGREET",
        "description_long": "Includes Meet & Greet",
        "description_skybox": "Meet and Greet",
        "description_dti": "Meet & Greet",
    },
    {
        "id": 1042,
        "description": "Early entry",
        "description_short": "EARLYENTRY",
        "description_long": "Includes Early Entry",
        "description_skybox": "Early Entry",
        "description_dti": "Early Entry",
    },
    {
        "id": 1043,
        "description": "Food & beverage",
        "description_short": "FOODBEV",
        "description_long": "Includes Food and Beverage",
        "description_skybox": "All Inclusive",
        "description_dti": "Food & Beverage Included",
    },
    {
        "id": 1044,
        "description": "Parking pass",
        "description_short": "PARKING",
        "description_long": "Includes Parking Pass",
        "description_skybox": "Parking Pass",
        "description_dti": "Parking Included",
    },
    {
        "id": 1045,
        "description": "Parking only",
        "description_short": "PARKINGONLY",
        "description_long": "Parking Pass Only, Not Valid for Event Entry",
        "description_skybox": "Parking Only",
        "description_dti": "Parking Only",
    },
    # TixPilot ids: entry, delivery and event conditions.
    {
        "id": 1046,
        "description": "Mobile entry only",
        "description_short": "MOBILEONLY",
        "description_long": "Mobile Entry Only, Tickets Must Be Shown on a Phone",
        "description_skybox": "Mobile Entry",
        "description_dti": "Mobile Entry Only",
    },
    {
        "id": 1047,
        "description": "No print at home",
        "description_short": "NOPRINTATHOME",
        "description_long": "Print-at-Home Tickets and Screenshots Not Valid",
        "description_skybox": "",
        "description_dti": "Screenshots and Printouts Not Valid",
    },
    {
        "id": 1048,
        "description": "Will call",
        "description_short": "WILLCALL",
        "description_long": "Will Call Only, Pick Up at the Box Office",
        "description_skybox": "Will Call",
        "description_dti": "Will Call",
    },
    {
        "id": 1049,
        "description": "ID required",
        "description_short": "IDREQUIRED",
        "description_long": "Photo ID Matching the Ticket Holder Required at Entry",
        "description_skybox": "",
        "description_dti": "ID Required",
    },
    {
        "id": 1050,
        "description": "Non-transferable",
        "description_short": "NONTRANSFERABLE",
        "description_long": "Non-Transferable Ticket",
        "description_skybox": "",
        "description_dti": "Non-Transferable",
    },
    {
        "id": 1051,
        "description": "Flash Seats",
        "description_short": "FLASHSEATS",
        "description_long": "Contains Flash Seats, Digital Transfer Only",
        "description_skybox": "Flash Seats",
        "description_dti": "",
    },
    {
        "id": 1052,
        "description": "Delayed delivery",
        "description_short": "DELAYEDDELIVERY",
        "description_long": "Delayed Delivery, Tickets Released Closer to the Event",
        "description_skybox": "",
        "description_dti": "",
    },
    {
        "id": 1053,
        "description": "No re-entry",
        "description_short": "NOREENTRY",
        "description_long": "No Re-Entry",
        "description_skybox": "",
        "description_dti": "No Re-Entry",
    },
    {
        "id": 1054,
        "description": "Dress code",
        "description_short": "DRESSCODE",
        "description_long": "Dress Code Enforced",
        "description_skybox": "",
        "description_dti": "Dress Code Enforced",
    },
    {
        "id": 1055,
        "description": "Subject to rescheduling",
        "description_short": "RESCHEDULE",
        "description_long": "Event Date or Time Subject to Change",
        "description_skybox": "",
        "description_dti": "Subject to Rescheduling",
    },
)

# --------------------------------------------------------------------------------------------------
# Self-check.
# --------------------------------------------------------------------------------------------------

_BUYING_KEYS = frozenset({"id", "name", "url", "password_required"})
_RESALE_KEYS = frozenset({"id", "name", "display_name", "integration", "aliases", "binding_holds"})
_OPTIONAL_KEYS = frozenset({"binding_holds"})
_DISCLOSURE_KEYS = frozenset(
    {"id", "description", "description_short", "description_long", "description_skybox", "description_dti"}
)


def _check_entries(label: str, entries: tuple[dict[str, object], ...], keys: frozenset[str]) -> None:
    """Exact keys, int ids, no duplicate id, ordered by id."""
    seen: set[int] = set()
    previous = 0
    for entry in entries:
        missing = keys - entry.keys() - _OPTIONAL_KEYS
        extra = entry.keys() - keys
        if missing or extra:
            raise ValueError(
                f"{label} {entry.get('id')!r}: "
                f"missing keys {sorted(missing)}, unexpected keys {sorted(extra)}"
            )
        entry_id = entry["id"]
        if not isinstance(entry_id, int) or isinstance(entry_id, bool) or entry_id <= 0:
            raise ValueError(f"{label} {entry_id!r}: id must be a positive int")
        if entry_id in seen:
            raise ValueError(f"{label} {entry_id}: duplicate id")
        if entry_id < previous:
            raise ValueError(f"{label} {entry_id}: entries must be sorted by id")
        seen.add(entry_id)
        previous = entry_id


def validate() -> None:
    """Raise ValueError if the reference data is inconsistent (keys, ids, codes, aliases)."""
    _check_entries("buying marketplace", BUYING_MARKETPLACES, _BUYING_KEYS)
    _check_entries("resale marketplace", RESALE_MARKETPLACES, _RESALE_KEYS)
    _check_entries("disclosure", DISCLOSURES, _DISCLOSURE_KEYS)

    for market in BUYING_MARKETPLACES:
        if not isinstance(market["name"], str) or not market["name"]:
            raise ValueError(f"buying marketplace {market['id']}: name must be a non-empty str")
        if not isinstance(market["url"], str) or not isinstance(market["password_required"], bool):
            raise ValueError(f"buying marketplace {market['id']}: url must be str, password_required bool")

    names: set[object] = set()
    aliases: dict[str, object] = {}
    for market in RESALE_MARKETPLACES:
        name = market["name"]
        if not isinstance(name, str) or name != name.lower() or not name:
            raise ValueError(f"resale marketplace {market['id']}: name must be a non-empty lowercase str")
        if name in names:
            raise ValueError(f"resale marketplace {market['id']}: duplicate name {name!r}")
        names.add(name)
        if market["integration"] not in ("oi", "ion"):
            raise ValueError(f"resale marketplace {market['id']}: integration must be 'oi' or 'ion'")
        if market.get("binding_holds", True) is not True:
            raise ValueError(f"resale marketplace {market['id']}: binding_holds is given only as True")
        market_aliases = market["aliases"]
        if not isinstance(market_aliases, tuple) or not market_aliases or market_aliases[0] != name:
            raise ValueError(
                f"resale marketplace {market['id']}: aliases must be a tuple starting with the name"
            )
        for alias in market_aliases:
            if not isinstance(alias, str) or alias != alias.lower() or not alias or " " in alias:
                raise ValueError(f"resale marketplace {market['id']}: bad alias {alias!r}")
            if alias in aliases:
                raise ValueError(
                    f"resale marketplace {market['id']}: alias {alias!r} already used by {aliases[alias]}"
                )
            aliases[alias] = market["id"]

    codes: set[str] = set()
    for disclosure in DISCLOSURES:
        code = disclosure["description_short"]
        if not isinstance(code, str) or not code or code != code.upper() or " " in code:
            raise ValueError(f"disclosure {disclosure['id']}: description_short must be an UPPERCASE code")
        if code in codes:
            raise ValueError(f"disclosure {disclosure['id']}: duplicate description_short {code!r}")
        codes.add(code)
        for key in _DISCLOSURE_KEYS - {"id"}:
            if not isinstance(disclosure[key], str):
                raise ValueError(f"disclosure {disclosure['id']}: {key} must be a str")
