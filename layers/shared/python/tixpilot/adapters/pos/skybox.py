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

import datetime as dt
import itertools
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, Protocol
from urllib.parse import urlencode

from tixpilot.adapters.http import Body, HttpResponse, RetryingHttp
from tixpilot.adapters.pos.base import PoInProgress, PoRequest, PoResult, PosError
from tixpilot.adapters.pos.registry import register
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


class CredentialSource(Protocol):
    def get(self, tenant_id: str, pos: str) -> dict[str, str] | None: ...


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

    def find(self, path: str) -> Any:
        """GET one object; None when SkyBox answers 404."""
        try:
            return self.call("GET", path)
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


# --- the adapter -------------------------------------------------------------------------------


class SkyBoxPos:
    name: ClassVar[PosName] = NAME

    def __init__(
        self,
        credentials: CredentialSource | None = None,
        claims: ClaimStore | None = None,
        http: RetryingHttp | None = None,
        base_url: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._credentials = credentials
        self._claims = claims
        self.http = http or RetryingHttp(NAME, error=skybox_error)
        self._base_url = base_url
        self._clock, self._sleep = clock, sleep

    @property
    def credentials(self) -> CredentialSource:
        if self._credentials is None:
            from tixpilot.adapters.pos.credentials import PosCredentialVault

            self._credentials = PosCredentialVault()
        return self._credentials

    @property
    def claims(self) -> ClaimStore:
        if self._claims is None:
            from tixpilot.repositories.po_claims import PoClaimRepository

            self._claims = PoClaimRepository()
        return self._claims

    def api(self, tenant_id: str) -> SkyBoxApi:
        """The tenant's SkyBox account."""
        credentials = self.credentials.get(tenant_id, NAME)
        if credentials is None:
            raise PosError(
                "no SkyBox credentials for this account yet: set them with `tixpilot pos-credentials set "
                f"--tenant-id {tenant_id} --pos skybox --account ... --api-token ... --application-token ...`"
            )
        return SkyBoxApi(self._base_url or get_settings().skybox_url, credentials, self.http)

    # -- create_po ------------------------------------------------------------------------------

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
        api = self.api(tenant)  # before the claim: missing credentials need no claim
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
