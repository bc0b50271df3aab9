"""The sales endpoints' request and answer shapes, with the legacy field names kept exactly.

Validators raise ValueError with the accepted form, so a bad field is a 400 E_PARAM whose message
starts with its path (`priceperseat.list: ...`). Numbers and ids are accepted as JSON numbers or
strings, as legacy clients send either.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from tixpilot.api.schemas import check_identifier
from tixpilot.legacy import parse_date, parse_datetime
from tixpilot.models.base import Model
from tixpilot.models.pos import SalePos
from tixpilot.services.reference import check_resale_marketplace


def _identifier_text(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _number_id(value: object) -> object:
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    return value


def _money(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError('is not an amount; use a decimal string like "200.55"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"'{value}' is not an amount; use a decimal string like \"200.55\"") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise ValueError(f"'{value}' is not an amount; use a decimal from 0 to 9999999999.99")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"'{value}' has more than 2 decimals; amounts are in dollars and cents")
    return amount.quantize(Decimal("0.01"))


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{value!r} is not a boolean; use true or false")


def _date(value: object) -> dt.date:
    if not isinstance(value, str):
        raise ValueError("is not a date; use m/d/yyyy, e.g. 5/25/2019")
    return parse_date(value)


def _datetime(value: object) -> dt.datetime:
    example = "use m/d/yyyy h:mm AM/PM, e.g. 10/15/2018 4:55 PM"
    if not isinstance(value, str):
        raise ValueError(f"is not a date and time; {example}")
    try:
        return parse_datetime(value)
    except ValueError:
        raise ValueError(f"'{value[:40]}' is not a date and time; {example}") from None


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


Identifier = Annotated[str, BeforeValidator(_identifier_text), AfterValidator(check_identifier)]
Text = Annotated[str, BeforeValidator(_identifier_text), Field(max_length=200)]
Money = Annotated[Decimal, BeforeValidator(_money), Field(json_schema_extra={"examples": ["200.55"]})]
Flag = Annotated[bool, BeforeValidator(_flag)]
LegacyDate = Annotated[dt.date, BeforeValidator(_date), Field(json_schema_extra={"examples": ["5/25/2019"]})]
LegacyDateTime = Annotated[
    dt.datetime, BeforeValidator(_datetime), Field(json_schema_extra={"examples": ["10/15/2018 4:55 PM"]})
]
ResaleMarketplaceId = Annotated[
    int,
    BeforeValidator(_number_id),
    AfterValidator(check_resale_marketplace),
    Field(description="resale marketplace id (1 stubhub, 4 vivid, ...; GET /v2/marketplaces?type=resale)"),
]


class PricePerSeatIn(Model):
    list: Money
    face: Money
    cost: Money


class PricePerSaleIn(Model):
    total: Money
    fees: Money
    payout: Money


class SaleEventIn(Model):
    name: Annotated[Text, Field(min_length=1)]
    venue: Text
    state: Text | None = None
    datetimelocal: LegacyDateTime


class SeatIn(Model):
    seatnumber: Annotated[Text, Field(min_length=1, max_length=20)]
    seatid: Identifier


class SaleAddIn(Model):
    """The body of POST /v2/sales/add (every field of the reference; unknown fields are ignored)."""

    saleid: Annotated[Identifier, Field(description="marketplace sale (order) id")]
    credid: Annotated[Identifier, Field(description="the credid of your key for this marketplace")]
    posused: Annotated[SalePos, BeforeValidator(_lower)]
    deliveryformat: Annotated[
        Literal[
            "hard",
            "eticket",
            "transfer",
            "barcode",
            "flash",
            "mobileqr",
            "willcall",
            "locaklpickup",
            "localpickup",
        ],
        BeforeValidator(_lower),
        Field(description="`locaklpickup` (the legacy spelling) and `localpickup` are the same"),
    ]
    saledatetime: LegacyDateTime
    marketplaceid: ResaleMarketplaceId
    ticketgroupid: Identifier
    invoiceid: Identifier
    inhanddate: LegacyDate
    confirmed: Flag
    fulfilled: Flag
    priceperseat: PricePerSeatIn
    pricepersale: PricePerSaleIn
    event: SaleEventIn
    section: Annotated[Text, Field(min_length=1)]
    row: Text
    seats: Annotated[list[SeatIn], Field(min_length=1, max_length=500)]

    @field_validator("seats")
    @classmethod
    def _distinct_seats(cls, seats: list[SeatIn]) -> list[SeatIn]:
        numbers = [s.seatnumber for s in seats]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise ValueError(f"seat {duplicates[0]} is listed twice; list each seat sold once")
        return seats


class CompleteSaleIn(Model):
    """One sale of the POST /sales/v1/complete-sale list."""

    user_id: Annotated[Identifier, Field(description="your user id (GET /v2/verify `userid`)")]
    order_id: Identifier
    marketplace_id: ResaleMarketplaceId


class SaleEventOut(Model):
    name: str
    venue: str
    date: str = Field(description="yyyy-mm-dd")
    time: str = Field(description="HH:MM, 24-hour, local to the venue")


class SaleTicketsOut(Model):
    section: str
    row: str
    quantity: int
    seatfirst: str
    seatlast: str
    total_order: str
    total_payment: str


class HoldDetailsOut(Model):
    received: str
    removed_date: str
    removed_by: str


class FulfillmentAttemptOut(Model):
    attempt: int = Field(description="1, 2, ...; 0 for a decision that is not an attempt (held for a delay)")
    at: str = Field(description="m/d/yyyy h:mm:ss AM in your time zone")
    outcome: str = Field(
        description="delivered, waiting, refused, failed, held, manual, impossible or given_up"
    )
    message: str


class FulfillmentOut(Model):
    """TixPilot extension: every delivery attempt of the sale (the `fulfill` step shows the last)."""

    attempts: int = Field(description="delivery attempts so far")
    next_attempt: str = Field(description="when the next attempt is due (m/d/yyyy h:mm:ss AM); empty if none")
    delivered: str = Field(description="when it was delivered; empty until then")
    delivery: str = Field(description="what was delivered: pdf, barcodes, transfer or qr; empty until then")
    history: list[FulfillmentAttemptOut] = Field(description="the last 20 attempts, oldest first")


class SaleOut(Model):
    orderid: str
    marketplace: str
    marketplaceid: int
    ticketstock: str
    type: str
    processing: list[dict[str, str]] = Field(
        description='one entry per step done or pending, e.g. {"invoice": "success", "message": "19033333"}'
    )
    event: SaleEventOut
    tickets: SaleTicketsOut
    hold_details: HoldDetailsOut
    fulfillment: FulfillmentOut | None = Field(
        default=None,
        description="TixPilot extension: the delivery attempts; null until fulfillment is asked for",
    )


class CompleteSaleOut(Model):
    user_id: str
    order_id: str
    marketplace_id: int
    status: Literal["success", "error"]
    messageid: str
    message: str
