"""SES inbound: its `mail` and `receipt` objects to our InboundMail, and SES-shaped events for the
local SMTP receiver."""

from __future__ import annotations

import email.policy
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any

from tixpilot.adapters.receipts.mime import addresses
from tixpilot.models.receipts import InboundMail, MailVerdicts

RAW_PREFIX = "inbound/"
LOCAL_INTAKE_ARN = "arn:aws:lambda:us-east-1:123456789012:function:tixpilot-local-intake"
# SES puts at most this much of the header section into the event (`headersTruncated`).
EVENT_HEADER_BYTES = 10 * 1024
HEADER_BLOCK_BYTES = 64 * 1024  # the header section read from a raw message, at most
_VERDICTS = (
    ("spam", "spamVerdict"),
    ("virus", "virusVerdict"),
    ("spf", "spfVerdict"),
    ("dkim", "dkimVerdict"),
    ("dmarc", "dmarcVerdict"),
)


def verdicts(receipt: Mapping[str, Any]) -> MailVerdicts:
    """SES's `receipt` verdicts (the event's dict, or powertools' SESReceipt); a missing one is
    GRAY (not checked)."""

    def status(name: str) -> str:
        verdict = receipt.get(name)
        value = verdict.get("status") if isinstance(verdict, Mapping) else None
        return str(value or "GRAY").upper()

    return MailVerdicts(**{field: status(name) for field, name in _VERDICTS})


def message_id_of(value: object) -> str:
    """A Message-ID header's value as one line (folding whitespace collapsed), or ""."""
    return " ".join(str(value or "").split())


def inbound_mail(mail: Any, receipt: Any = None) -> InboundMail:
    """From powertools' SESMail and SESReceipt data classes (the receipt carries the verdicts)."""
    common = mail.common_headers
    return InboundMail(
        transport_id=mail.message_id,
        message_id=message_id_of(common.message_id) or mail.message_id,
        sender=mail.source,
        recipients=list(mail.destination),
        subject=common.subject or "",
        received=datetime.fromisoformat(mail.timestamp.replace("Z", "+00:00")),
        verdicts=verdicts(receipt) if receipt is not None else None,
    )


def header_block(raw: bytes) -> bytes:
    """The header section of a raw message (up to the first empty line), at most
    HEADER_BLOCK_BYTES: what header-only readers parse, whatever the body holds."""
    head = raw[:HEADER_BLOCK_BYTES]
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    return head[: min(ends)] + b"\r\n" if ends else head


def _headers(raw: bytes) -> Message:
    return BytesHeaderParser(policy=email.policy.compat32).parsebytes(header_block(raw))


def ses_event(
    transport_id: str,
    raw: bytes,
    envelope_from: str,
    recipients: list[str],
    checks: MailVerdicts,
) -> dict[str, Any]:
    """The event SES's Lambda action sends for one message (what the local SMTP receiver emits),
    with the verdicts the receiver computed. Only the header section is parsed."""
    message = _headers(raw)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    headers: list[dict[str, str]] = []
    size = 0
    for name, value in message.items():
        size += len(name) + len(str(value)) + 4
        if size > EVENT_HEADER_BYTES:
            break
        headers.append({"name": name, "value": str(value)})
    truncated = len(headers) < len(message.items())

    def first(name: str) -> str:
        return " ".join(str(message.get(name, "")).split())[:EVENT_HEADER_BYTES]

    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": now,
                        "source": envelope_from,
                        "messageId": transport_id,
                        "destination": recipients,
                        "headersTruncated": truncated,
                        "headers": headers,
                        "commonHeaders": {
                            "returnPath": envelope_from,
                            "from": [first("From") or envelope_from],
                            "date": first("Date"),
                            "to": addresses(message.get_all("To", [])) or recipients,
                            "messageId": message_id_of(message.get("Message-ID")) or None,
                            "subject": first("Subject"),
                        },
                    },
                    "receipt": {
                        "timestamp": now,
                        "processingTimeMillis": 1,
                        "recipients": recipients,
                        "spamVerdict": {"status": checks.spam},
                        "virusVerdict": {"status": checks.virus},
                        "spfVerdict": {"status": checks.spf},
                        "dkimVerdict": {"status": checks.dkim},
                        "dmarcVerdict": {"status": checks.dmarc},
                        "action": {
                            "type": "Lambda",
                            "functionArn": LOCAL_INTAKE_ARN,
                            "invocationType": "Event",
                        },
                    },
                },
            }
        ]
    }
