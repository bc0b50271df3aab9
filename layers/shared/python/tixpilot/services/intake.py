"""Inbound email: route each recipient to its tenant, record the message exactly once, read the
receipt in it, check that it is authentic, and record the purchase it states.

Lossless: every message is kept as a receipt record whatever happens (parsed with its rid,
unparsed with the reason, or duplicate). Idempotent: a Message-ID a tenant has seen before is a
duplicate and changes nothing; a second receipt for a known order merges into that purchase
(services.purchases.record_observation). A retried delivery (same transport id) is not a
duplicate: it finishes what a crashed attempt started.

Bounded: reading a message is linear in its size, capped, and stops at a time budget
(adapters/receipts/limits.py); spam and viruses are not read at all. Trust: a receipt that is not
authenticated (services/mail_trust.py) still records its purchase, marked `receipt_verified`
false, and the Safeguard never lets that purchase be PO'd on the email alone.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from tixpilot.adapters.receipts import (
    Budget,
    MailText,
    NotParsed,
    Unreadable,
    parse_mail,
    read_mail,
    sending_domains,
)
from tixpilot.adapters.receipts.mime import address, addresses, header_text
from tixpilot.adapters.ses import RAW_PREFIX, header_block, message_id_of
from tixpilot.models.domains import Domain
from tixpilot.models.purchases import EventInfo, Items, Money, Observation, Purchase
from tixpilot.models.receipts import (
    UNROUTED_TENANT,
    InboundMail,
    MailVerdicts,
    ParsedReceipt,
    Receipt,
)
from tixpilot.observability import logger
from tixpilot.services.mail_trust import Authenticity, authenticate, spam_or_virus
from tixpilot.services.purchases import PurchaseRepos, record_observation


class DomainOwners(Protocol):
    def owner_of(self, domain: str) -> Domain | None: ...


class TrustedForwarders(Protocol):
    def is_trusted(self, tenant_id: str, address: str) -> bool: ...


class ReceiptLog(Protocol):
    def add_first(self, receipt: Receipt) -> bool: ...

    def add_duplicate(self, receipt: Receipt) -> None: ...

    def save(self, receipt: Receipt) -> None: ...


class PipelineStarter(Protocol):
    """Where the purchase pipeline plugs in (docs/safeguard.md).

    Called for every receipt that recorded a purchase, new or merged. Implementations must be
    idempotent per (tenant, rid) — the pipeline's execution name is derived from them, so a second
    start is a no-op — which also makes a retried intake safe.
    """

    def start(self, purchase: Purchase, created: bool) -> None: ...


class NoPipeline:
    """Starts nothing: the purchase is only stored (the receipts CLI's replay and import)."""

    def start(self, purchase: Purchase, created: bool) -> None:
        return None


@dataclass(frozen=True)
class IntakeRepos:
    domains: DomainOwners
    receipts: ReceiptLog
    purchases: PurchaseRepos
    forwarders: TrustedForwarders
    pipeline: PipelineStarter = field(default_factory=NoPipeline)


DUPLICATE = "Message-ID seen before"
IN_PROGRESS = "intake did not finish; `tixpilot receipts replay` runs it again"
# What a record keeps of the message's own words: enough to recognise it, never enough to make
# an item too large for DynamoDB (400 KB). The Message-ID is kept whole up to far past any real one.
MAX_MESSAGE_ID_CHARS = 16_384
MAX_FIELD_CHARS = 2_000


@dataclass(frozen=True)
class Reading:
    """What intake made of a message: its decoded text (None when it was not read) and the
    receipt in it, or why there is none."""

    mail: MailText | None
    result: ParsedReceipt | NotParsed


def recipient_domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().strip(">").lower()


def clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def read_receipt(raw: bytes, verdicts: MailVerdicts | None = None, budget: Budget | None = None) -> Reading:
    """Read a message within the caps and the time budget. Never raises: spam, a virus, a
    message beyond the caps and a parser bug each become a reason, and the raw message is kept."""
    refused = spam_or_virus(verdicts)
    if refused:
        return Reading(None, NotParsed(refused))
    budget = budget or Budget()
    mail: MailText | None = None
    try:
        mail = read_mail(raw, budget)
        return Reading(mail, parse_mail(mail, budget))
    except Unreadable as exc:
        return Reading(mail, NotParsed(exc.reason))
    except Exception as exc:  # a bug in reading or a parser: recorded, never a lost message
        logger.exception("reading the receipt failed")
        step = "a receipt parser" if mail is not None else "reading the message"
        return Reading(mail, NotParsed(f"{step} failed ({type(exc).__name__}); the raw message is kept"))


def authenticity(
    repos: IntakeRepos, tenant_id: str, reading: Reading, verdicts: MailVerdicts | None
) -> Authenticity:
    """Whether the message is the primary's own receipt (or a trusted forwarder's copy) for this
    tenant: the primary is the one whose parser read it (any known primary's for other mail)."""
    if reading.mail is None:
        return Authenticity(False, "not read, so not authenticated")
    parser = reading.result.parser if isinstance(reading.result, ParsedReceipt) else None
    return authenticate(
        reading.mail.senders,
        verdicts,
        sending_domains(parser),
        lambda sender: repos.forwarders.is_trusted(tenant_id, sender),
    )


def observation(parsed: ParsedReceipt, account_username: str, verified: bool = False) -> Observation:
    """What a receipt states, in the shape purchases merge."""
    return Observation(
        account_username=account_username,
        confirmation_number=parsed.confirmation_number,
        confirmation_region=parsed.confirmation_region,
        marketplace_id=parsed.marketplace_id,
        event=EventInfo(name=parsed.event_name, venue=parsed.venue, starts_at=parsed.starts_at),
        items=Items(
            section=parsed.section,
            row=parsed.row,
            seats=parsed.seats,
            quantity=parsed.quantity,
            general_admission=parsed.general_admission,
            stock=parsed.stock,
        ),
        money=Money(cost_group=parsed.cost_group, face_perseat=parsed.face_perseat, fees=parsed.fees),
        creditcard_last4=parsed.creditcard_last4,
        buyer_name=parsed.buyer_name,
        purchase_date=parsed.purchase_date,
        receipt_verified=verified,
    )


def _record_purchase(repos: IntakeRepos, receipt: Receipt, parsed: ParsedReceipt) -> Receipt:
    account = receipt.recipient.strip().strip("<>").lower()
    purchase, created = record_observation(
        repos.purchases,
        receipt.tenant_id,
        observation(parsed, account, verified=receipt.verified is True),
        "email",
    )
    done = receipt.model_copy(update={"status": "parsed", "reason": None, "rid": purchase.rid})
    repos.receipts.save(done)
    repos.pipeline.start(purchase, created)
    logger.info(
        "receipt recorded",
        extra={
            "tenant_id": receipt.tenant_id,
            "rid": purchase.rid,
            "created": created,
            "parser": parsed.parser,
            "verified": receipt.verified,
        },
    )
    return done


def _process(repos: IntakeRepos, receipt: Receipt, reading: Reading) -> Receipt:
    """Record a routed message once, then the purchase it states."""
    trust = authenticity(repos, receipt.tenant_id, reading, receipt.verdicts)
    checked = receipt.model_copy(update={"verified": trust.verified, "verification": trust.explanation})
    result = reading.result
    if isinstance(result, NotParsed):
        pending = checked.model_copy(update={"status": "unparsed", "reason": result.reason, "rid": None})
    else:
        pending = checked.model_copy(
            update={"status": "unparsed", "reason": IN_PROGRESS, "parser": result.parser, "rid": None}
        )
    if not repos.receipts.add_first(pending):
        duplicate = checked.model_copy(update={"status": "duplicate", "reason": DUPLICATE, "rid": None})
        repos.receipts.add_duplicate(duplicate)
        return duplicate
    if isinstance(result, NotParsed):
        return pending
    return _record_purchase(repos, pending, result)


def receive_mail(
    repos: IntakeRepos, mail: InboundMail, raw_key: str, raw: bytes, budget: Budget | None = None
) -> list[Receipt]:
    """Record one inbound message once per tenant it is addressed to, with what it states."""
    reading = read_receipt(raw, mail.verdicts, budget)
    recorded: list[Receipt] = []
    seen_tenants: set[str] = set()
    for recipient in mail.recipients or [""]:
        owner = repos.domains.owner_of(recipient_domain(recipient)) if recipient else None
        tenant_id = owner.tenant_id if owner else UNROUTED_TENANT
        if tenant_id in seen_tenants:
            continue
        seen_tenants.add(tenant_id)
        receipt = Receipt(
            tenant_id=tenant_id,
            message_id=clip(mail.message_id, MAX_MESSAGE_ID_CHARS),
            transport_id=mail.transport_id,
            sender=clip(mail.sender),
            recipient=clip(recipient),
            subject=clip(mail.subject),
            received=mail.received,
            status="unparsed",
            reason=None,
            raw_key=raw_key,
            verdicts=mail.verdicts,
        )
        if owner is None:
            # Kept and reported, never attached to a tenant, and it creates nothing.
            receipt.reason = f"no tenant owns the domain of {receipt.recipient or 'the recipient'}"
            logger.warning("mail for a domain nobody owns", extra={"recipient": receipt.recipient})
            if not repos.receipts.add_first(receipt):
                receipt = receipt.model_copy(update={"status": "duplicate", "reason": DUPLICATE})
                repos.receipts.add_duplicate(receipt)
            recorded.append(receipt)
            continue
        recorded.append(_process(repos, receipt, reading))
    return recorded


def replay(repos: IntakeRepos, receipt: Receipt, raw: bytes) -> list[Receipt]:
    """Run intake again over a stored message (after a parser fix, a domain registered late, or a
    forwarder trusted late).

    A routed receipt is read, authenticated (with the transport's verdicts recorded at delivery)
    and recorded again over its own record (the purchase merge is idempotent); mail nobody owned
    is routed again and, if a tenant owns the domain now, processed for that tenant as if it had
    just arrived. Duplicates are history and are not replayed.
    """
    if receipt.status == "duplicate":
        return []
    reading = read_receipt(raw, receipt.verdicts)
    if receipt.tenant_id == UNROUTED_TENANT:
        owner = repos.domains.owner_of(recipient_domain(receipt.recipient)) if receipt.recipient else None
        if owner is None:
            return [receipt]
        fresh = receipt.model_copy(update={"tenant_id": owner.tenant_id, "reason": None})
        return [_process(repos, fresh, reading)]
    trust = authenticity(repos, receipt.tenant_id, reading, receipt.verdicts)
    checked = receipt.model_copy(update={"verified": trust.verified, "verification": trust.explanation})
    result = reading.result
    if isinstance(result, NotParsed):
        again = checked.model_copy(update={"status": "unparsed", "reason": result.reason, "rid": None})
        repos.receipts.save(again)
        return [again]
    return [_record_purchase(repos, checked.model_copy(update={"parser": result.parser}), result)]


# --- backfill and replay (the `tixpilot receipts` commands) ----------------------------------------


class RawStore(Protocol):
    def put(self, key: str, raw: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...


_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")


def mail_from_headers(raw: bytes, transport_id: str, recipients: list[str] | None = None) -> InboundMail:
    """An InboundMail for a message that did not come through SES (a backfill): the recipients are
    the ones given, or the delivery headers' (Delivered-To, X-Original-To, To, Cc). Only the
    header block is parsed (bounded), so a hostile body cannot stop an import. No transport
    checked the message: it has no verdicts, and its receipt is not authenticated."""
    message = BytesHeaderParser(policy=email.policy.compat32).parsebytes(header_block(raw))
    if not recipients:
        recipients = []
        for name in _RECIPIENT_HEADERS:
            for found in addresses(message.get_all(name, [])):
                if found not in recipients:
                    recipients.append(found)
            if recipients:
                break
    try:
        received = parsedate_to_datetime(str(message.get("Date", ""))[:200])
    except (TypeError, ValueError, IndexError):
        received = None
    message_id = message_id_of(message.get("Message-ID"))
    return InboundMail(
        transport_id=transport_id,
        message_id=message_id or transport_id,
        sender=address(message.get("From")),
        recipients=recipients,
        subject=header_text(message.get("Subject")),
        received=received or datetime.now(UTC),
    )


def import_message(
    repos: IntakeRepos, store: RawStore, raw: bytes, recipients: list[str] | None = None
) -> list[Receipt]:
    """Backfill one message as if SES had just delivered it: raw to the bucket first, then intake.

    The transport id is the content's hash, so importing the same file twice is a no-op."""
    transport_id = "import-" + hashlib.sha256(raw).hexdigest()[:40]
    raw_key = RAW_PREFIX + transport_id
    store.put(raw_key, raw)
    return receive_mail(repos, mail_from_headers(raw, transport_id, recipients), raw_key, raw)


def messages_in(path: Path) -> Iterator[bytes]:
    """The raw messages of an mbox file, or of every .eml file in a folder (sorted by name)."""
    if path.is_dir():
        for eml in sorted(path.glob("*.eml")):
            yield eml.read_bytes()
        return
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            yield box.get_bytes(key)
    finally:
        box.close()


def count_messages(path: Path) -> int:
    if path.is_dir():
        return sum(1 for _ in path.glob("*.eml"))
    box = mailbox.mbox(path, create=False)
    try:
        return len(box)
    finally:
        box.close()
