"""SES inbound: its `mail` object to our InboundMail, and SES-shaped events for the local SMTP."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses
from typing import Any

from tixpilot.models.receipts import InboundMail

RAW_PREFIX = "inbound/"
LOCAL_INTAKE_ARN = "arn:aws:lambda:us-east-1:123456789012:function:tixpilot-local-intake"


def inbound_mail(mail: Any) -> InboundMail:
    """From powertools' SESMail data class."""
    common = mail.common_headers
    return InboundMail(
        transport_id=mail.message_id,
        message_id=(common.message_id or mail.message_id).strip(),
        sender=mail.source,
        recipients=list(mail.destination),
        subject=common.subject or "",
        received=datetime.fromisoformat(mail.timestamp.replace("Z", "+00:00")),
    )


def ses_event(
    transport_id: str, message: Message, envelope_from: str, recipients: list[str]
) -> dict[str, Any]:
    """The event SES's Lambda action sends for one message (what the local SMTP receiver emits)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    headers = [{"name": k, "value": str(v)} for k, v in message.items()]
    verdict = {"status": "PASS"}
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
                        "headersTruncated": False,
                        "headers": headers,
                        "commonHeaders": {
                            "returnPath": envelope_from,
                            "from": [str(message.get("From", envelope_from))],
                            "date": str(message.get("Date", "")),
                            "to": [a for _, a in getaddresses(message.get_all("To", []))] or recipients,
                            "messageId": str(message.get("Message-ID", "")).strip() or None,
                            "subject": str(message.get("Subject", "")),
                        },
                    },
                    "receipt": {
                        "timestamp": now,
                        "processingTimeMillis": 1,
                        "recipients": recipients,
                        "spamVerdict": verdict,
                        "virusVerdict": verdict,
                        "spfVerdict": verdict,
                        "dkimVerdict": verdict,
                        "dmarcVerdict": verdict,
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
