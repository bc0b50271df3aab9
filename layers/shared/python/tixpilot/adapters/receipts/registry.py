"""Every receipt parser, by id, and choosing one for a message.

A new primary or template is a new module with a `PARSER` and one line here. Order matters only
when two parsers recognise the same message: the first one listed reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tixpilot.adapters.receipts import axs, ticketmaster_us
from tixpilot.adapters.receipts.base import NotAReceipt, ReceiptParser
from tixpilot.adapters.receipts.limits import Budget, Unreadable
from tixpilot.adapters.receipts.mime import MailText, read_mail
from tixpilot.models.receipts import ParsedReceipt

PARSERS: dict[str, ReceiptParser] = {p.id: p for p in (ticketmaster_us.PARSER, axs.PARSER)}


@dataclass(frozen=True)
class NotParsed:
    """Why a message yielded no receipt, in words a broker can act on."""

    reason: str


def parse_mail(mail: MailText, budget: Budget | None = None) -> ParsedReceipt | NotParsed:
    """The receipt in a decoded message, or why there is none. Pure; NotAReceipt is the only
    exception a parser may raise on purpose (anything else is a parser bug and propagates).
    Unreadable when the time budget runs out."""
    budget = budget or Budget()
    for parser in PARSERS.values():
        budget.check(f"before the {parser.id} parser")
        if parser.recognises(mail):
            try:
                parsed = parser.parse(mail)
            except NotAReceipt as exc:
                return NotParsed(str(exc))
            budget.check(f"in the {parser.id} parser")
            return parsed
    sender = mail.effective_sender or "an unknown sender"
    return NotParsed(f"no receipt parser knows mail from {sender} (subject {mail.effective_subject!r})")


def parse_receipt(raw: bytes, budget: Budget | None = None) -> ParsedReceipt | NotParsed:
    """The receipt in a raw RFC 5322 message, or why there is none (a message beyond the caps or
    the time budget of limits.py is not read: the reason says which)."""
    budget = budget or Budget()
    try:
        return parse_mail(read_mail(raw, budget), budget)
    except Unreadable as exc:
        return NotParsed(exc.reason)


def sending_domains(parser_id: str | None) -> tuple[str, ...]:
    """The domains a parser's primary sends receipts from (every parser's when none is named)."""
    if parser_id in PARSERS:
        return PARSERS[parser_id].sending_domains
    return tuple(domain for parser in PARSERS.values() for domain in parser.sending_domains)
