"""An SMTP receiver doing what SES inbound does: the raw message to the bucket, its checks (DKIM,
with the primary sandbox as DNS), then the intake handler with an SES-shaped event. Any SMTP
client can deliver to it.

SMTP itself runs in a process of its own (infra/local/smtp_front.py), as SES is a service of its
own: reading a message of millions of short lines is seconds of pure-Python work, which in this
process held the interpreter lock against the emulator and the handlers. The front hands each
message it has read to this process over HTTP (127.0.0.1, a port of the system's choosing); here
it is stored, checked and given to intake, on that request's thread, so a slow message holds up
its own session and nothing else. Whatever a message does to intake the client hears 250 once
the message is stored (SES does not answer for its Lambda action either).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra.local.dkim import DnsLookup, SandboxDns, local_verdicts
from infra.local.lambdas import LocalLambdas
from infra.local.smtp_front import ENVELOPE_HEADER, READY, UNAVAILABLE
from tixpilot.adapters.ses import RAW_PREFIX, ses_event
from tixpilot.observability import logger
from tixpilot.repositories.receipts import RawMailStore

ROOT = Path(__file__).resolve().parents[2]
ACCEPTED = "250 Message accepted for delivery"


class SesInbound:
    """Keep first, then check and invoke intake; a failed intake still keeps the mail
    (`tixpilot receipts replay` runs it again)."""

    def __init__(self, lambdas: LocalLambdas, store: RawMailStore, dns: DnsLookup) -> None:
        self.lambdas = lambdas
        self.store = store
        self.dns = dns

    def receive(self, raw: bytes, envelope_from: str, recipients: list[str]) -> str:
        """One message the SMTP front has read; the SMTP reply."""
        transport_id = uuid.uuid4().hex
        try:
            self.store.put(RAW_PREFIX + transport_id, raw)
        except Exception:
            logger.exception("could not store inbound mail")
            return UNAVAILABLE
        self.intake(transport_id, raw, envelope_from, recipients)
        return ACCEPTED

    def intake(self, transport_id: str, raw: bytes, envelope_from: str, recipients: list[str]) -> None:
        """SES's checks, then the intake function. Never raises."""
        try:
            event = ses_event(transport_id, raw, envelope_from, recipients, local_verdicts(raw, self.dns))
            self.lambdas.invoke("intake", event)
        except Exception:
            # SES would retry the async invocation and then send it to the DLQ; the raw message
            # is safe in the bucket and `tixpilot receipts replay` can re-run intake over it.
            logger.exception("intake failed", extra={"transport_id": transport_id})


class _HandOffServer(ThreadingHTTPServer):
    daemon_threads = False  # so server_close waits for the hand-offs in progress (intake included)


def _handoff_server(host: str, inbound: SesInbound) -> ThreadingHTTPServer:
    """Where the SMTP front posts each message: the body is the raw message, the envelope a JSON
    header; the answer (200, text) is the SMTP reply. A thread per message."""

    class HandOff(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            try:
                envelope = json.loads(self.headers.get(ENVELOPE_HEADER) or "")
                sender, recipients = str(envelope["from"]), [str(r) for r in envelope["to"]]
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            except (ValueError, KeyError, TypeError):
                reply, status = "malformed hand-off", 400
            else:
                reply, status = inbound.receive(raw, sender, recipients), 200
            body = reply.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the front and intake log what matters."""

    return _HandOffServer((host, 0), HandOff)


class SmtpReceiver:
    """The running receiver: `stop` ends the SMTP front, then waits for intake in progress."""

    def __init__(self, front: subprocess.Popen[bytes], handoff: ThreadingHTTPServer) -> None:
        self.front = front
        self.handoff = handoff

    def stop(self) -> None:
        if self.front.stdin:
            self.front.stdin.close()  # the front's signal to stop
        try:
            self.front.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.front.kill()
            self.front.wait()
        self.handoff.shutdown()
        self.handoff.server_close()  # joins the hand-offs in progress


def start_smtp(
    lambdas: LocalLambdas, store: RawMailStore, host: str, port: int, dns: DnsLookup | None = None
) -> SmtpReceiver:
    """Listen on host:port; DKIM keys come from the primary sandbox (TIXPILOT_PRIMARY_URL)."""
    inbound = SesInbound(lambdas, store, dns or SandboxDns(os.environ.get("TIXPILOT_PRIMARY_URL", "")))
    handoff = _handoff_server(host, inbound)
    threading.Thread(target=handoff.serve_forever, name="smtp-handoff", daemon=True).start()
    url = f"http://{host}:{handoff.server_port}/mail"
    front = subprocess.Popen(
        [sys.executable, "-m", "infra.local.smtp_front", host, str(port), url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert front.stdout is not None
    if front.stdout.readline().strip() != READY:  # it exited: the port is taken, say (its stderr)
        front.kill()
        front.wait()
        handoff.shutdown()
        handoff.server_close()
        raise RuntimeError(f"the SMTP receiver did not start on {host}:{port}")
    return SmtpReceiver(front, handoff)


__all__ = ["SmtpReceiver", "start_smtp"]
