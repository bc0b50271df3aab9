"""The messages of the ION intake queue (`Settings.queue_name("ion-sales")`).

One message per sale notification, whoever produced it (the marketplaces' webhooks, the poller,
the generic ION endpoint), so the worker handles them all alike:
`{"tenant_id": "...", "notification": SaleNotification.model_dump(mode="json")}`. Delivery is at
least once and the same notification may be sent more than once (a marketplace repeating a
webhook, a poll seeing an order again): the worker acts once per `notification.dedupe_key`.
"""

from __future__ import annotations

from pydantic import BaseModel

from tixpilot.models.marketplaces import SaleNotification

ION_QUEUE = "ion-sales"  # the queue's purpose: Settings.queue_name(ION_QUEUE)


class IonSaleMessage(BaseModel):
    tenant_id: str
    notification: SaleNotification
