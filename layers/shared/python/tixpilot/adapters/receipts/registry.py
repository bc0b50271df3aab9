"""Every receipt parser, by id, and choosing one for a message.

A new primary or template is a new module with a `PARSER` and one line here. Order matters only
when two parsers recognise the same message: the first one listed reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tixpilot.adapters.receipts import axs, ticketmaster_us
from tixpilot.adapters.receipts.base import NotAReceipt, ReceiptParser
from tixpilot.adapters.receipts.mime import MailText, read_mail
from tixpilot.models.receipts import ParsedReceipt

PARSERS: dict[str, ReceiptParser] = {p.id: p for p in (ticketmaster_us.PARSER, axs.PARSER)}


@dataclass(frozen=True)
class NotParsed:
    """Why a message yielded no receipt, in words a broker can act on."""

    reason: str


def parse_mail(mail: MailText) -> ParsedReceipt | NotParsed:
    """The receipt in a decoded message, or why there is none. Pure; NotAReceipt is the only
    exception a parser may raise on purpose (anything else is a parser bug and propagates)."""
    for parser in PARSERS.values():
        if parser.recognises(mail):
            try:
                return parser.parse(mail)
            except NotAReceipt as exc:
                return NotParsed(str(exc))
    sender = mail.effective_sender or "an unknown sender"
    return NotParsed(f"no receipt parser knows mail from {sender} (subject {mail.effective_subject!r})")


def parse_receipt(raw: bytes) -> ParsedReceipt | NotParsed:
    """The receipt in a raw RFC 5322 message, or why there is none."""
    return parse_mail(read_mail(raw))
