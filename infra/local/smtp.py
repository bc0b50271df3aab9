"""An SMTP receiver doing what SES inbound does: the raw message to the bucket, its checks (DKIM,
with the primary sandbox as DNS), then the intake handler with an SES-shaped event. Any SMTP
client can deliver to it.

The asyncio loop only talks SMTP: storing, checking and intake run on worker threads, so a slow
message holds up its own session and nothing else, and whatever a message does to intake the
client hears 250 once the message is stored (SES does not answer for its Lambda action either).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from infra.local.dkim import DnsLookup, SandboxDns, local_verdicts
from infra.local.lambdas import LocalLambdas
from tixpilot.adapters.ses import RAW_PREFIX, ses_event
from tixpilot.observability import logger
from tixpilot.repositories.receipts import RawMailStore

INTAKE_WORKERS = 4
DATA_SIZE_LIMIT = 40 * 1024 * 1024  # SES inbound's limit


class _TakingTurnsReader(asyncio.StreamReader):
    """Yields to the event loop every few hundred lines. A session's lines already in the buffer
    are otherwise read without ever suspending, so a message of millions of short lines would
    hold every other session until it is all read."""

    _lines = 0

    async def readuntil(self, separator: Any = b"\n") -> bytes:
        self._lines += 1
        if self._lines % 256 == 0:
            await asyncio.sleep(0)
        return await super().readuntil(separator)


class LongLineSMTP(SMTP):
    """aiosmtpd refuses a line over RFC 5321's 1,000 characters with a 500 and drops the message;
    a hostile message is kept and recorded instead, so lines may be as long as a message. (The
    line limit is also the read buffer's size, hence the turns above.)"""

    line_length_limit = DATA_SIZE_LIMIT

    def _cb_client_connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reader.__class__ = _TakingTurnsReader  # the same reader, taking turns
        super()._cb_client_connected(reader, writer)


class Receiver(Controller):
    def factory(self) -> SMTP:
        return LongLineSMTP(self.handler, **self.SMTP_kwargs)


class SesInbound:
    """aiosmtpd handler: keep first, then check and invoke intake; a failed intake still keeps
    the mail (`tixpilot receipts replay` runs it again)."""

    def __init__(self, lambdas: LocalLambdas, store: RawMailStore, dns: DnsLookup) -> None:
        self.lambdas = lambdas
        self.store = store
        self.dns = dns
        self.workers = ThreadPoolExecutor(INTAKE_WORKERS, thread_name_prefix="smtp-intake")

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        transport_id = uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.workers, self.store.put, RAW_PREFIX + transport_id, raw)
        except Exception:
            logger.exception("could not store inbound mail")
            return "451 Requested action aborted: local error in processing"
        recipients = list(envelope.rcpt_tos)
        await loop.run_in_executor(
            self.workers, self.intake, transport_id, raw, envelope.mail_from or "", recipients
        )
        return "250 Message accepted for delivery"

    def intake(self, transport_id: str, raw: bytes, envelope_from: str, recipients: list[str]) -> None:
        """On a worker thread: SES's checks, then the intake function. Never raises."""
        try:
            event = ses_event(transport_id, raw, envelope_from, recipients, local_verdicts(raw, self.dns))
            self.lambdas.invoke("intake", event)
        except Exception:
            # SES would retry the async invocation and then send it to the DLQ; the raw message
            # is safe in the bucket and `tixpilot receipts replay` can re-run intake over it.
            logger.exception("intake failed", extra={"transport_id": transport_id})

    def close(self) -> None:
        self.workers.shutdown(wait=True)


class SmtpReceiver:
    """The running receiver: `stop` ends the SMTP server, then waits for intake in progress."""

    def __init__(self, controller: Controller, handler: SesInbound) -> None:
        self.controller = controller
        self.handler = handler

    def stop(self) -> None:
        self.controller.stop()
        self.handler.close()


def start_smtp(
    lambdas: LocalLambdas, store: RawMailStore, host: str, port: int, dns: DnsLookup | None = None
) -> SmtpReceiver:
    """Listen on host:port; DKIM keys come from the primary sandbox (TIXPILOT_PRIMARY_URL)."""
    handler = SesInbound(lambdas, store, dns or SandboxDns(os.environ.get("TIXPILOT_PRIMARY_URL", "")))
    controller = Receiver(
        handler,
        hostname=host,
        port=port,
        decode_data=False,
        data_size_limit=DATA_SIZE_LIMIT,
        server_kwargs={"enable_SMTPUTF8": True},
    )
    controller.start()
    return SmtpReceiver(controller, handler)


__all__ = ["SmtpReceiver", "start_smtp"]
