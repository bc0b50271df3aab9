"""POST /webhooks/{marketplace}: sales the marketplaces push (StubHub, Ticket Evolution).

Public: no x-api-token. Each delivery proves itself the marketplace's own way (StubHub echoes
the Authorization value TixPilot registered; TEvo signs with the seller's token and secret), and
the account it claims names the tenant. Its notifications are queued for the ION worker and the
delivery answered at once; nothing is invoiced or confirmed before the answer.
"""

from __future__ import annotations

import base64
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field

from tixpilot.api.schemas import Envelope, ErrorEnvelope
from tixpilot.errors import TixPilotError, Unavailable
from tixpilot.models.base import Model
from tixpilot.models.marketplaces import WebhookRequest
from tixpilot.observability import logger, metrics
from tixpilot.services.sales_inbound import receive_webhook
from tixpilot.settings import get_settings
from tixpilot.wiring.marketplaces import webhook_deps

router = Router()


class WebhookOut(Model):
    queued: int = Field(description="sale notifications taken from the delivery (0 for a ping)")


@router.post(
    "/webhooks/<marketplace>",
    summary="Receive a marketplace's sale webhook (StubHub, Ticket Evolution)",
    description="Called by the marketplace, not by clients: StubHub with the Authorization value "
    "TixPilot registered for the seller, TEvo form-encoded with X-Token and X-Signature. 200 once "
    "the notifications are queued; 401 when the delivery is not from a connected account or is "
    "not authentic; 400 when it cannot be read; 503 when it could not be queued (retry).",
    tags=["marketplaces"],
    # public: an empty list overrides the document's default (x-api-token); Powertools drops an
    # empty `security=`, so it goes in as an extension field of the operation
    openapi_extensions={"security": []},
    responses={
        200: {"description": "Queued for the ION worker"},
        401: {
            "description": "Not from a connected account, or not authentic (E_AUTH)",
            "content": {"application/json": {"model": ErrorEnvelope}},
        },
        503: {
            "description": "Could not be queued now; the marketplace retries (E_UNAVAILABLE)",
            "content": {"application/json": {"model": ErrorEnvelope}},
        },
    },
)
def webhook(
    marketplace: Annotated[str, Path(description="stubhub or tevo", max_length=40)],
) -> Envelope[WebhookOut]:
    event = router.current_event
    body = event.body or ""
    request = WebhookRequest(
        method=event.http_method,
        url=_public_url(marketplace),
        headers=dict(event.headers or {}),
        body=base64.b64decode(body) if event.is_base64_encoded else body.encode(),
    )
    try:
        received = receive_webhook(webhook_deps(), marketplace, request)
    except Unavailable:
        raise
    except TixPilotError as refused:
        metrics.add_metric(name="WebhooksRefused", unit=MetricUnit.Count, value=1)
        logger.warning("webhook refused", extra={"marketplace": marketplace, "reason": refused.message})
        raise
    except (BotoCoreError, ClientError) as exc:  # DynamoDB or KMS failing: the marketplace retries a 503
        logger.exception("webhook not processed", extra={"marketplace": marketplace})
        raise Unavailable("the delivery could not be processed now; retry it") from exc
    metrics.add_metric(name="WebhookNotifications", unit=MetricUnit.Count, value=len(received.notifications))
    logger.info(
        "webhook queued",
        extra={
            "marketplace": marketplace,
            "tenant_id": received.tenant_id,
            "orders": [f"{n.order_id}:{n.event}" for n in received.notifications],
        },
    )
    return Envelope(output=[WebhookOut(queued=len(received.notifications))])


def _public_url(marketplace: str) -> str:
    """The URL the marketplace was given (a TEvo signature covers its host and path): from the
    settings, else as API Gateway saw it (its host, and the path with the stage)."""
    base = get_settings().webhook_base_url
    if base:
        return f"{base}/webhooks/{marketplace}"
    event = router.current_event
    context = event.raw_event.get("requestContext") or {}
    host = event.headers.get("host") or context.get("domainName") or ""
    return f"https://{host}{context.get('path') or event.path}"
