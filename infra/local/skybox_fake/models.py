"""The request bodies the fake SkyBox accepts, as SkyBox's public generated client declares them:
the same JSON names (camelCase), the same required fields, enums and limits. Only the fields the
fake acts on are declared beyond the required ones; other keys are ignored, as the client ignores
keys it does not know.

Where the client's prose and its models disagree on what is required, the fake enforces the
models (the stricter), with one documented exception: an inventory line needs `eventId` OR an
`eventMapping` (the model marks `eventId` required, its description says "if event mapping is
empty").
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

Money = Annotated[float, Field(strict=True, ge=0)]  # a JSON number (an int too), never a string
AnyMoney = Annotated[float, Field(strict=True)]

PaymentMethod = Literal[
    "CREDITCARD", "CASH", "CHECK", "PAYPAL", "TRADE", "VENMO", "OTHER", "ACCRUEDCREDIT", "ACH", "AR",
    "AP", "EVOPAY", "MULTIPLE", "COMPLIMENTARY", "CUSTOMER_CREDIT", "ZELLE",
]  # fmt: skip
DeliveryMethod = Literal[
    "COURIER", "EMAIL", "USPS", "UPS", "FEDEX", "WILLCALL", "PAPERLESS", "MEETANDGREET", "FLASHSEATS",
    "MOBILE_DELIVERY", "OFFICE_PICKUP", "OTHER",
]  # fmt: skip
StockType = Literal[
    "HARD", "ELECTRONIC", "FLASH", "PAPERLESS", "PAPERLESS_CARD", "MOBILE_TRANSFER", "MOBILE_SCREENCAP"
]  # fmt: skip
SeatType = Literal["CONSECUTIVE", "ALTERNATING", "GA", "PIGGYBACK"]
SplitType = Literal["DEFAULT", "ANY", "CUSTOM", "NEVERLEAVEONE"]
Term = Literal["NET0", "NET10", "NET15", "NET25", "NET30", "NET45", "NET60"]
PaymentStatus = Literal["UNPAID", "PAID", "PARTIAL", "VOID"]
FulfillmentStatus = Literal["PENDING", "COMPLETE"]
TicketStatus = Literal["AVAILABLE", "SOLD", "ERROR", "CANCELLED"]
CurrencyCode = Literal["USD", "CAD", "EUR", "GBP", "JPY", "BRL", "XBT", "AUD", "MXN"]
InvoiceStatus = Literal[
    "CONTACT_NEEDED", "COMPLETED", "DELIVERY_FAILURE", "EVENT_CANCELLED", "EVENT_RESCHEDULED",
    "INVESTIGATION_CLOSED", "INVESTIGATION_CLOSED_BUYER_FAVOR", "INVESTIGATION_CLOSED_SELLER_FAVOR",
    "INVESTIGATION_PENDING", "MANAGER_REVIEW", "ORDER_PARTIALLY_VOID_CANCELLED", "ORDER_VOID_CANCELLED",
    "WAITING_FOR_RESPONSE",
]  # fmt: skip
Marketplace = Literal[
    "VIVID_SEATS", "STUBHUB", "TICKET_NETWORK", "EVENT_INVENTORY", "FANXCHANGE", "GAMETIME", "SEATGEEK",
    "TICKET_EVOLUTION", "TICKPICK", "VIAGOGO", "TICKET_CITY", "RAZORGATOR", "SCOREBIG", "OTHER",
]  # fmt: skip


class Wire(BaseModel):
    """JSON names only (aliases), unknown keys ignored."""

    model_config = ConfigDict(populate_by_name=False, extra="ignore")


class EventMapping(Wire):
    event_name: StrictStr = Field(alias="eventName")
    venue_name: StrictStr = Field(alias="venueName")
    event_date: dt.datetime | None = Field(default=None, alias="eventDate")
    valid: StrictBool | None = None


class Ticket(Wire):
    id: StrictInt | None = None
    seat_number: Annotated[int, Field(strict=True, ge=1)] = Field(alias="seatNumber")
    file_name: Annotated[str, Field(max_length=45)] | None = Field(default=None, alias="fileName")
    bar_code: Annotated[str, Field(max_length=45)] | None = Field(default=None, alias="barCode")
    external_ticket_id: Annotated[str, Field(max_length=255)] | None = Field(
        default=None, alias="externalTicketId"
    )
    section: Annotated[str, Field(min_length=1, max_length=51)]
    row: Annotated[str, Field(min_length=1, max_length=44)]
    cost: AnyMoney
    face_value: Money = Field(alias="faceValue")
    sell_price: Money = Field(alias="sellPrice")
    stock_type: StockType = Field(alias="stockType")
    status: TicketStatus
    base64_file_bytes: StrictStr | None = Field(default=None, alias="base64FileBytes")


class Inventory(Wire):
    event_id: StrictInt | None = Field(default=None, alias="eventId")
    event_mapping: EventMapping | None = Field(default=None, alias="eventMapping")
    quantity: Annotated[int, Field(strict=True, ge=1)]
    section: Annotated[str, Field(min_length=1, max_length=51)]
    row: Annotated[str, Field(min_length=1, max_length=44)]
    low_seat: Annotated[int, Field(strict=True, ge=1)] | None = Field(default=None, alias="lowSeat")
    high_seat: StrictInt | None = Field(default=None, alias="highSeat")
    cost: Money
    face_value: Money | None = Field(default=None, alias="faceValue")
    list_price: Money | None = Field(default=None, alias="listPrice")
    stock_type: StockType = Field(alias="stockType")
    seat_type: SeatType = Field(alias="seatType")
    split_type: SplitType = Field(alias="splitType")
    custom_split: Annotated[str, Field(pattern=r"^\d*(,\d*)*$")] | None = Field(
        default=None, alias="customSplit"
    )
    in_hand_date: dt.date | None = Field(default=None, alias="inHandDate")
    notes: Annotated[str, Field(max_length=1000)] | None = None
    public_notes: Annotated[str, Field(max_length=1000)] | None = Field(default=None, alias="publicNotes")
    tickets: list[Ticket] | None = None

    @model_validator(mode="after")
    def _event_and_seats(self) -> Inventory:
        if self.event_id is None and self.event_mapping is None:
            raise ValueError("eventId is required on inserts if eventMapping is empty")
        if not self.tickets and (self.low_seat is None or self.high_seat is None):
            raise ValueError("lowSeat and highSeat are required on inserts if the tickets array is empty")
        if self.tickets and len(self.tickets) != self.quantity:
            raise ValueError(f"quantity {self.quantity} does not match the {len(self.tickets)} tickets given")
        return self


class Line(Wire):
    account_id: StrictInt = Field(alias="accountId")
    quantity: StrictInt | None = None
    description: StrictStr | None = None
    amount: AnyMoney
    line_type: Literal["PURCHASE", "INVOICE"] | None = Field(default=None, alias="lineType")
    line_item_type: Literal["GENERIC", "INVENTORY"] = Field(alias="lineItemType")
    item_ids: list[StrictInt] | None = Field(default=None, alias="itemIds")
    inventory: Inventory | None = None


class Purchase(Wire):
    vendor_id: Annotated[int, Field(strict=True, ge=1)] | None = Field(default=None, alias="vendorId")
    lines: list[Line]
    payment_method: PaymentMethod = Field(alias="paymentMethod")
    delivery_method: DeliveryMethod = Field(alias="deliveryMethod")
    purchase_term: Term | None = Field(default=None, alias="purchaseTerm")
    payment_ref: Annotated[str, Field(max_length=45)] | None = Field(default=None, alias="paymentRef")
    payment_status: PaymentStatus | None = Field(default=None, alias="paymentStatus")
    currency_code: CurrencyCode | None = Field(default=None, alias="currencyCode")
    credit_card_id: StrictInt | None = Field(default=None, alias="creditCardId")
    credit_card_group_id: StrictInt | None = Field(default=None, alias="creditCardGroupId")
    external_ref: StrictStr | None = Field(default=None, alias="externalRef")
    internal_notes: Annotated[str, Field(max_length=10000)] | None = Field(
        default=None, alias="internalNotes"
    )
    public_notes: Annotated[str, Field(max_length=10000)] | None = Field(default=None, alias="publicNotes")
    tax_amount: AnyMoney | None = Field(default=None, alias="taxAmount")
    shipping_amount: AnyMoney | None = Field(default=None, alias="shippingAmount")
    other_amount: AnyMoney | None = Field(default=None, alias="otherAmount")
    status: InvoiceStatus | None = None  # the client reuses the invoice status enum here

    @model_validator(mode="after")
    def _minimum(self) -> Purchase:
        if self.vendor_id is None:
            raise ValueError("vendorId is the minimum required field of a purchase")
        if not self.lines:
            raise ValueError("a purchase needs at least one line")
        for n, line in enumerate(self.lines):
            if line.line_item_type == "INVENTORY" and line.inventory is None:
                raise ValueError(f"lines[{n}]: an INVENTORY purchase line needs its inventory")
        return self


class HoldRequest(Wire):
    expiry_date: dt.datetime = Field(alias="expiryDate")
    inventory_id: StrictInt | None = Field(default=None, alias="inventoryId")
    exchange_pos_id: StrictInt | None = Field(default=None, alias="exchangePosId")
    quantity: Annotated[int, Field(strict=True, ge=1)] | None = None
    low_seat: Annotated[int, Field(strict=True, ge=1)] | None = Field(default=None, alias="lowSeat")
    customer_id: StrictInt | None = Field(default=None, alias="customerId")
    external_ref: StrictStr | None = Field(default=None, alias="externalRef")
    notes: StrictStr | None = None


class Invoice(Wire):
    customer_id: Annotated[int, Field(strict=True, ge=1)] | None = Field(default=None, alias="customerId")
    lines: list[Line]
    sales_term: Term = Field(alias="salesTerm")
    tax_amount: AnyMoney = Field(alias="taxAmount")
    shipping_amount: AnyMoney = Field(alias="shippingAmount")
    other_amount: AnyMoney = Field(alias="otherAmount")
    payment_status: PaymentStatus = Field(alias="paymentStatus")
    fulfillment_status: FulfillmentStatus = Field(alias="fulfillmentStatus")
    payment_method: PaymentMethod | None = Field(default=None, alias="paymentMethod")
    delivery_method: DeliveryMethod | None = Field(default=None, alias="deliveryMethod")
    external_ref: Annotated[str, Field(max_length=255)] | None = Field(default=None, alias="externalRef")
    public_notes: Annotated[str, Field(max_length=50000)] | None = Field(default=None, alias="publicNotes")
    internal_notes: Annotated[str, Field(max_length=50000)] | None = Field(
        default=None, alias="internalNotes"
    )

    @model_validator(mode="after")
    def _minimum(self) -> Invoice:
        if self.customer_id is None:
            raise ValueError("customerId is required (the minimum: customerId, lines, amount, itemIds)")
        if not self.lines:
            raise ValueError("an invoice needs at least one line")
        for n, line in enumerate(self.lines):
            if not line.item_ids:
                raise ValueError(f"lines[{n}]: itemIds are required for invoice line inserts")
        return self


class BulkInvoiceUpdate(Wire):
    invoice_ids: list[StrictInt] = Field(alias="invoiceIds")
    payment_status: PaymentStatus | None = Field(default=None, alias="paymentStatus")
    fulfillment_status: FulfillmentStatus | None = Field(default=None, alias="fulfillmentStatus")
    status: InvoiceStatus | None = None
