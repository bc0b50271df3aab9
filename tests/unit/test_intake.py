"""Intake: routing per tenant, once per Message-ID, a receipt becomes (or merges into) a purchase,
and nothing that arrives is lost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.events import load_event
from tests.unit.fakes import FakeDomains, FakeForwarders, FakeReceipts, FakeSequences
from tixpilot.adapters.ses import inbound_mail
from tixpilot.models.domains import Domain
from tixpilot.models.purchases import Purchase
from tixpilot.models.receipts import UNROUTED_TENANT, InboundMail, MailVerdicts
from tixpilot.repositories.purchases import order_claim
from tixpilot.services import intake
from tixpilot.services.intake import IN_PROGRESS, IntakeRepos, receive_mail, replay
from tixpilot.services.purchases import PurchaseRepos

CORPUS = Path(__file__).resolve().parents[2] / "events" / "receipts"
SEATED = (CORPUS / "tm_plain_seated.eml").read_bytes()
RESENT = (CORPUS / "tm_plain_seated_resent.eml").read_bytes()
NOISE = (CORPUS / "noise_tm_password_reset.eml").read_bytes()


class FakePurchases:
    """Purchases keyed by rid, with the order claim create_unique writes."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], Purchase] = {}
        self.claims: dict[str, int] = {}

    def find_by_confirmation(self, tenant_id: str, confirmation_number: str, region: str | None):
        rid = self.claims.get(order_claim(tenant_id, confirmation_number, region))
        return self.rows[(tenant_id, rid)] if rid is not None else None

    def create_unique(self, purchase: Purchase) -> bool:
        claim = order_claim(purchase.tenant_id, purchase.confirmation_number, purchase.confirmation_region)
        if claim in self.claims:
            return False
        self.claims[claim] = purchase.rid
        self.rows[(purchase.tenant_id, purchase.rid)] = purchase
        return True

    def replace(self, purchase: Purchase) -> bool:
        current = self.rows[(purchase.tenant_id, purchase.rid)]
        if current.version != purchase.version - 1:
            return False
        self.rows[(purchase.tenant_id, purchase.rid)] = purchase
        return True


class RecordingPipeline:
    def __init__(self) -> None:
        self.started: list[tuple[int, bool]] = []

    def start(self, purchase: Purchase, created: bool) -> None:
        self.started.append((purchase.rid, created))


# What SES says about the fixtures' real sender: its domain signed the message (DKIM, DMARC).
AUTHENTIC = MailVerdicts(spam="PASS", virus="PASS", spf="PASS", dkim="PASS", dmarc="PASS")


def mail(
    *recipients: str,
    message_id: str = "<m1@tm.com>",
    transport_id: str = "t1",
    verdicts: MailVerdicts | None = AUTHENTIC,
) -> InboundMail:
    return InboundMail(
        transport_id=transport_id,
        message_id=message_id,
        sender="customer_support@email.ticketmaster.com",
        recipients=list(recipients),
        subject="You Got Tickets To Sugarland",
        received=datetime(2026, 6, 17, 23, 30, tzinfo=UTC),
        verdicts=verdicts,
    )


def repos(*forwarders: tuple[str, str]) -> IntakeRepos:
    domains = FakeDomains()
    domains.add(Domain(domain_id="1", domain="alpha.com", tenant_id="A"))
    domains.add(Domain(domain_id="2", domain="bravo.com", tenant_id="B"))
    return IntakeRepos(
        domains=domains,
        receipts=FakeReceipts(),
        purchases=PurchaseRepos(purchases=FakePurchases(), sequences=FakeSequences()),
        forwarders=FakeForwarders(*forwarders),
        pipeline=RecordingPipeline(),
    )


def purchases(r: IntakeRepos) -> list[Purchase]:
    return list(r.purchases.purchases.rows.values())  # type: ignore[attr-defined]


