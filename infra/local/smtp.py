"""An SMTP receiver doing what SES inbound does: the raw message to the bucket, then the intake
handler with an SES-shaped event. Any SMTP client can deliver to it."""

from __future__ import annotations

import email
import email.policy
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from infra.local.lambdas import LocalLambdas
from tixpilot.adapters.ses import RAW_PREFIX, ses_event
from tixpilot.observability import logger
from tixpilot.repositories.receipts import RawMailStore


class SesInbound:
    """aiosmtpd handler: keep first, then invoke intake; a failed intake still keeps the mail."""

    def __init__(self, lambdas: LocalLambdas, store: RawMailStore) -> None:
        self.lambdas = lambdas
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        transport_id = uuid.uuid4().hex
        try:
            self.store.put(RAW_PREFIX + transport_id, raw)
        except Exception:
            logger.exception("could not store inbound mail")
            return "451 Requested action aborted: local error in processing"
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        event = ses_event(transport_id, message, envelope.mail_from or "", list(envelope.rcpt_tos))
        try:
            self.lambdas.invoke("intake", event)
        except Exception:
            # SES would retry the async invocation and then send it to the DLQ; the raw message
            # is safe in the bucket and `tixpilot receipts replay` can re-run intake over it.
            logger.exception("intake failed", extra={"transport_id": transport_id})
        return "250 Message accepted for delivery"


def start_smtp(lambdas: LocalLambdas, store: RawMailStore, host: str, port: int) -> Controller:
    controller = Controller(
        SesInbound(lambdas, store),
        hostname=host,
        port=port,
        decode_data=False,
        data_size_limit=40 * 1024 * 1024,  # SES inbound's limit
        server_kwargs={"enable_SMTPUTF8": True},
    )
    controller.start()
    return controller


__all__ = ["start_smtp"]
