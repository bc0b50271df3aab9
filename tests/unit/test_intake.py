"""Routing inbound mail: per tenant, once, and nothing dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.events import load_event
from tests.unit.fakes import FakeDomains, FakeReceipts
from tixpilot.adapters.ses import inbound_mail
from tixpilot.models.domains import Domain
from tixpilot.models.receipts import UNROUTED_TENANT, InboundMail
from tixpilot.services.intake import IntakeRepos, receive_mail


def mail(*recipients: str, message_id: str = "<m1@tm.com>") -> InboundMail:
    return InboundMail(
        transport_id="t1",
        message_id=message_id,
        sender="tm@tm.com",
        recipients=list(recipients),
        subject="You Got Tickets",
        received=datetime(2026, 11, 25, tzinfo=UTC),
    )


def repos() -> IntakeRepos:
    domains = FakeDomains()
    domains.add(Domain(domain_id="1", domain="alpha.com", tenant_id="A"))
    domains.add(Domain(domain_id="2", domain="bravo.com", tenant_id="B"))
    return IntakeRepos(domains=domains, receipts=FakeReceipts())


def test_each_tenant_addressed_gets_the_message_once():
    r = repos()
    got = receive_mail(r, mail("x@alpha.com", "y@ALPHA.com", "z@bravo.com"), "inbound/t1")
    assert [(x.tenant_id, x.status, x.recipient) for x in got] == [
        ("A", "unparsed", "x@alpha.com"),
        ("B", "unparsed", "z@bravo.com"),
    ]


def test_unknown_domains_and_missing_recipients_are_kept_unrouted():
    r = repos()
    (got,) = receive_mail(r, mail("x@unknown.org"), "inbound/t1")
    assert got.tenant_id == UNROUTED_TENANT and "unknown.org" in (got.reason or "")
    (got,) = receive_mail(r, mail(message_id="<m2@tm.com>"), "inbound/t2")
    assert got.tenant_id == UNROUTED_TENANT


def test_a_repeated_message_id_is_a_duplicate_per_tenant():
    r = repos()
    receive_mail(r, mail("x@alpha.com"), "inbound/t1")
    (again,) = receive_mail(r, mail("x@alpha.com"), "inbound/t2")
    assert again.status == "duplicate"
    (other,) = receive_mail(r, mail("x@bravo.com"), "inbound/t3")
    assert other.status == "unparsed"  # the same Message-ID is new for another tenant


def test_the_ses_event_maps_to_inbound_mail():
    from aws_lambda_powertools.utilities.data_classes import SESEvent

    record = next(SESEvent(load_event("ses/inbound_receipt.json")).records)
    parsed = inbound_mail(record.ses.mail)
    assert parsed.transport_id == "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"
    assert parsed.message_id == "<20261125142830.1234@email.ticketmaster.com>"
    assert parsed.recipients == ["buyer1@demo.tixpilot.test"]
    assert parsed.received.tzinfo is not None
