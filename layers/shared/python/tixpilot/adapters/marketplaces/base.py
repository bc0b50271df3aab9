"""The interface every native marketplace adapter implements, and its errors.

A native adapter speaks one resale marketplace's own API: its authentication, the way it
announces sales (webhooks pushed to TixPilot, or orders TixPilot polls for), and its confirm,
reject and deliver calls. Marketplaces without one use the generic v1 endpoints (/oi/v1, /ion/v1).
`tixpilot.adapters.marketplaces.registry.adapter_for(marketplace_id)` picks the adapter.

Inbound, for the webhook routes and the poller:
- `webhook_account(request)` -> the account key a delivery claims (unverified), to find the
  tenant and its credentials; `parse_webhook(request, credentials)` verifies the delivery with
  those credentials (raising `WebhookRejected`) and answers its notifications (possibly none,
  e.g. a ping).
- `poll(credentials, feed, cursor)` for marketplaces that only answer polls: one page of one feed;
  `poll_feeds` gives each feed's minimum interval between requests (the marketplace's rate
  limit). Scheduling is the caller's job.
- `register_webhook(credentials, url, authorization)` where the marketplace has an API for it.
- `get_sale(credentials, order_id)` -> the order as the marketplace shows it now (StubHub's
  webhooks do not name the broker's listing: fetch the sale for `ticketgroupid`).

Outbound, for the worker and fulfillment: `confirm(credentials, order_id, seats)`,
`reject(credentials, order_id, reason, notes)`, `deliver(credentials, order_id, delivery)`.
Confirming a confirmed order or rejecting a rejected one succeeds (retries are safe).

Errors: every outbound failure is a `MarketplaceError` whose `transient` says whether trying
again later can help (5xx, 429, timeouts, unreachable) or not (401/403, other 4xx, a refusal).
The adapters already retry transient failures a few times with backoff (adapters/http.py) before raising.

Credentials are the plain mapping the tenant stored (`required_credentials` lists the keys); the
marketplaces' base URLs come from Settings (TIXPILOT_STUBHUB_URL, ...).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar, Literal, Protocol, cast

from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.models.marketplaces import (
    Credentials,
    Delivery,
    DeliveryKind,
    MarketplaceSale,
    PollPage,
    RejectReason,
    SaleNotification,
    WebhookRequest,
)

# The credential under which the Authorization value given to `register_webhook` is kept (the
# marketplace echoes it in each delivery); TixPilot writes it when it registers the webhook.
WEBHOOK_CREDENTIAL = "webhook_authorization"

Integration = Literal["oi", "ion"]
NotificationStyle = Literal["webhook", "poll"]


class MarketplaceError(Exception):
    """A marketplace call failed. `transient`: the same call may succeed later (retry it);
    otherwise it will not until something changes (credentials, the order, our request).
    `status` is the HTTP status when there was an answer."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None, marketplace: str = ""):
        super().__init__(f"{marketplace}: {message}" if marketplace else message)
        self.message = message
        self.transient = transient
        self.status = status
        self.marketplace = marketplace


class WebhookRejected(Exception):
    """A webhook delivery that is not authentic (status 401) or not readable (status 400)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class MarketplaceAdapter(Protocol):
    marketplace_id: ClassVar[int]  # the resale id (1 StubHub, 4 Vivid Seats, 1001 Ticket Evolution)
    name: ClassVar[str]  # the resale table's name: "stubhub", "vivid", "tevo"
    integration: ClassVar[Integration]  # how the resale table says 1Ticket integrates it
    notifications: ClassVar[NotificationStyle]  # how sales reach TixPilot: pushed, or polled for
    registers_webhooks: ClassVar[bool]  # whether `register_webhook` has an API to call
    poll_feeds: ClassVar[Mapping[str, float]]  # feed -> minimum seconds between two requests
    deliveries: ClassVar[frozenset[DeliveryKind]]  # what `deliver` can hand over
    required_credentials: ClassVar[frozenset[str]]

    def account_key(self, credentials: Credentials) -> str:
        """The key notifications for this account carry as `seller` (a hash of the credential
        the marketplace identifies the account by), to find the tenant."""
        ...

    def webhook_account(self, request: WebhookRequest) -> str | None:
        """The account key a webhook delivery claims, before it is verified; None if it names none."""
        ...

    def parse_webhook(self, request: WebhookRequest, credentials: Credentials) -> list[SaleNotification]:
        """Verify a delivery with the account's credentials and read its notifications.

        Raises WebhookRejected: 401 when it is not authentic, 400 when it cannot be read."""
        ...

    def register_webhook(self, credentials: Credentials, url: str, authorization: str) -> str:
        """Subscribe `url` to the account's sale notifications; the marketplace sends
        `authorization` back in each delivery's Authorization header. Answers the webhook id."""
        ...

    def poll(self, credentials: Credentials, feed: str, cursor: str | None) -> PollPage:
        """One page of a poll feed (`poll_feeds`); `cursor` from the previous page, None to start."""
        ...

    def get_sale(self, credentials: Credentials, order_id: str) -> MarketplaceSale:
        """The order as the marketplace shows it now."""
        ...

    def confirm(self, credentials: Credentials, order_id: str, seats: list[str]) -> None:
        """Confirm the sale; `seats` are the seat numbers that will be delivered (may be empty)."""
        ...

    def reject(self, credentials: Credentials, order_id: str, reason: RejectReason, notes: str = "") -> None:
        """Reject the sale (the seats cannot be delivered); `notes` where the marketplace takes them."""
        ...

    def deliver(self, credentials: Credentials, order_id: str, delivery: Delivery) -> None:
        """Hand the tickets to the buyer through the marketplace (a kind in `deliveries`)."""
        ...


def account_key_of(value: str) -> str:
    """A credential's account key: its SHA-256, so lookups can be made without storing it."""
    return hashlib.sha256(value.encode()).hexdigest()


def require_credentials(credentials: Credentials, keys: frozenset[str], marketplace: str) -> None:
    missing = sorted(key for key in keys if not credentials.get(key))
    if missing:
        raise MarketplaceError(
            f"the credentials lack {', '.join(missing)} (they need {', '.join(sorted(keys))})",
            transient=False,
            marketplace=marketplace,
        )


def unsupported(marketplace: str, what: str) -> MarketplaceError:
    return MarketplaceError(
        f"{what} is not available through this API", transient=False, marketplace=marketplace
    )


def resale_entry(marketplace_id: int) -> tuple[str, Integration]:
    """(name, integration) of a resale marketplace, from the reference table (one source of ids)."""
    for entry in RESALE_MARKETPLACES:
        if entry["id"] == marketplace_id:
            return str(entry["name"]), cast(Integration, entry["integration"])
    raise KeyError(f"no resale marketplace {marketplace_id}")


def unless_already(
    error: MarketplaceError, status_now: Callable[[], str | None], done: Iterable[str]
) -> None:
    """Re-raise a refused confirm/reject unless the order is already where it would have taken it
    (a repeat of a write that succeeded): `status_now()` reads the order's status, compared to
    `done` case-insensitively. Transient and auth failures are re-raised without a read."""
    if error.transient or error.status in (401, 404):
        raise error
    try:
        status = (status_now() or "").lower()
    except MarketplaceError:
        raise error from None
    if status not in {word.lower() for word in done}:
        raise error