def test_a_receipt_becomes_a_purchase_with_every_stated_field():
    r = repos()
    (got,) = receive_mail(r, mail("Buyer1@alpha.com"), "inbound/t1", SEATED)
    assert (got.status, got.reason, got.parser) == ("parsed", None, "ticketmaster_us")
    (purchase,) = purchases(r)
    assert got.rid == purchase.rid
    assert purchase.account_username == "buyer1@alpha.com"
    assert (purchase.confirmation_number, purchase.confirmation_region) == ("38-41225", "SF3")
    assert purchase.event.name == "Sugarland" and purchase.event.starts_at == datetime(2026, 7, 11, 19)
    assert (purchase.items.section, purchase.items.row, purchase.items.seats) == ("309", "H", ["5", "6"])
    assert purchase.items.stock == "mobile" and purchase.creditcard_last4 == "4242"
    assert str(purchase.money.cost_group) == "94.95" and str(purchase.money.fees) == "27.95"
    assert purchase.seen_emailreceipt and not purchase.seen_onlinereceipt
    assert purchase.disclosures is None and purchase.rotating_barcodes is None  # not in the email
    assert r.pipeline.started == [(purchase.rid, True)]  # type: ignore[attr-defined]


def test_a_second_receipt_for_the_order_merges_into_it():
    r = repos()
    (first,) = receive_mail(r, mail("b@alpha.com"), "inbound/t1", SEATED)
    (second,) = receive_mail(
        r, mail("b@alpha.com", message_id="<m2@tm.com>", transport_id="t2"), "inbound/t2", RESENT
    )
    assert second.status == "parsed" and second.rid == first.rid
    assert len(purchases(r)) == 1


def test_each_tenant_addressed_gets_the_message_once():
    r = repos()
    got = receive_mail(r, mail("x@alpha.com", "y@ALPHA.com", "z@bravo.com"), "inbound/t1", SEATED)
    assert [(x.tenant_id, x.status, x.recipient) for x in got] == [
        ("A", "parsed", "x@alpha.com"),
        ("B", "parsed", "z@bravo.com"),
    ]
    assert {p.tenant_id for p in purchases(r)} == {"A", "B"}


def test_unknown_domains_and_missing_recipients_are_kept_unrouted_and_create_nothing():
    r = repos()
    (got,) = receive_mail(r, mail("x@unknown.org"), "inbound/t1", SEATED)
    assert (
        got.tenant_id == UNROUTED_TENANT and got.status == "unparsed" and "unknown.org" in (got.reason or "")
    )
    (got,) = receive_mail(r, mail(message_id="<m2@tm.com>"), "inbound/t2", SEATED)
    assert got.tenant_id == UNROUTED_TENANT
    assert purchases(r) == []


def test_a_repeated_message_id_is_a_duplicate_per_tenant_and_changes_nothing():
    r = repos()
    receive_mail(r, mail("x@alpha.com"), "inbound/t1", SEATED)
    before = purchases(r)
    (again,) = receive_mail(r, mail("x@alpha.com", transport_id="t2"), "inbound/t2", SEATED)
    assert again.status == "duplicate" and again.rid is None
    assert purchases(r) == before
    (other,) = receive_mail(r, mail("x@bravo.com", transport_id="t3"), "inbound/t3", SEATED)
    assert other.status == "parsed"  # the same Message-ID is new for another tenant


def test_a_retried_delivery_finishes_instead_of_being_a_duplicate():
    r = repos()
    receipts = r.receipts
    # a first attempt that crashed after recording the message, before the purchase
    crashed = receive_mail(r, mail("x@alpha.com"), "inbound/t1", NOISE)[0].model_copy(
        update={"status": "unparsed", "reason": IN_PROGRESS}
    )
    receipts.save(crashed)
    (retried,) = receive_mail(r, mail("x@alpha.com"), "inbound/t1", SEATED)
    assert retried.status == "parsed"


