"""Receipt parsers: pure functions from a MIME message to a ParsedReceipt, per primary and template."""

from tixpilot.adapters.receipts.base import NotAReceipt, ReceiptParser
from tixpilot.adapters.receipts.mime import MailText, read_mail
from tixpilot.adapters.receipts.registry import PARSERS, NotParsed, parse_mail, parse_receipt

__all__ = [
    "PARSERS",
    "MailText",
    "NotAReceipt",
    "NotParsed",
    "ReceiptParser",
    "parse_mail",
    "parse_receipt",
    "read_mail",
]
