"""Receipt parsers: pure functions from a MIME message to a ParsedReceipt, per primary and template."""

from tixpilot.adapters.receipts.base import NotAReceipt, ReceiptParser
from tixpilot.adapters.receipts.limits import Budget, Unreadable
from tixpilot.adapters.receipts.mime import MailText, read_mail
from tixpilot.adapters.receipts.registry import (
    PARSERS,
    NotParsed,
    parse_mail,
    parse_receipt,
    sending_domains,
)

__all__ = [
    "PARSERS",
    "Budget",
    "MailText",
    "NotAReceipt",
    "NotParsed",
    "ReceiptParser",
    "Unreadable",
    "parse_mail",
    "parse_receipt",
    "read_mail",
    "sending_domains",
]