def test_noise_is_kept_unparsed_with_the_reason():
    r = repos()
    (got,) = receive_mail(r, mail("x@alpha.com"), "inbound/t1", NOISE)
    assert got.status == "unparsed" and "order number" in (got.reason or "")
    assert purchases(r) == []


def test_a_parser_crash_is_kept_as_unparsed(monkeypatch):
    def broken(mail, budget):
        raise ZeroDivisionError

    monkeypatch.setattr(intake, "parse_mail", broken)
    (got,) = receive_mail(repos(), mail("x@alpha.com"), "inbound/t1", SEATED)
    assert got.status == "unparsed" and "ZeroDivisionError" in (got.reason or "")


def test_a_reader_crash_is_kept_as_unparsed(monkeypatch):
    def missing_library(raw, budget):
        raise ImportError("lxml")  # e.g. a layer built without a runtime dependency

    monkeypatch.setattr(intake, "read_mail", missing_library)
    (got,) = receive_mail(repos(), mail("x@alpha.com"), "inbound/t1", SEATED)
    assert got.status == "unparsed" and "reading the message failed (ImportError)" in (got.reason or "")


def test_replay_parses_again_and_routes_mail_whose_domain_arrived_later(monkeypatch):
    r = repos()
    monkeypatch.setattr(intake, "parse_mail", lambda mail, budget: intake.NotParsed("parser not fixed yet"))
    (unparsed,) = receive_mail(r, mail("x@alpha.com"), "inbound/t1", SEATED)
    (stray,) = receive_mail(r, mail("y@charlie.com", message_id="<m9@tm.com>"), "inbound/t9", SEATED)
    monkeypatch.undo()
    (fixed,) = replay(r, unparsed, SEATED)
    assert fixed.status == "parsed" and fixed.rid is not None
    assert replay(r, unparsed.model_copy(update={"status": "duplicate"}), SEATED) == []
    assert replay(r, stray, SEATED)[0].tenant_id == UNROUTED_TENANT  # nobody owns it yet
    r.domains.add(Domain(domain_id="3", domain="charlie.com", tenant_id="C"))  # type: ignore[attr-defined]
    (routed,) = replay(r, stray, SEATED)
    assert (routed.tenant_id, routed.status) == ("C", "parsed")
    assert replay(r, routed, SEATED)[0].rid == routed.rid  # replaying again changes nothing


def test_the_ses_event_maps_to_inbound_mail():
    from aws_lambda_powertools.utilities.data_classes import SESEvent

    record = next(SESEvent(load_event("ses/inbound_receipt.json")).records)
    parsed = inbound_mail(record.ses.mail, record.ses.receipt)
    assert parsed.verdicts == AUTHENTIC
    assert parsed.transport_id == "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"
    assert parsed.message_id == "<20261125142830.1234@email.ticketmaster.com>"
    assert parsed.recipients == ["buyer1@demo.tixpilot.test"]
    assert parsed.received.tzinfo is not None


# --- authenticity ------------------------------------------------------------------------------

FORWARDED = (CORPUS / "tm_forwarded_gmail.eml").read_bytes()  # From la.buyer.2026@gmail.com
FORGED = MailVerdicts(spam="PASS", virus="PASS", spf="PASS", dkim="PASS", dmarc="FAIL")
SEAT_LINE = "Sec\u00a0309,\u00a0Row\u00a0H,\u00a0Seat\u00a05\u00a0-\u00a06".encode()


def test_an_authenticated_receipt_is_verified_on_the_receipt_and_the_purchase():
    r = repos()
    (got,) = receive_mail(r, mail("b@alpha.com"), "inbound/t1", SEATED)
    assert got.verified is True and "email.ticketmaster.com" in (got.verification or "")
    assert got.verdicts == AUTHENTIC
    assert purchases(r)[0].receipt_verified is True


