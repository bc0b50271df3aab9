"""Demo purchases: a deterministic, broker-shaped account of any size (`tixpilot demo seed`,
the purchases benchmark and the filter tests all use this one generator).

Shape, per 40 purchases roughly one distinct event; ~150 venues; 40 purchasing accounts;
12 cards; a handful of regions (and none); refund eligibility true/false/unknown; 5% canceled;
60% with a SkyBox PO, some with a second POS; events within a year, bought up to 4 months before.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from tixpilot.models.purchases import EventInfo, Items, Money, Purchase

_ARTISTS = [
    "Sugarland",
    "Taylor",
    "Swift",
    "Metallica",
    "Coldplay",
    "Adele",
    "Drake",
    "Beyonce",
    "Eagles",
    "Journey",
    "Phish",
    "Rush",
    "Tool",
    "Muse",
    "Pink",
    "Queen",
    "Styx",
    "Kiss",
    "Heart",
    "Blondie",
    "Genesis",
    "Chicago",
    "Boston",
    "Foreigner",
    "Hozier",
    "Lizzo",
    "Usher",
    "Maroon",
    "5",
    "Shakira",
    "Santana",
]
_TEAMS = [
    "Yankees",
    "Mets",
    "Red",
    "Sox",
    "Cubs",
    "Dodgers",
    "Giants",
    "Knicks",
    "Nets",
    "Lakers",
    "Celtics",
    "Rangers",
    "Islanders",
    "Devils",
    "Jets",
    "Eagles",
    "Cowboys",
    "Bruins",
    "Flyers",
    "Sixers",
    "Bulls",
]
_TOURS = ("World", "Farewell", "Reunion", "Summer", "Stadium", "Anniversary", "Greatest Hits", "Arena")
_PLACES = [
    "Smart Financial Centre",
    "Madison Square Garden",
    "Barclays Center",
    "Yankee Stadium",
    "Citi Field",
    "Fenway Park",
    "Wrigley Field",
    "TD Garden",
    "Crypto.com Arena",
    "MetLife Stadium",
    "Red Rocks Amphitheatre",
    "Hollywood Bowl",
    "United Center",
    "Wells Fargo Center",
    "Prudential Center",
    "Radio City Music Hall",
    "Beacon Theatre",
    "The Forum",
    "Gillette Stadium",
    "Soldier Field",
]
_CITIES = ("Houston", "Austin", "Denver", "Boston", "Chicago", "Newark", "Tampa", "Phoenix")
_REGIONS = ("NY", "NY", "NY", "CA", "TX", "FL", "IL", None, None, "TEVO")
_STOCK = ("eticket", "mobile", "mobile", "transfer", "hard")
CARDS = ("4242", "1881", "0005", "3110", "7777", "2024", "9001", "1234", "5555", "8080", "6011", "3782")
BASE_DAY = dt.date(2026, 1, 5)


def _venues(rng: random.Random) -> list[str]:
    venues = list(_PLACES)
    while len(venues) < 150:
        venues.append(
            f"{rng.choice(_CITIES)} {rng.choice(('Arena', 'Amphitheater', 'Theater', 'Hall', 'Pavilion'))} "
            f"{len(venues)}"
        )
    return venues


def _event_name(rng: random.Random, index: int) -> str:
    kind = rng.random()
    if kind < 0.4:
        home, away = rng.sample(_TEAMS, 2)
        return f"{home} vs {away}"
    if kind < 0.8:
        return f"{rng.choice(_ARTISTS)} {rng.choice(_TOURS)} Tour {2026 + index % 3}"
    return f"{rng.choice(_ARTISTS)} Live {index}"


def generate(
    tenant_id: str, count: int, first_rid: int, seed: int = 7, now: dt.datetime | None = None
) -> Iterator[Purchase]:
    """`count` purchases with rids from `first_rid`, the same for the same arguments."""
    rng = random.Random(seed)
    venues = _venues(rng)
    events: list[tuple[str, str, dt.datetime]] = []
    for index in range(max(count // 40, 5)):
        day = BASE_DAY + dt.timedelta(days=rng.randrange(365))
        starts = dt.datetime.combine(day, dt.time(rng.choice((13, 19, 19, 20)), rng.choice((0, 0, 30))))
        events.append((_event_name(rng, index), rng.choice(venues), starts))
    users = [f"buyer{n}@demo.tixpilot.test" for n in range(40)]
    moment = now or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for offset in range(count):
        name, venue, starts = rng.choice(events)
        bought = starts.date() - dt.timedelta(days=rng.randrange(1, 120))
        seen = dt.datetime.combine(bought, dt.time(), dt.UTC) + dt.timedelta(
            minutes=rng.randrange(0, 48 * 60)
        )
        quantity = rng.choice((1, 2, 2, 2, 4))
        first_seat = rng.randrange(1, 30)
        rid = first_rid + offset
        orders: dict[str, str] = {}
        if rng.random() < 0.6:
            orders["skybox"] = str(500000 + offset)
            if rng.random() < 0.15:
                orders["utils"] = f"U{offset}"
        per_seat = Decimal(rng.randrange(40, 400))
        yield Purchase(
            tenant_id=tenant_id,
            rid=rid,
            status="canceled" if rng.random() < 0.05 else "active",
            account_username=rng.choice(users),
            confirmation_number=f"{10 + offset // 100000}-{offset % 100000:05d}",
            confirmation_region=rng.choice(_REGIONS),
            event=EventInfo(name=name, venue=venue, starts_at=starts),
            items=Items(
                section=str(rng.randrange(100, 330)),
                row=rng.choice("ABCDEFGHJK"),
                seats=[str(first_seat + i) for i in range(quantity)],
                stock=rng.choice(_STOCK),
            ),
            money=Money(cost_perseat=per_seat, face_perseat=per_seat, cost_group=per_seat * quantity),
            creditcard_last4=rng.choice(CARDS) if rng.random() < 0.9 else None,
            purchase_date=bought if rng.random() < 0.95 else None,
            refund_eligible=rng.choice((True, False, None)),
            seen_emailreceipt=True,
            purchaseorders=orders,
            datefirstseen=seen,
            datelastseen=max(seen, moment),
        )


def seed_purchases(
    tenant_id: str,
    count: int,
    client: Any = None,
    seed: int = 7,
    chunk: int = 5000,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write `count` generated purchases for a tenant (rids reserved in one counter update)."""
    from tixpilot.repositories.purchases import PurchaseRepository
    from tixpilot.repositories.sequences import SequenceRepository

    repo = PurchaseRepository(client)
    first_rid = SequenceRepository(client).reserve("rid", count) if count else 0
    counts: dict[Any, int] = {}
    batch: list[Purchase] = []
    for purchase in generate(tenant_id, count, first_rid, seed):
        batch.append(purchase)
        if len(batch) == chunk:
            for key, value in repo.load(batch).items():
                counts[key] = counts.get(key, 0) + value
            if on_progress:
                on_progress(len(batch))
            batch = []
    if batch:
        for key, value in repo.load(batch).items():
            counts[key] = counts.get(key, 0) + value
        if on_progress:
            on_progress(len(batch))
    repo.load_names(counts)
    return {"tenant_id": tenant_id, "purchases": count, "first_rid": first_rid, "distinct_names": len(counts)}
