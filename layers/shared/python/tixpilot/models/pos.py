"""The POS systems TixPilot knows: one row each, with every name the legacy API gives it.

The legacy API names a POS differently in each place: the accounts' `custid_<name>`,
`creditcardid_<name>` and `autopo_<name>` fields (and the key of a purchase's `purchaseorders`),
a number for `/v2/accounts/update/v2/?posid=`, `posname` of `/v2/purchases/recordpo` ("utils" for
TicketUtils) and `posused` of `/v2/sales/add` ("ticketnetworkapi"). Everything that lists POSes
reads this table: the account models and their legacy fields, the values those parameters
accept, the POS adapters' registry. A new POS is one row here and its adapter in adapters/pos/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal


@dataclass(frozen=True)
class Pos:
    name: str  # TixPilot's name, and the accounts' `custid_<name>`, `autopo_<name>`, ...
    title: str  # as a person writes it, in parameter descriptions
    posid: int | None = None  # `/v2/accounts/update/v2/?posid=`; None: not selectable there
    recordpo: str | None = None  # `posname` of /v2/purchases/recordpo; None: not accepted there
    posused: str | None = None  # `posused` of /v2/sales/add; None: not accepted there
    autopo: bool = True  # the account has `autopo_<name>` settings for it
    legacy_update: bool = False  # the legacy /v2/accounts/update documents its custid/creditcardid
    extension: bool = False  # TixPilot's own, unknown to the legacy API
    # The API credentials TixPilot keeps for it per tenant (`tixpilot pos-credentials set`, one
    # `--<key>` option each); empty: TixPilot needs none to talk to it.
    credentials: tuple[str, ...] = ()
    # Marketplaces can sell its inventory (holds and invoices through its adapter): a value of
    # the tenant setting `inventory_pos`.
    inventory: bool = False


# In the order the legacy accounts output lists them (custid/creditcardid, then autopo).
POS_TABLE: tuple[Pos, ...] = (
    Pos(
        "skybox",
        "SkyBox",
        posid=22,
        recordpo="skybox",
        posused="skybox",
        legacy_update=True,
        inventory=True,
        credentials=("account", "api_token", "application_token"),
    ),
    Pos("posnext", "POSNext", posid=47, recordpo="posnext", posused="posnext", legacy_update=True),
    Pos("core", "Core", autopo=False),
    Pos("ticketutils", "TicketUtils", posid=18, recordpo="utils", legacy_update=True),
    Pos(
        "ticketnetwork",
        "TicketNetwork POS",
        posid=2,
        recordpo="ticketnetwork",
        posused="ticketnetworkapi",
        legacy_update=True,
    ),
    Pos("tradedeskpos", "Tradedesk POS", posid=62, recordpo="tradedesk"),
    Pos(
        "builtin",
        "the builtin POS",
        posid=100,
        recordpo="builtin",
        posused="builtin",
        extension=True,
        inventory=True,
    ),
)

POS_NAMES: tuple[str, ...] = tuple(p.name for p in POS_TABLE)
BY_NAME: dict[str, Pos] = {p.name: p for p in POS_TABLE}
# By posid, in the order of the ids (as error messages list them).
BY_POSID: dict[int, Pos] = {p.posid: p for p in sorted(POS_TABLE, key=lambda p: p.posid or 0) if p.posid}
BY_RECORDPO: dict[str, Pos] = {p.recordpo: p for p in POS_TABLE if p.recordpo}
BY_POSUSED: dict[str, Pos] = {p.posused: p for p in POS_TABLE if p.posused}
AUTOPO_POS: tuple[Pos, ...] = tuple(p for p in POS_TABLE if p.autopo)
WITH_CREDENTIALS: dict[str, Pos] = {p.name: p for p in POS_TABLE if p.credentials}
INVENTORY_POS_NAMES: tuple[str, ...] = tuple(p.name for p in POS_TABLE if p.inventory)

# The names as types. pydantic validates against the table (a Literal built from it, so the
# OpenAPI document lists the values); the type checker sees `str`, as it cannot read a table.
if TYPE_CHECKING:
    PosName = str
    SalePos = str
    InventoryPos = str
else:
    PosName = Literal[POS_NAMES]
    SalePos = Literal[tuple(BY_POSUSED)]
    InventoryPos = Literal[INVENTORY_POS_NAMES]