def test_a_forged_receipt_still_records_its_purchase_marked_unverified():
    r = repos()
    (got,) = receive_mail(r, mail("b@alpha.com", verdicts=FORGED), "inbound/t1", SEATED)
    assert got.status == "parsed" and got.verified is False
    assert "did not authenticate" in (got.verification or "") and "dmarc FAIL" in (got.verification or "")
    (purchase,) = purchases(r)
    assert purchase.receipt_verified is False and purchase.confirmation_number == "38-41225"
    assert r.pipeline.started == [(purchase.rid, True)]  # type: ignore[attr-defined]  # it waits there


def test_the_real_receipt_replaces_what_a_forgery_of_the_same_order_said():
    r = repos()
    forgery = SEATED.replace(SEAT_LINE, b"Sec 101, Row A, Seat 1").replace(b"Total $94.95", b"Total $1.00")
    receive_mail(r, mail("b@alpha.com", verdicts=FORGED), "inbound/t1", forgery)
    assert purchases(r)[0].items.section == "101"
    receive_mail(r, mail("b@alpha.com", message_id="<real@tm.com>", transport_id="t2"), "inbound/t2", SEATED)
    (purchase,) = purchases(r)
    assert purchase.receipt_verified is True
    assert (purchase.items.section, purchase.items.row, str(purchase.money.cost_group)) == (
        "309",
        "H",
        "94.95",
    )


def test_a_later_forgery_changes_nothing_the_real_receipt_said():
    r = repos()
    receive_mail(r, mail("b@alpha.com"), "inbound/t1", SEATED)
    forgery = SEATED.replace(SEAT_LINE, b"Sec 101, Row A, Seat 1")
    receive_mail(
        r, mail("b@alpha.com", message_id="<f@x>", transport_id="t2", verdicts=FORGED), "i/t2", forgery
    )
    (purchase,) = purchases(r)
    assert purchase.receipt_verified is True and purchase.items.section == "309"


def test_a_quoted_from_line_in_a_forward_proves_nothing():
    (got,) = receive_mail(repos(), mail("la@alpha.com"), "inbound/t1", FORWARDED)
    assert got.status == "parsed" and got.verified is False
    assert "la.buyer.2026@gmail.com" in (got.verification or "")


def test_a_trusted_forwarder_authenticated_by_its_own_domain_is_verified():
    r = repos(("A", "la.buyer.2026@gmail.com"))
    (got,) = receive_mail(r, mail("la@alpha.com"), "inbound/t1", FORWARDED)
    assert got.verified is True and "trusted forwarder" in (got.verification or "")
    # trusted by tenant A only
    (other,) = receive_mail(r, mail("la@bravo.com"), "inbound/t1", FORWARDED)
    assert other.tenant_id == "B" and other.verified is False


def test_replay_verifies_what_a_forwarder_trusted_later_sent():
    r = repos()
    (first,) = receive_mail(r, mail("la@alpha.com"), "inbound/t1", FORWARDED)
    assert first.verified is False
    trusting = IntakeRepos(
        domains=r.domains,
        receipts=r.receipts,
        purchases=r.purchases,
        forwarders=FakeForwarders(("A", "la.buyer.2026@gmail.com")),
        pipeline=r.pipeline,
    )
    (again,) = replay(trusting, first, FORWARDED)
    assert again.verified is True and purchases(r)[0].receipt_verified is True


@pytest.mark.parametrize(("verdict", "word"), [("spam", "spam"), ("virus", "virus")])
def test_spam_and_viruses_are_kept_unparsed_and_never_read(verdict: str, word: str):
    r = repos()
    flagged = AUTHENTIC.model_copy(update={verdict: "FAIL"})
    (got,) = receive_mail(r, mail("b@alpha.com", verdicts=flagged), "inbound/t1", SEATED)
    assert got.status == "unparsed" and word in (got.reason or "") and got.verified is False
    assert purchases(r) == []


def test_imported_mail_without_verdicts_is_not_authenticated():
    (got,) = receive_mail(repos(), mail("b@alpha.com", verdicts=None), "inbound/t1", SEATED)
    assert got.status == "parsed" and got.verified is False and "imported" in (got.verification or "")
