"""Instant Notification's messages: what its two queues carry, and the state kept per order.

`ion-sales` carries sale notifications, whoever received them (the generic `POST /ion/v1/sales`,
the StubHub and Ticket Evolution webhooks, the Vivid Seats poller):
`{"tenant_id", "notification": SaleNotification}` and, from the generic endpoint, the `credid` of
the marketplace key that posted it. `ion-tasks` carries what is due later or elsewhere: an
automatic rejection, a hold's expiry, a person's decision to carry out through the marketplace.
"""

import datetime as dt
from typing import Literal

from pydantic import Field

from tixpilot.models.base import Model
from tixpilot.models.marketplaces import SaleNotification


class SaleMessage(Model):
    """One notification on the `ion-sales` queue."""

    tenant_id: str
    notification: SaleNotification
    credential_id: str = ""  # the marketplace key's credid (generic v1); "" for native channels


TaskKind = Literal["auto_reject", "decide", "expire_hold"]


class IonTask(Model):
    """One task on the `ion-tasks` queue: do `kind` for the order once `due` has come.

    SQS delays a message by 15 minutes at most, so a task due later is sent again with the rest
    of its delay whenever it arrives early (a chain of delays)."""

    tenant_id: str
    kind: TaskKind
    marketplace_id: int
    order_id: str
    due: dt.datetime


class IonOrder(Model):
    """What the sales worker keeps per marketplace order, beside its sale: which notifications it
    has handled (by `dedupe_key`), whether the marketplace cancelled the order (a `created` that
    arrives afterwards must not make a sale), and who works on it now (a lease, so the
    notifications and tasks of one order are handled one at a time)."""

    tenant_id: str
    marketplace_id: int
    order_id: str
    events: set[str] = Field(default_factory=set)
    cancelled: bool = False
    received_at: dt.datetime | None = None
