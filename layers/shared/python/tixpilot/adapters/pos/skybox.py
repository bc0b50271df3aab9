"""SkyBox (posid 22), the POS most brokers run, through its REST API (docs/skybox.md).

Every call carries the tenant's three keys (`tixpilot pos-credentials set`): `X-Account`,
`X-Api-Token`, `X-Application-Token`. Searches are read whether SkyBox answers a bare list or
`{"rows": [...], "rowCount": N}`. Failures become PosErrors with a message for the broker:
401 (the credentials), 400 (SkyBox's validation words), 404, rate limiting and outages (transient;
the one HTTP client, adapters/http.py, has already retried what retrying can help).

A PO (AutoPO, QuickPO) is a SkyBox purchase with one inventory line per block of seats, bought
from the account's vendor (`custid_skybox`) with its card (`creditcardid_skybox`), its
`externalRef` the primary's order number. SkyBox cannot take part in our DynamoDB transaction, so
"exactly one PO per purchase" is a claim with a lease (repositories/po_claims.py) plus a search
for the external reference before creating: concurrent runs wait for the claim's holder, and a
run that finds a PO already made (by a run that died before recording it, or by hand) uses it.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, Protocol
from urllib.parse import quote, urlencode

from tixpilot.adapters.http import Body, HttpResponse, RetryingHttp
from tixpilot.adapters.pos.base import (
    HoldOutcome,
    HoldRequest,
    OrderConflict,
    OrderState,
    PoInProgress,
    PoRequest,
    PoResult,
    PosContext,
    PosError,
    PosOrder,
    SeatsUnavailable,
    SeatTickets,
    TicketGroupInfo,
    UnknownOrder,
    UnknownTicketGroup,
)
from tixpilot.adapters.pos.registry import register
from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.models.pos import BY_NAME, PosName
from tixpilot.models.purchases import Purchase
from tixpilot.observability import logger
from tixpilot.settings import get_settings

NAME = "skybox"
REQUIRED = BY_NAME[NAME].credentials  # account, api_token, application_token
CLAIM_LEASE_S = 300.0  # longer than any function calling SkyBox may run (Lambda timeouts <= 60 s)
CLAIM_WAIT_S = 8.0  # how long a second run waits for the first to record the PO
CLAIM_POLL_S = 0.25

# TixPilot's stock (after mobile became transfer or qr_screenshot) -> SkyBox stockType, deliveryMethod
STOCK: dict[str, tuple[str, str]] = {
    "eticket": ("ELECTRONIC", "EMAIL"),
    "pdf": ("ELECTRONIC", "EMAIL"),
    "transfer": ("MOBILE_TRANSFER", "MOBILE_DELIVERY"),
    "mobile": ("MOBILE_TRANSFER", "MOBILE_DELIVERY"),
    "qr_screenshot": ("MOBILE_SCREENCAP", "MOBILE_DELIVERY"),
    "hard": ("HARD", "OTHER"),
    "willcall": ("HARD", "WILLCALL"),
    "flash": ("FLASH", "FLASHSEATS"),
    "paperless": ("PAPERLESS", "PAPERLESS"),
}
UNKNOWN_STOCK = ("ELECTRONIC", "EMAIL")


class ClaimStore(Protocol):
    def acquire(self, tenant_id: str, rid: int, pos: str, owner: str, lease_s: float) -> Any: ...

    def get(self, tenant_id: str, rid: int, pos: str) -> Any: ...

    def settle(self, tenant_id: str, rid: int, pos: str, poid: str) -> str: ...

    def release(self, tenant_id: str, rid: int, pos: str, owner: str) -> None: ...


# --- errors ------------------------------------------------------------------------------------


def describe(response: HttpResponse) -> str:
    """SkyBox's own words from an error answer: its validation list (`[{"propertyPath",
    "message"}]`, javax.validation style), a `message`, or the start of the body."""
    try:
        body = response.json()
    except Exception:
        return response.body[:300].decode("utf-8", "replace")
    if isinstance(body, dict):
        body = body.get("errors") or body.get("violations") or body
    if isinstance(body, list):
        parts = []
        for entry in body[:5]:
            if isinstance(entry, dict):
                where = entry.get("propertyPath") or entry.get("field") or entry.get("path") or ""
                what = entry.get("message") or entry.get("defaultMessage") or ""
                parts.append(f"{where}: {what}" if where else str(what))
            else:
                parts.append(str(entry))
        return "; ".join(parts)
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:300]
    return str(body)[:300]


def skybox_error(message: str, transient: bool, status: int | None) -> PosError:
    """The broker-facing message for a failed call (adapters/http.py's error factory)."""
    if status == 401:
        text = (
            f"SkyBox refused the credentials ({message}); check the account id, API token and "
            "application token and set them again with `tixpilot pos-credentials set --pos skybox`"
        )
    elif status == 429:
        text = f"SkyBox's rate limit still refused the call after retries, try again later ({message})"
    elif status is None or status >= 500 or transient:
        text = f"SkyBox is unavailable, TixPilot will try again ({message})"
    else:
        text = f"SkyBox refused the request ({message})"
    return PosError(text, transient=transient, status=status)


# --- the API -----------------------------------------------------------------------------------


def rows(answer: Any, what: str) -> list[dict[str, Any]]:
    """A search's results, whether SkyBox answered a bare list or {"rows": [...], "rowCount": N}."""
    found = answer.get("rows") if isinstance(answer, dict) else answer
    if not isinstance(found, list):
        raise PosError(
            f"SkyBox answered {what} with neither a list nor rows: {str(answer)[:200]}", transient=True
        )
    return [row for row in found if isinstance(row, dict)]


class SkyBoxApi:
    """One SkyBox account: requests with its three headers, against the base URL."""

    def __init__(self, base_url: str, credentials: Mapping[str, str], http: RetryingHttp) -> None:
        missing = [key for key in REQUIRED if not credentials.get(key)]
        if missing:
            raise PosError(
                f"the SkyBox credentials lack {', '.join(missing)}; "
                "set them with `tixpilot pos-credentials set`"
            )
        self.base_url = base_url.rstrip("/")
        self.account = credentials["account"]
        self.headers = {
            "X-Account": credentials["account"],
            "X-Api-Token": credentials["api_token"],
            "X-Application-Token": credentials["application_token"],
            "Accept": "application/json",
        }
        self.http = http

    @property
    def account_id(self) -> int:
        """The account id as SkyBox's lines want it (`accountId`, an integer)."""
        if not self.account.isdigit():
            raise PosError(f"the SkyBox account id {self.account!r} is not a number; set it again")
        return int(self.account)

    def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        repeatable: bool = True,
    ) -> Any:
        query = f"?{urlencode(_query(params), doseq=True)}" if params else ""
        response = self.http.request(
            method,
            f"{self.base_url}{path}{query}",
            headers=self.headers,
            body=Body.of_json(body) if body is not None else None,
            describe=describe,
            repeatable=repeatable,
        )
        return response.json() if response.body.strip() else None

    def search(self, path: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return rows(self.call("GET", path, params), f"GET {path}")

    def find(self, method: str, path: str, body: Any = None) -> Any:
        """A call about one object; None when SkyBox answers 404 (it has no such object)."""
        try:
            return self.call(method, path, body=body)
        except PosError as exc:
            if exc.status == 404:
                return None
            raise


def _query(params: Mapping[str, Any]) -> dict[str, Any]:
    """Booleans as SkyBox reads them, lists as repeated keys, nothing for None."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


# --- purchases -> SkyBox purchase lines --------------------------------------------------------


@dataclass(frozen=True)
class SeatBlock:
    """One inventory line: seats low..high (every other seat when ALTERNATING)."""

    low: int
    high: int
    quantity: int
    seat_type: str  # CONSECUTIVE | ALTERNATING | GA


def seat_blocks(purchase: Purchase) -> list[SeatBlock]:
    """The purchase's seats as SkyBox inventory: numbered seats in one block when consecutive or
    alternating (odd/even side), else one block per consecutive run; a general-admission
    quantity as GA seats 1..n. SkyBox seat numbers are whole numbers."""
    items = purchase.items
    if not items.seats:
        if items.quantity:
            return [SeatBlock(1, items.quantity, items.quantity, "GA")]
        raise PosError("the purchase has neither seats nor a quantity yet; SkyBox inventory needs them")
    if not all(seat.strip().isdigit() and int(seat) >= 1 for seat in items.seats):
        raise PosError(
            f"SkyBox seat numbers are whole numbers from 1; seats {', '.join(items.seats)} cannot be "
            "PO'd there (make the PO in SkyBox and record it with /v2/purchases/recordpo)"
        )
    seats = sorted({int(seat) for seat in items.seats})
    if len(seats) > 1 and all(b - a == 2 for a, b in itertools.pairwise(seats)):
        return [SeatBlock(seats[0], seats[-1], len(seats), "ALTERNATING")]
    blocks: list[SeatBlock] = []
    start = previous = seats[0]
    for seat in [*seats[1:], None]:
        if seat is not None and seat == previous + 1:
            previous = seat
            continue
        blocks.append(SeatBlock(start, previous, previous - start + 1, "CONSECUTIVE"))
        if seat is not None:
            start = previous = seat
    return blocks


def external_ref(purchase: Purchase) -> str:
    """The primary's order number as brokers write it (Ticketmaster: `12-34567/NY`)."""
    region = purchase.confirmation_region
    return f"{purchase.confirmation_number}/{region}" if region else purchase.confirmation_number


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _number(value: str, what: str, fix: str) -> int:
    text = (value or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise PosError(f"{what} {text!r} is not a SkyBox id (a whole number); {fix}")
    return int(text)


def purchase_body(
    purchase: Purchase,
    stock: str | None,
    vendor_id: int,
    card_id: int | None,
    account_id: int,
    event: dict[str, Any],
) -> dict[str, Any]:
    """The POST /purchases body: every field SkyBox's published models require (the purchase's,
    its lines' and their inventory's, including those the public client later relaxed), so it is
    valid whichever of its own rules a SkyBox server applies."""
    items, money = purchase.items, purchase.money
    blocks = seat_blocks(purchase)
    quantity = sum(b.quantity for b in blocks)
    notes = [f"{external_ref(purchase)} (TixPilot rid {purchase.rid})"]
    if money.cost_perseat is not None:
        per_seat = money.cost_perseat
    elif money.cost_group is not None:
        per_seat = money.cost_group / quantity
    else:
        per_seat = Decimal(0)
        notes.append("cost unknown at PO time")
    stock_type, delivery = STOCK.get(stock or "", UNKNOWN_STOCK)
    if stock is None:
        notes.append("delivery unknown at PO time, recorded as ELECTRONIC")
    general = all(b.seat_type == "GA" for b in blocks)
    section = items.section or ("GA" if general or items.general_admission else None)
    row = items.row or ("GA" if general or items.general_admission else None)
    if not section or not row:
        raise PosError("the purchase's section and row are not known yet; SkyBox inventory needs both")
    barcodes = {
        int(t.seatnumber): t.barcode
        for t in purchase.tickets or []
        if t.barcode and t.seatnumber.isdigit() and len(t.barcode) <= 45
    }
    in_hand = purchase.event.starts_at.date().isoformat() if purchase.event.starts_at else None
    lines = []
    for block in blocks:
        step = 2 if block.seat_type == "ALTERNATING" else 1
        seats = list(range(block.low, block.high + 1, step))
        inventory: dict[str, Any] = {
            **event,
            "quantity": block.quantity,
            "section": section[:51],
            "row": row[:44],
            "lowSeat": block.low,
            "highSeat": block.high,
            "cost": _money(per_seat),
            "stockType": stock_type,
            "seatType": block.seat_type,
            "splitType": "DEFAULT",
            "notes": "; ".join(notes)[:1000],
        }
        if money.face_perseat is not None:
            inventory["faceValue"] = _money(money.face_perseat)
        if in_hand:
            inventory["inHandDate"] = in_hand
        if block.seat_type != "GA" and any(seat in barcodes for seat in seats):
            inventory["tickets"] = [
                {
                    "seatNumber": seat,
                    "section": section[:51],
                    "row": row[:44],
                    "cost": _money(per_seat),
                    "faceValue": _money(money.face_perseat or Decimal(0)),
                    "sellPrice": 0,
                    "stockType": stock_type,
                    "status": "AVAILABLE",
                    **({"barCode": barcodes[seat]} if seat in barcodes else {}),
                }
                for seat in seats
            ]
        lines.append(
            {
                "accountId": account_id,
                "lineType": "PURCHASE",
                "lineItemType": "INVENTORY",
                "quantity": block.quantity,
                "amount": _money(per_seat * block.quantity),  # the line's total
                "inventory": inventory,
            }
        )
    bought = purchase.purchase_date or purchase.datefirstseen.date()
    body: dict[str, Any] = {
        "vendorId": vendor_id,
        "externalRef": external_ref(purchase),
        "paymentMethod": "CREDITCARD",  # a primary order is paid by card
        "paymentStatus": "PAID",
        "purchaseTerm": "NET0",
        "dueDate": dt.datetime.combine(bought, dt.time(), dt.UTC).isoformat(),
        "currencyCode": "USD",
        "deliveryMethod": delivery,
        "taxAmount": 0,
        "shippingAmount": 0,
        "otherAmount": 0,
        "internalNotes": (
            f"TixPilot {purchase.account_username}: order {external_ref(purchase)}, rid {purchase.rid}"
        )[:10000],
        "lines": lines,
    }
    if card_id is not None:
        body["creditCardId"] = card_id
    return body


# --- selling: marketplace orders as SkyBox holds and invoices -------------------------------------

# SkyBox's default-customer marketplaces, by the resale table's names (others: OTHER).
SKYBOX_MARKETPLACES: dict[str, str] = {
    "stubhub": "STUBHUB",
    "vivid": "VIVID_SEATS",
    "ticketnetwork": "TICKET_NETWORK",
    "gametime": "GAMETIME",
    "seatgeek": "SEATGEEK",
    "tevo": "TICKET_EVOLUTION",
    "tickpick": "TICKPICK",
    "viagogo": "VIAGOGO",
    "ticketcity": "TICKET_CITY",
    "fanxchange": "FANXCHANGE",
}
# SkyBox stockType -> TixPilot's stock (the sale's delivery follows it)
STOCK_OF_TYPE: dict[str, str] = {
    "ELECTRONIC": "eticket",
    "MOBILE_TRANSFER": "transfer",
    "MOBILE_SCREENCAP": "qr_screenshot",
    "HARD": "hard",
    "FLASH": "flash",
    "PAPERLESS": "paperless",
    "PAPERLESS_CARD": "paperless",
}
ORDER_LEASE_S = 120.0  # a call placing, invoicing or releasing an order; longer than any function runs
ORDER_WAIT_S = 5.0  # how long a second call for an order waits for the first to place its hold
CUSTOMERS_TTL_S = 600.0  # default customers are read again after this long
HOLD_NOTE = re.compile(
    r"^TixPilot: order (?P<order>\S+) of marketplace (?P<marketplace>\d+), (?P<kind>binding|non-binding)"
)
# The record's states, as PosOrder names them.
ORDER_STATES: dict[str, OrderState] = {
    "placing": "held",
    "held": "held",
    "invoicing": "held",
    "releasing": "held",
    "invoiced": "invoiced",
    "released": "released",
}


class OrderRecords(Protocol):
    def get(self, tenant_id: str, pos: str, marketplace_id: int, order_id: str) -> dict[str, Any] | None: ...

    def create(self, tenant_id: str, record: Mapping[str, Any]) -> bool: ...

    def change(
        self,
        tenant_id: str,
        pos: str,
        marketplace_id: int,
        order_id: str,
        *,
        states: Iterable[str],
        sets: Mapping[str, Any],
        removes: Iterable[str] = (),
        require: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None: ...

    def delete(self, tenant_id: str, pos: str, marketplace_id: int, order_id: str, *, owner: str) -> None: ...


def marketplace_of(marketplace_id: int) -> tuple[str, str]:
    """(display name, SkyBox default-customer marketplace) of a resale marketplace."""
    for entry in RESALE_MARKETPLACES:
        if entry["id"] == marketplace_id:
            return str(entry["display_name"]), SKYBOX_MARKETPLACES.get(str(entry["name"]), "OTHER")
    return f"marketplace {marketplace_id}", "OTHER"


def hold_note(marketplace_id: int, order_id: str, binding: bool) -> str:
    """The hold's notes: who holds it, in words a broker reads in SkyBox and HOLD_NOTE parses."""
    kind = "binding" if binding else "non-binding"
    display = marketplace_of(marketplace_id)[0]
    return f"TixPilot: order {order_id} of marketplace {marketplace_id}, {kind} ({display})"


def seat_list(seats: str) -> list[str]:
    """A hold's `seats` ("5,6", "5-6", "5 6") as seat numbers."""
    found: list[str] = []
    for part in re.split(r"[,\s]+", seats.strip()):
        low, dash, high = part.partition("-")
        if dash and low.isdigit() and high.isdigit():
            found += [str(n) for n in range(int(low), int(high) + 1)]
        elif part:
            found.append(part)
    return found


def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def _when(text: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _group(stock: Mapping[str, Any]) -> dict[str, Any]:
    """What the record keeps of the inventory an order holds (for the sale)."""
    event: dict[str, Any] = stock["event"] if isinstance(stock.get("event"), dict) else {}
    mapping: dict[str, Any] = stock["eventMapping"] if isinstance(stock.get("eventMapping"), dict) else {}
    venue: dict[str, Any] = event["venue"] if isinstance(event.get("venue"), dict) else {}
    return {
        "event": str(event.get("name") or mapping.get("eventName") or ""),
        "venue": str(venue.get("name") or mapping.get("venueName") or ""),
        "starts_at": str(event.get("date") or mapping.get("eventDate") or ""),
        "section": str(stock.get("section") or ""),
        "row": str(stock.get("row") or ""),
        "stock": STOCK_OF_TYPE.get(str(stock.get("stockType")), "eticket"),
        "cost_perseat": str(stock["cost"]) if stock.get("cost") is not None else None,
    }


def _info(group: Mapping[str, Any]) -> TicketGroupInfo:
    starts = _when(group.get("starts_at")) if group.get("starts_at") else None
    cost = group.get("cost_perseat")
    return TicketGroupInfo(
        event=str(group.get("event") or ""),
        venue=str(group.get("venue") or ""),
        starts_at=starts.replace(tzinfo=None) if starts else None,
        section=str(group.get("section") or ""),
        row=str(group.get("row") or ""),
        stock=str(group.get("stock") or ""),
        cost_perseat=Decimal(str(cost)) if cost is not None else None,
    )


def pos_order(record: Mapping[str, Any]) -> PosOrder:
    """The order as PosAdapter callers see it, from its record."""
    until = record.get("hold_until")
    return PosOrder(
        marketplace_id=int(record["marketplace_id"]),
        order_id=str(record["order_id"]),
        ticketgroupid=str(record["tgid"]),
        seats=tuple(str(s) for s in record.get("seats") or ()),
        price_per_seat=Decimal(str(record["price_per_seat"])),
        state=ORDER_STATES[str(record["state"])],
        binding=bool(record.get("binding", True)),
        held_at=_when(record.get("held_at")) or dt.datetime.now(dt.UTC),
        expires_at=dt.datetime.fromtimestamp(int(until), dt.UTC) if until is not None else None,
        group=_info(record.get("group") or {}),
        invoice_id=str(record.get("invoice_id") or ""),
        released_because=str(record.get("released_because") or ""),
        completed=bool(record.get("completed_at")),
    )


def _same_request(record: Mapping[str, Any], request: HoldRequest) -> bool:
    return (
        str(record["tgid"]) == request.ticketgroupid
        and int(record["quantity"]) == request.quantity
        and Decimal(str(record["price_per_seat"])) == request.price_per_seat
    )


# --- the adapter -------------------------------------------------------------------------------


class SkyBoxPos:
    name: ClassVar[PosName] = NAME

    def __init__(
        self,
        claims: ClaimStore | None = None,
        orders: OrderRecords | None = None,
        http: RetryingHttp | None = None,
        base_url: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._claims = claims
        self._orders = orders
        self.http = http or RetryingHttp(NAME, error=skybox_error)
        self._base_url = base_url
        self._clock, self._sleep = clock, sleep
        self._customers: dict[str, tuple[float, dict[str, int]]] = {}  # account -> (read at, defaults)

    @property
    def claims(self) -> ClaimStore:
        if self._claims is None:
            from tixpilot.repositories.po_claims import PoClaimRepository

            self._claims = PoClaimRepository()
        return self._claims

    @property
    def orders(self) -> OrderRecords:
        if self._orders is None:
            from tixpilot.repositories.pos_order_records import PosOrderRecords

            self._orders = PosOrderRecords()
        return self._orders

    def api(self, credentials: Mapping[str, str], tenant_id: str) -> SkyBoxApi:
        """The tenant's SkyBox account."""
        if not credentials:
            raise PosError(
                "no SkyBox credentials for this account yet: set them with `tixpilot pos-credentials set "
                f"--tenant-id {tenant_id} --pos skybox --account ... --api-token ... --application-token ...`"
            )
        return SkyBoxApi(self._base_url or get_settings().skybox_url, credentials, self.http)

    # -- buying: create_po ----------------------------------------------------------------------

    def create_po(self, request: PoRequest) -> PoResult:
        purchase = request.purchase
        tenant, rid = purchase.tenant_id, purchase.rid
        vendor = _number(
            request.settings.customer_id,
            "custid_skybox",
            "set the SkyBox vendor id with /v2/accounts/update?id=<account>&custid_skybox=<vendor id>",
        )
        card = (
            _number(request.settings.creditcard_id, "creditcardid_skybox", "set the SkyBox credit card id")
            if request.settings.creditcard_id
            else None
        )
        api = self.api(request.credentials, tenant)  # before the claim: missing credentials need no claim
        owner = uuid.uuid4().hex
        for _ in range(2):  # a second time if the run we waited for gave up
            claim = self.claims.acquire(tenant, rid, NAME, owner, CLAIM_LEASE_S)
            if claim.poid:
                return PoResult(poid=str(claim.poid), created=False)
            if claim.mine:
                break
            poid = self._await_claim(tenant, rid)
            if poid is not None:
                return PoResult(poid=poid, created=False)
        else:
            raise PoInProgress(
                "another TixPilot run is making this purchase's SkyBox PO right now; its number is "
                "recorded when SkyBox answers"
            )
        try:
            poid, created = self._make_po(api, request, vendor, card)
        except BaseException:
            self.claims.release(tenant, rid, NAME, owner)
            raise
        kept = self.claims.settle(tenant, rid, NAME, poid)
        if kept != poid:
            logger.error(
                "a second SkyBox PO was made for one purchase; void it in SkyBox",
                extra={"tenant_id": tenant, "rid": rid, "kept": kept, "second": poid},
            )
        return PoResult(poid=kept, created=created and kept == poid)

    def _await_claim(self, tenant_id: str, rid: int) -> str | None:
        """The PO number another run records, waiting for it up to CLAIM_WAIT_S; None when that
        run gave the claim up (this one may try); PoInProgress when it is still at work."""
        deadline = self._clock() + CLAIM_WAIT_S
        while self._clock() < deadline:
            self._sleep(CLAIM_POLL_S)
            claim = self.claims.get(tenant_id, rid, NAME)
            if claim is None:
                return None
            if claim.poid:
                return str(claim.poid)
        raise PoInProgress(
            "another TixPilot run is making this purchase's SkyBox PO right now; its number is "
            "recorded when SkyBox answers"
        )

    def _make_po(self, api: SkyBoxApi, request: PoRequest, vendor: int, card: int | None) -> tuple[str, bool]:
        purchase = request.purchase
        ref = external_ref(purchase)
        existing = [
            p
            for p in api.search("/purchases", {"externalRef": ref, "limit": 10})
            if p.get("externalRef") == ref
        ]
        if existing:
            return str(min(int(p["id"]) for p in existing)), False
        body = purchase_body(
            purchase, request.stock, vendor, card, api.account_id, self._event(api, purchase)
        )
        # Not repeatable: a lost answer may still have made the PO; the next run finds it by ref.
        made = api.call("POST", "/purchases", body=body, repeatable=False)
        if not isinstance(made, dict) or "id" not in made:
            raise PosError(
                f"SkyBox answered POST /purchases without the purchase id: {str(made)[:200]}", transient=True
            )
        return str(made["id"]), True

    def _event(self, api: SkyBoxApi, purchase: Purchase) -> dict[str, Any]:
        """`{"eventId": n}` when SkyBox's catalogue has exactly one event of that name, venue and
        time; else an `eventMapping` (name, venue, date) for SkyBox to map."""
        event = purchase.event
        if not event.name or not event.venue or not event.starts_at:
            raise PosError("the event's name, venue and date are not all known yet; SkyBox needs them")
        day = event.starts_at.date().isoformat()
        found = api.search(
            "/events", {"event": event.name, "eventDateFrom": day, "eventDateTo": day, "limit": 50}
        )
        matches = [e["id"] for e in found if _same_event(e, event.name, event.venue, event.starts_at)]
        if len(matches) == 1 and isinstance(matches[0], int):
            return {"eventId": matches[0]}
        return {
            "eventMapping": {
                "eventName": event.name,
                "venueName": event.venue,
                "eventDate": event.starts_at.replace(tzinfo=None).isoformat(),
            }
        }

    # -- selling: hold --------------------------------------------------------------------------

    def hold(self, context: PosContext, request: HoldRequest) -> HoldOutcome:
        if not request.ticketgroupid.isdigit():
            raise UnknownTicketGroup(
                f"no SkyBox inventory {request.ticketgroupid}: SkyBox inventory ids are numbers"
            )
        tenant, owner = context.tenant_id, uuid.uuid4().hex
        for _ in range(3):
            record = self.orders.get(tenant, NAME, request.marketplace_id, request.order_id)
            if record is None:
                record = {
                    "pos": NAME,
                    "marketplace_id": request.marketplace_id,
                    "order_id": request.order_id,
                    "tgid": request.ticketgroupid,
                    "quantity": request.quantity,
                    "price_per_seat": str(request.price_per_seat),
                    "binding": request.binding,
                    "state": "placing",
                    "owner": owner,
                    "lease_until": _epoch(context.now) + int(ORDER_LEASE_S),
                    "held_at": context.now.isoformat(),
                    "hold_until": _epoch(request.expires_at),
                }
                if self.orders.create(tenant, record):
                    return self._place(context, request, record, owner)
                continue  # a concurrent call for the order won: answer with its record
            if not _same_request(record, request):
                raise OrderConflict(
                    f"order {request.order_id} already holds {record['quantity']} seats of ticket group "
                    f"{record['tgid']} at {record['price_per_seat']}; an order id is held once"
                )
            if record["state"] != "placing":
                return HoldOutcome(order=pos_order(record), created=False)
            if int(record.get("lease_until") or 0) > _epoch(context.now):
                settled = self._await_placed(context, request)
                if settled is not None:
                    return HoldOutcome(order=pos_order(settled), created=False)
                continue
            taken = self.orders.change(  # the call placing it died: take over
                tenant,
                NAME,
                request.marketplace_id,
                request.order_id,
                states=("placing",),
                sets={"owner": owner, "lease_until": _epoch(context.now) + int(ORDER_LEASE_S)},
                require={"owner": record.get("owner")},
            )
            if taken is not None:
                return self._place(context, request, taken, owner)
        raise PosError(
            f"order {request.order_id} is being held in SkyBox by another call right now; try again",
            transient=True,
        )

    def _await_placed(self, context: PosContext, request: HoldRequest) -> dict[str, Any] | None:
        deadline = self._clock() + ORDER_WAIT_S
        while self._clock() < deadline:
            self._sleep(CLAIM_POLL_S)
            record = self.orders.get(context.tenant_id, NAME, request.marketplace_id, request.order_id)
            if record is None:
                return None
            if record["state"] != "placing":
                return record
        raise PosError(
            f"order {request.order_id} is being held in SkyBox by another call right now; try again",
            transient=True,
        )

    def _place(
        self, context: PosContext, request: HoldRequest, record: Mapping[str, Any], owner: str
    ) -> HoldOutcome:
        """Hold the seats in SkyBox for a `placing` record this call owns, then record the hold."""
        tenant = context.tenant_id
        displaced: list[PosOrder] = []
        try:
            api = self.api(context.credentials, tenant)
            stock = self._inventory(api, request.ticketgroupid)
            customer = self._customer(api, request.marketplace_id)
            hold = self._find_hold(api, request.order_id, request.ticketgroupid, customer)
            if hold is None:
                body = {
                    "inventoryId": int(request.ticketgroupid),
                    "quantity": request.quantity,
                    "expiryDate": request.expires_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                    "externalRef": request.order_id,
                    "customerId": customer,
                    "notes": hold_note(request.marketplace_id, request.order_id, request.binding),
                }
                try:
                    hold = api.call("POST", "/holds", body=body, repeatable=False)
                except PosError as refused:
                    room = self._make_room(api, context, request) if refused.status == 400 else None
                    if room is None:  # not a matter of seats: SkyBox's own words
                        raise
                    displaced = room
                    try:
                        hold = api.call("POST", "/holds", body=body, repeatable=False)
                    except PosError as again:
                        if again.status != 400:
                            raise
                        raise SeatsUnavailable(  # others took the seats made free meanwhile
                            f"not available: the seats of SkyBox inventory {request.ticketgroupid} went "
                            "to other orders"
                        ) from None
        except SeatsUnavailable as exc:
            self.orders.delete(tenant, NAME, request.marketplace_id, request.order_id, owner=owner)
            raise SeatsUnavailable(exc.message, displaced=(*displaced, *exc.displaced)) from None
        except BaseException:
            self.orders.delete(tenant, NAME, request.marketplace_id, request.order_id, owner=owner)
            raise
        seats = seat_list(str(hold.get("seats") or ""))
        done = self.orders.change(
            tenant,
            NAME,
            request.marketplace_id,
            request.order_id,
            states=("placing",),
            sets={
                "state": "held",
                "hold_id": str(hold["id"]),
                "seats": seats,
                "group": _group(stock),
                "customer_id": customer,
            },
            removes=("lease_until",),
            require={"owner": owner},
        )
        if done is None:  # taken over meanwhile (this call was slower than its lease): theirs stands
            current = self.orders.get(tenant, NAME, request.marketplace_id, request.order_id)
            if current is None:
                raise PosError(
                    f"order {request.order_id} changed while being held; try again", transient=True
                )
            return HoldOutcome(order=pos_order(current), created=False, displaced=tuple(displaced))
        return HoldOutcome(order=pos_order(done), created=True, displaced=tuple(displaced))

    def _make_room(self, api: SkyBoxApi, context: PosContext, request: HoldRequest) -> list[PosOrder] | None:
        """SkyBox refused the hold: find out whether seats are missing, and when they are, release
        the holds that may give way (expired ones; TixPilot's non-binding ones for a request that
        may displace them) until enough are free, and answer those released. SeatsUnavailable
        (nothing released) when even that would not do; None when seats were not the reason."""
        now = context.now
        holds = [h for h in api.search("/holds", {"inventoryId": int(request.ticketgroupid), "limit": 100})]
        held = {seat for h in holds for seat in seat_list(str(h.get("seats") or ""))}
        tickets = self._inventory(api, request.ticketgroupid).get("tickets") or []
        free = [t for t in tickets if t.get("status") == "AVAILABLE" and str(t.get("seatNumber")) not in held]
        missing = request.quantity - len(free)
        if missing <= 0:
            return None
        yielding: list[tuple[bool, dt.datetime, dict[str, Any]]] = []
        for h in holds:
            expiry = _when(h.get("expiryDate"))
            note = HOLD_NOTE.match(str(h.get("notes") or ""))
            expired = expiry is not None and expiry <= now
            if expired or (request.may_displace and note is not None and note["kind"] == "non-binding"):
                yielding.append((not expired, expiry or now, h))
        yielding.sort(key=lambda y: (y[0], y[1]))
        chosen, gained = [], 0
        for _, _, h in yielding:
            if gained >= missing:
                break
            chosen.append(h)
            gained += len(seat_list(str(h.get("seats") or "")))
        if gained < missing:
            raise SeatsUnavailable(
                f"not available: SkyBox inventory {request.ticketgroupid} has {len(free)} free seats, "
                f"{request.quantity} asked"
            )
        released: list[PosOrder] = []
        for h in chosen:
            note = HOLD_NOTE.match(str(h.get("notes") or ""))
            expiry = _when(h.get("expiryDate"))
            because = (
                "expired"
                if expiry is not None and expiry <= now
                else f"displaced by {request.marketplace_id}#{request.order_id}"
            )
            if note is not None and self.orders.get(
                context.tenant_id, NAME, int(note["marketplace"]), note["order"]
            ):
                try:
                    released.append(self.release(context, int(note["marketplace"]), note["order"], because))
                except OrderConflict:  # invoiced meanwhile: its seats are sold, not free
                    continue
            else:  # an expired hold TixPilot did not make: SkyBox keeps it until deleted
                api.find("DELETE", f"/holds/{int(h['id'])}")
        return released

    def _inventory(self, api: SkyBoxApi, inventory_id: str) -> dict[str, Any]:
        """The inventory with its event and tickets (one search); UnknownTicketGroup if none."""
        found = api.search(
            "/inventory", {"inventoryId": int(inventory_id), "includeTickets": True, "limit": 1}
        )
        match = [i for i in found if str(i.get("id")) == inventory_id]
        if not match:
            raise UnknownTicketGroup(f"no SkyBox inventory {inventory_id} in this account")
        return match[0]

    def _customer(self, api: SkyBoxApi, marketplace_id: int) -> int:
        """The SkyBox customer a marketplace's orders are held and invoiced to: the account's
        default customer for that marketplace, else its default for OTHER."""
        cached = self._customers.get(api.account)
        if cached is None or self._clock() - cached[0] > CUSTOMERS_TTL_S:
            answer = api.call("GET", "/customers/defaults")
            defaults = {
                str(d.get("marketplace")): int(d["customerId"])
                for d in (answer if isinstance(answer, list) else rows(answer, "GET /customers/defaults"))
                if isinstance(d, dict) and d.get("customerId")
            }
            cached = (self._clock(), defaults)
            self._customers[api.account] = cached
        display, marketplace = marketplace_of(marketplace_id)
        customer = cached[1].get(marketplace) or cached[1].get("OTHER")
        if customer is None:
            raise PosError(
                f"SkyBox has no default customer for {display} ({marketplace}) nor OTHER; set one in "
                "SkyBox's default customers"
            )
        return customer

    def _find_hold(
        self, api: SkyBoxApi, order_id: str, inventory_id: str, customer: int
    ) -> dict[str, Any] | None:
        """A hold this order already has (a call that died after SkyBox answered)."""
        found = api.search("/holds", {"externalRef": order_id, "inventoryId": int(inventory_id), "limit": 10})
        return next(
            (
                h
                for h in found
                if h.get("externalRef") == order_id and h.get("customerId") in (customer, None)
            ),
            None,
        )

    # -- selling: the order, invoice, release, complete -------------------------------------------

    def order(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder | None:
        record = self.orders.get(context.tenant_id, NAME, marketplace_id, order_id)
        return pos_order(record) if record else None

    def _record(self, context: PosContext, marketplace_id: int, order_id: str) -> dict[str, Any]:
        record = self.orders.get(context.tenant_id, NAME, marketplace_id, order_id)
        if record is None:
            raise UnknownOrder(f"no hold for order {order_id} of marketplace {marketplace_id}; hold it first")
        return record

    def _lease(self, context: PosContext) -> int:
        return _epoch(context.now) + int(ORDER_LEASE_S)

    def invoice(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder:
        tenant = context.tenant_id
        for _ in range(3):
            record = self._record(context, marketplace_id, order_id)
            state = record["state"]
            if state == "invoiced":
                return pos_order(record)
            if state in ("released", "releasing"):
                raise OrderConflict(
                    f"order {order_id} was released ({record.get('released_because') or 'releasing'}); a "
                    "released hold cannot be invoiced"
                )
            if state == "placing":
                raise OrderConflict(f"order {order_id}'s hold is still being placed; invoice it once held")
            order = pos_order(record)
            if state == "held":
                if order.expired(context.now):
                    self.release(context, marketplace_id, order_id, "expired")
                    raise OrderConflict(
                        f"the hold of order {order_id} expired at {order.expires_at:%Y-%m-%d %H:%M:%S} UTC; "
                        "its seats are available again"
                    )
                claimed = self.orders.change(
                    tenant,
                    NAME,
                    marketplace_id,
                    order_id,
                    states=("held",),
                    sets={"state": "invoicing", "lease_until": self._lease(context)},
                )
                if claimed is None:
                    continue  # released, expired or invoiced meanwhile: read again
                record = claimed
            return self._invoice(context, record)  # invoicing: ours now, or a call that died
        raise OrderConflict(f"order {order_id} changed while being invoiced; try again")

    def _invoice(self, context: PosContext, record: Mapping[str, Any]) -> PosOrder:
        marketplace_id, order_id = int(record["marketplace_id"]), str(record["order_id"])
        api = self.api(context.credentials, context.tenant_id)
        customer = int(record.get("customer_id") or self._customer(api, marketplace_id))
        invoice = self._find_invoice(api, order_id, customer)
        if invoice is None:
            stock = self._inventory(api, str(record["tgid"]))
            seats = {str(s) for s in record.get("seats") or ()}
            tickets = [t for t in stock.get("tickets") or [] if str(t.get("seatNumber")) in seats]
            if len(tickets) != len(seats) or any(t.get("status") != "AVAILABLE" for t in tickets):
                raise OrderConflict(
                    f"the seats of order {order_id} ({', '.join(sorted(seats))}) are no longer available in "
                    "SkyBox inventory; it was changed in SkyBox"
                )
            price = Decimal(str(record["price_per_seat"]))
            body = {
                "customerId": customer,
                "externalRef": order_id,
                "salesTerm": "NET0",
                "taxAmount": 0,
                "shippingAmount": 0,
                "otherAmount": 0,
                "paymentStatus": "UNPAID",
                "fulfillmentStatus": "PENDING",
                "currencyCode": "USD",
                "internalNotes": hold_note(marketplace_id, order_id, bool(record.get("binding", True))),
                "lines": [
                    {
                        "accountId": api.account_id,
                        "lineType": "INVOICE",
                        "lineItemType": "INVENTORY",
                        "quantity": len(tickets),
                        "amount": _money(price * len(tickets)),  # the line's total
                        "itemIds": [int(t["id"]) for t in tickets],
                    }
                ],
            }
            try:  # force: SkyBox invoices held tickets only when told to (they are held: by us)
                invoice = api.call("POST", "/invoices", {"force": True}, body=body, repeatable=False)
            except PosError as exc:
                if exc.status != 400:
                    raise
                invoice = self._find_invoice(api, order_id, customer)  # a concurrent call won
                if invoice is None:
                    raise
        done = self.orders.change(
            context.tenant_id,
            NAME,
            marketplace_id,
            order_id,
            states=("invoicing",),
            sets={
                "state": "invoiced",
                "invoice_id": str(invoice["id"]),
                "invoiced_at": context.now.isoformat(),
            },
            removes=("lease_until",),
        )
        return pos_order(done or self._record(context, marketplace_id, order_id))

    def _find_invoice(self, api: SkyBoxApi, order_id: str, customer: int) -> dict[str, Any] | None:
        found = api.search("/invoices", {"externalRef": order_id, "customerId": customer, "limit": 10})
        return next(
            (
                i
                for i in found
                if i.get("externalRef") == order_id and i.get("customerId") in (customer, None)
            ),
            None,
        )

    def release(self, context: PosContext, marketplace_id: int, order_id: str, because: str) -> PosOrder:
        tenant = context.tenant_id
        for _ in range(3):
            record = self._record(context, marketplace_id, order_id)
            state = record["state"]
            if state == "released":
                return pos_order(record)
            if state == "invoiced":
                raise OrderConflict(
                    f"order {order_id} is invoiced ({record.get('invoice_id')}); it cannot be released"
                )
            leased = int(record.get("lease_until") or 0) > _epoch(context.now)
            if state in ("invoicing", "placing") and leased:
                raise OrderConflict(
                    f"order {order_id} is being {state[:-3]}ed in SkyBox right now; try again"
                )
            if state == "invoicing":  # a call that died invoicing: did SkyBox invoice it?
                api = self.api(context.credentials, tenant)
                invoice = self._find_invoice(api, order_id, int(record.get("customer_id") or 0))
                if invoice is not None:
                    self.orders.change(
                        tenant,
                        NAME,
                        marketplace_id,
                        order_id,
                        states=("invoicing",),
                        sets={"state": "invoiced", "invoice_id": str(invoice["id"])},
                        removes=("lease_until",),
                    )
                    raise OrderConflict(
                        f"order {order_id} is invoiced ({invoice['id']}); it cannot be released"
                    )
            if state != "releasing" or not leased:
                claimed = self.orders.change(
                    tenant,
                    NAME,
                    marketplace_id,
                    order_id,
                    states=(state,),
                    sets={
                        "state": "releasing",
                        "lease_until": self._lease(context),
                        "released_because": because,
                    },
                    require={"lease_until": record.get("lease_until")},
                )
                if claimed is None:
                    continue
                record = claimed
            return self._release(context, record)
        raise OrderConflict(f"order {order_id} changed while being released; try again")

    def _release(self, context: PosContext, record: Mapping[str, Any]) -> PosOrder:
        marketplace_id, order_id = int(record["marketplace_id"]), str(record["order_id"])
        api = self.api(context.credentials, context.tenant_id)
        hold_id = record.get("hold_id")
        if hold_id is None:  # never recorded (its placing call died): find it by the order
            found = self._find_hold(api, order_id, str(record["tgid"]), int(record.get("customer_id") or 0))
            hold_id = found["id"] if found else None
        if hold_id is not None:
            api.find("DELETE", f"/holds/{int(hold_id)}")  # 404: gone already (expired, deleted in SkyBox)
        done = self.orders.change(
            context.tenant_id,
            NAME,
            marketplace_id,
            order_id,
            states=("releasing",),
            sets={"state": "released", "released_at": context.now.isoformat()},
            removes=("lease_until",),
        )
        return pos_order(done or self._record(context, marketplace_id, order_id))

    def complete(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder:
        record = self._record(context, marketplace_id, order_id)
        if record["state"] != "invoiced":
            raise OrderConflict(
                f"order {order_id} is {ORDER_STATES[record['state']]}; only an invoiced order is completed"
            )
        if record.get("completed_at"):
            return pos_order(record)
        api = self.api(context.credentials, context.tenant_id)
        api.call(
            "PUT",
            "/invoices/bulk",
            body={"invoiceIds": [int(record["invoice_id"])], "fulfillmentStatus": "COMPLETE"},
        )
        done = self.orders.change(
            context.tenant_id,
            NAME,
            marketplace_id,
            order_id,
            states=("invoiced",),
            sets={"completed_at": context.now.isoformat()},
        )
        return pos_order(done or record)

    # -- selling: ticket data -------------------------------------------------------------------

    def ticket_data(self, context: PosContext, ticketgroupid: str, seats: list[str]) -> list[SeatTickets]:
        """The barcodes and ticket files SkyBox holds for these seats of the inventory."""
        if not ticketgroupid.isdigit():
            raise UnknownTicketGroup(f"no SkyBox inventory {ticketgroupid}: SkyBox inventory ids are numbers")
        stock = self._inventory(self.api(context.credentials, context.tenant_id), ticketgroupid)
        by_seat = {str(t.get("seatNumber")): t for t in stock.get("tickets") or []}
        found = []
        for seat in seats:
            ticket = by_seat.get(seat)
            if ticket is not None and (ticket.get("barCode") or ticket.get("fileName")):
                found.append(
                    SeatTickets(
                        seat=seat,
                        barcodes=(str(ticket["barCode"]),) if ticket.get("barCode") else (),
                        file_ref=str(ticket["fileName"]) if ticket.get("fileName") else None,
                    )
                )
        return found

    def ticket_file(self, context: PosContext, file_ref: str) -> bytes:
        """A ticket's PDF from SkyBox's assets (it answers the file base64-encoded)."""
        api = self.api(context.credentials, context.tenant_id)
        answer = api.find("GET", f"/assets/{quote(file_ref, safe='')}")
        if answer is None:
            raise UnknownOrder(f"no ticket file {file_ref} in SkyBox")
        text = answer if isinstance(answer, str) else str(answer.get("file") or answer.get("data") or "")
        try:
            return base64.b64decode(text, validate=True)
        except ValueError as exc:
            raise PosError(f"SkyBox answered ticket file {file_ref} in a form TixPilot cannot read") from exc


def _same_event(found: dict[str, Any], name: str, venue: str, starts_at: dt.datetime) -> bool:
    """Same name and venue (case aside) and the same wall-clock start (SkyBox event dates are the
    venue's local time, as ours are)."""
    venue_name = (found.get("venue") or {}).get("name") if isinstance(found.get("venue"), dict) else None
    try:
        when = dt.datetime.fromisoformat(str(found.get("date", "")).replace("Z", "+00:00")).replace(
            tzinfo=None
        )
    except ValueError:
        return False
    return (
        str(found.get("name", "")).casefold() == name.casefold()
        and str(venue_name or "").casefold() == venue.casefold()
        and when == starts_at.replace(tzinfo=None)
    )


@register(SkyBoxPos.name)
def _skybox() -> SkyBoxPos:
    return SkyBoxPos()


__all__ = ["SkyBoxApi", "SkyBoxPos", "describe", "external_ref", "purchase_body", "rows", "seat_blocks"]
