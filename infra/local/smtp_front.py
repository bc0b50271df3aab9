"""The SMTP side of the local SES inbound (infra/local/smtp.py), as a process of its own.

Reading a message off an SMTP session is pure-Python work per line (aiosmtpd): 4 MB of
one-character lines keep it busy for seconds. In AWS that work is SES's, a service apart from
intake and DynamoDB. In the stack's own process it held the interpreter lock against the
emulator, the API and the Lambda handlers: a receipt sent right after such a message waited
3-5 s for its purchase, every I/O step of its pipeline queued behind the SMTP reader
(docs/decision-log.md 65). Here it has its own interpreter.

Each message read is handed to the stack over HTTP (`python -m infra.local` passes the address):
the stack keeps it, checks it and runs intake, and its answer is the SMTP reply. The front stops
when its standard input closes, so it never outlives the stack that started it.

    python -m infra.local.smtp_front HOST PORT HANDOFF_URL
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.request
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

DATA_SIZE_LIMIT = 40 * 1024 * 1024  # SES inbound's limit
ENVELOPE_HEADER = "X-Smtp-Envelope"  # {"from": ..., "to": [...]}, as JSON (ASCII)
HANDOFF_TIMEOUT_S = 600  # intake of a hostile message is bounded far below this
UNAVAILABLE = "451 Requested action aborted: local error in processing"
READY = b"ready"


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


class HandOff:
    """aiosmtpd handler: each message to the stack, whose answer is the reply (250 once the
    message is kept; 451 when it could not be kept, or the stack could not be reached)."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        recipients = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.post, raw, envelope.mail_from or "", recipients)

    def post(self, raw: bytes, mail_from: str, recipients: list[str]) -> str:
        request = urllib.request.Request(
            self.url,
            data=raw,
            method="POST",
            headers={
                "Content-Type": "message/rfc822",
                ENVELOPE_HEADER: json.dumps({"from": mail_from, "to": recipients}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=HANDOFF_TIMEOUT_S) as response:
                return str(response.read().decode())
        except OSError as error:  # urllib's errors included
            print(f"smtp front: could not hand the message over: {error}", file=sys.stderr, flush=True)
            return UNAVAILABLE


def serve(host: str, port: int, handoff_url: str) -> None:
    """Listen until standard input closes (the stack stopped, or died). Ctrl-C in `make run` is
    the stack's to handle: it stops this process once it has stopped taking mail."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    controller = Receiver(
        HandOff(handoff_url),
        hostname=host,
        port=port,
        decode_data=False,
        data_size_limit=DATA_SIZE_LIMIT,
        server_kwargs={"enable_SMTPUTF8": True},
    )
    controller.start()
    sys.stdout.buffer.write(READY + b"\n")
    sys.stdout.flush()
    try:
        sys.stdin.buffer.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
