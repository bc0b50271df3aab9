"""GET /v2/purchases (search with every legacy filter, paged), GET /v2/getpdf,
POST /v2/purchases/recordpo."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator, Field

from tixpilot.api import cursors
from tixpilot.api.app import tenant_id
from tixpilot.api.mapping.common import DEFAULT_TIMEZONE
from tixpilot.api.mapping.purchases import purchase_to_legacy, ticket_to_legacy
from tixpilot.api.schemas import Envelope
from tixpilot.errors import InvalidParameter, NotFound
from tixpilot.legacy import parse_date, split_list
from tixpilot.models.base import Model
from tixpilot.models.pos import BY_RECORDPO
from tixpilot.models.purchase_search import (
    NO_REGION,
    DateBound,
    PurchaseFilters,
    decode_cursor,
    encode_cursor,
    normalize_name,
)
from tixpilot.services.purchase_actions import purchase_tickets, record_po
from tixpilot.services.purchase_search import CursorMismatch, search_purchases
from tixpilot.wiring import components

router = Router()

# --- parameter forms (each raises ValueError naming the accepted form; build_app prefixes the
# parameter's name) --------------------------------------------------------------------------


def _date(value: str | None) -> str | None:
    if value is not None:
        parse_date(value)
    return value


def _first_seen(value: str | None) -> str | None:
    if value is not None:
        _date_bound(value)
    return value


def _date_bound(value: str) -> DateBound:
    text = value.strip()
    for op in (">=", "<="):
        if text.startswith(op):
            try:
                return DateBound(op=op, day=parse_date(text[len(op) :]))
            except ValueError as exc:
                raise ValueError(f"{exc}; or >=m/d/yyyy, <=m/d/yyyy") from None
    try:
        return DateBound(op="=", day=parse_date(text))
    except ValueError as exc:
        raise ValueError(f"{exc}; or >=m/d/yyyy, <=m/d/yyyy") from None


def _name(value: str | None) -> str | None:
    if value is not None and not normalize_name(value):
        raise ValueError("empty; give part of the name, e.g. Sugarland")
    return value


_PO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_MAX_LIST = 25


def _poids(value: str | None) -> str | None:
    if value is not None:
        parts = split_list(value)
        if not parts or len(parts) > _MAX_LIST or not all(_PO.match(p) for p in parts):
            raise ValueError(f"use up to {_MAX_LIST} PO numbers separated by commas, e.g. 7654,9876")
    return value


def _ccdigits(value: str | None) -> str | None:
    if value is not None:
        parts = split_list(value)
        if not parts or len(parts) > _MAX_LIST or not all(re.fullmatch(r"\d{4}", p) for p in parts):
            raise ValueError("use the last four digits of cards, separated by commas, e.g. 4242,1881")
    return value


def _choice(*accepted: str) -> Any:
    def check(value: str | None) -> str | None:
        if value is not None and value.strip().lower() not in accepted:
            raise ValueError(f"'{value}' is not accepted; use one of: {', '.join(accepted)}")
        return value

    return check


def _confirmation(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _./-]{0,63}", value.strip()):
        raise ValueError("use the order number without region, e.g. 12-34567")
    return value


def _region(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9]{1,16}", value.strip()):
        raise ValueError("use a region code such as NY, or null for none")
    return value


def _cursor(value: str | None) -> str | None:
    """The token inside the signed cursor; a forged, edited or truncated cursor is a 400."""
    if not value:
        return None
    token = cursors.verify("purchases", value)
    decode_cursor(token)
    return token


def _pair(first: tuple[str, str | None], second: tuple[str, str | None]) -> tuple[Any, Any] | None:
    (first_name, first_value), (second_name, second_value) = first, second
    if first_value is None and second_value is None:
        return None
    if first_value is None or second_value is None:
        missing = first_name if first_value is None else second_name
        other = second_name if first_value is None else first_name
        raise InvalidParameter(missing, f"{missing}: required together with {other} (m/d/yyyy)")
    low, high = parse_date(first_value), parse_date(second_value)
    if high < low:
        raise InvalidParameter(second_name, f"{second_name}: must not be before {first_name}")
    return low, high


def _region_filter(value: str) -> str:
    return NO_REGION if value.strip().lower() == "null" else value.strip().upper()


def _status_filter(value: str) -> Literal["active", "canceled"]:
    return "canceled" if value.strip().lower().startswith("cancel") else "active"


# --- the parameters of GET /v2/purchases ---------------------------------------------------------

DateParam = Annotated[str | None, AfterValidator(_date)]
RidParam = Annotated[int | None, Query(ge=1, description="TixPilot ID of the group")]
FirstSeenParam = Annotated[
    str | None,
    AfterValidator(_first_seen),
    Query(description="m/d/yyyy, >=m/d/yyyy or <=m/d/yyyy, in the account's time zone"),
]
EventDateParam = Annotated[DateParam, Query(description="event date (m/d/yyyy, venue local)")]
EventStartParam = Annotated[DateParam, Query(description="event date range start (m/d/yyyy)")]
EventEndParam = Annotated[DateParam, Query(description="event date range end, inclusive (m/d/yyyy)")]
PurchaseDateParam = Annotated[DateParam, Query(description="purchase date (m/d/yyyy)")]
PurchaseStartParam = Annotated[DateParam, Query(description="purchase date range start (m/d/yyyy)")]
PurchaseEndParam = Annotated[DateParam, Query(description="purchase date range end, inclusive (m/d/yyyy)")]
EventNameParam = Annotated[
    str | None, AfterValidator(_name), Query(description="part of the event name (%name%)")
]
VenueNameParam = Annotated[
    str | None, AfterValidator(_name), Query(description="part of the venue name (%name%)")
]
ConfirmationParam = Annotated[
    str | None,
    AfterValidator(_confirmation),
    Query(description="order number without region, e.g. 12-34567"),
]
RegionParam = Annotated[
    str | None, AfterValidator(_region), Query(description='region code; "null" for none')
]
PoParam = Annotated[str | None, AfterValidator(_poids), Query(description="PO numbers, comma-separated")]
CardsParam = Annotated[
    str | None, AfterValidator(_ccdigits), Query(description="card last four digits, comma-separated")
]
RefundParam = Annotated[
    str | None,
    AfterValidator(_choice("true", "false", "unknown")),
    Query(description="true, false, unknown"),
]
UsernameParam = Annotated[
    str | None, Query(min_length=1, max_length=320, description="purchasing account's username")
]
StatusParam = Annotated[
    str | None,
    AfterValidator(_choice("active", "canceled", "cancelled")),
    Query(description="Active or Canceled"),
]
PageSizeParam = Annotated[int, Query(ge=1, le=500, description="TixPilot extension: purchases per page")]
CursorParam = Annotated[
    str | None,
    AfterValidator(_cursor),
    Query(description="TixPilot extension: the previous page's cursor"),
]


class PurchasesPage(Model):
    purchases: list[dict[str, Any]]
    cursor: str | None = Field(
        default=None,
        description="TixPilot extension: pass as `cursor` (with the same filters) for the next page; "
        "null at the end. A page can be shorter than page_size (even empty) when filters are "
        "combined or with eventname/venuename: follow the cursor until it is null.",
    )


@router.get(
    "/v2/purchases",
    summary="Search the purchases in your account (filters combine with AND)",
    tags=["purchases"],
)
def list_purchases(
    rid: RidParam = None,
    datefirstseen: FirstSeenParam = None,
    eventdate: EventDateParam = None,
    eventdatestart: EventStartParam = None,
    eventdateend: EventEndParam = None,
    purchasedate: PurchaseDateParam = None,
    purchasedatestart: PurchaseStartParam = None,
    purchaseenddate: PurchaseEndParam = None,
    eventname: EventNameParam = None,
    venuename: VenueNameParam = None,
    confirmationnumber: ConfirmationParam = None,
    confirmationregion: RegionParam = None,
    poid: PoParam = None,
    ccdigits: CardsParam = None,
    elig_refund: RefundParam = None,
    username: UsernameParam = None,
    status: StatusParam = None,
    page_size: PageSizeParam = 100,
    cursor: CursorParam = None,
) -> Envelope[PurchasesPage]:
    filters = PurchaseFilters(
        rid=rid,
        datefirstseen=_date_bound(datefirstseen) if datefirstseen else None,
        eventdate=parse_date(eventdate) if eventdate else None,
        eventdate_range=_pair(("eventdatestart", eventdatestart), ("eventdateend", eventdateend)),
        purchasedate=parse_date(purchasedate) if purchasedate else None,
        purchasedate_range=_pair(
            ("purchasedatestart", purchasedatestart), ("purchaseenddate", purchaseenddate)
        ),
        eventname=normalize_name(eventname) if eventname is not None else None,
        venuename=normalize_name(venuename) if venuename is not None else None,
        confirmationnumber=confirmationnumber.strip().upper() if confirmationnumber else None,
        confirmationregion=_region_filter(confirmationregion) if confirmationregion is not None else None,
        poids=split_list(poid) if poid else None,
        ccdigits=split_list(ccdigits) if ccdigits else None,
        elig_refund=elig_refund.strip().lower() if elig_refund else None,
        username=username.strip().lower() if username else None,
        status=_status_filter(status) if status else None,
    )
    return Envelope(output=[_search(filters, page_size, cursor)])


def _search(filters: PurchaseFilters, page_size: int, cursor: str | None) -> PurchasesPage:
    """One page of the tenant's search in the legacy shape; a cursor of other filters is a 400,
    a rid the tenant does not have a 404."""
    try:
        page = search_purchases(
            components.purchases(),
            tenant_id(),
            filters,
            page_size,
            decode_cursor(cursor) if cursor else None,
            DEFAULT_TIMEZONE,
        )
    except CursorMismatch as exc:
        raise InvalidParameter("cursor", f"cursor: {exc}") from None
    if page is None:
        raise NotFound(f"no purchase with rid {filters.rid} in your account")
    return PurchasesPage(
        purchases=[purchase_to_legacy(p, DEFAULT_TIMEZONE) for p in page.purchases],
        cursor=cursors.sign("purchases", encode_cursor(page.cursor)),
    )


class SeatsOut(Model):
    seats: list[dict[str, Any]]


@router.get("/v2/getpdf", summary="Barcodes and PDF links of a purchase's seats", tags=["purchases"])
def get_pdf(
    rid: Annotated[int, Query(ge=1, description="TixPilot ID of the group")],
) -> Envelope[SeatsOut]:
    seats = purchase_tickets(components.purchases(), components.ticket_files(), tenant_id(), rid)
    return Envelope(
        output=[SeatsOut(seats=[ticket_to_legacy(s.purchase, s.ticket, s.pdf_url) for s in seats])]
    )


_RECORDPO_NAMES = tuple(BY_RECORDPO)
_RECORDPO_LIST = f"{', '.join(_RECORDPO_NAMES[:-1])} or {_RECORDPO_NAMES[-1]}"


@router.post(
    "/v2/purchases/recordpo",
    summary="Record an existing PO number on a purchase (creates nothing in the POS)",
    tags=["purchases"],
)
def record_purchase_order(
    rid: Annotated[int, Query(ge=1, description="TixPilot ID of the group")],
    po: Annotated[
        str,
        Query(
            min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$", description="the PO number"
        ),
    ],
    posname: Annotated[
        str | None,
        AfterValidator(_choice(*_RECORDPO_NAMES)),
        Query(description=f"your POS: {_RECORDPO_LIST}"),
    ] = None,
    pos: Annotated[
        str | None,
        AfterValidator(_choice(*_RECORDPO_NAMES)),
        Query(description="the same as posname (the legacy example's spelling)"),
    ] = None,
) -> Envelope[dict[str, Any]]:
    chosen = posname or pos
    if chosen is None:
        raise InvalidParameter("posname", f"posname: required; one of {', '.join(_RECORDPO_NAMES)}")
    record_po(components.purchases(), tenant_id(), rid, BY_RECORDPO[chosen.strip().lower()].name, po)
    return Envelope(output=[])
