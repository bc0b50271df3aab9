"""Receipt authenticity: DKIM alignment, and which senders a verdict can vouch for."""

from __future__ import annotations

import pytest

from tixpilot.models.receipts import MailVerdicts
from tixpilot.services.mail_trust import (
    authenticate,
    dkim_aligned,
    organizational_domain,
    spam_or_virus,
)

TM = ("ticketmaster.com",)
SIGNED = MailVerdicts(spam="PASS", virus="PASS", spf="PASS", dkim="PASS", dmarc="PASS")
FORGED = MailVerdicts(spam="PASS", virus="PASS", spf="PASS", dkim="PASS", dmarc="FAIL")


def nobody(address: str) -> bool:
    return False


@pytest.mark.parametrize(
    ("domain", "organizational"),
    [
        ("email.ticketmaster.com", "ticketmaster.com"),
        ("ticketmaster.com", "ticketmaster.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("mail.google.com.au", "google.com.au"),
        ("com", "com"),
    ],
)
def test_organizational_domains(domain: str, organizational: str) -> None:
    assert organizational_domain(domain) == organizational


@pytest.mark.parametrize(
    ("signer", "author", "aligned"),
    [
        ("email.ticketmaster.com", "email.ticketmaster.com", True),  # the same domain
        ("ticketmaster.com", "email.ticketmaster.com", True),  # the organizational domain
        ("TicketMaster.com.", "email.ticketmaster.com", True),  # case and the root dot
        ("email.ticketmaster.com", "ticketmaster.com", False),  # a subdomain does not vouch upward
        ("com", "email.ticketmaster.com", False),  # a public suffix vouches for nobody
        ("co.uk", "example.co.uk", False),
        ("evil.test", "email.ticketmaster.com", False),
        ("xticketmaster.com", "ticketmaster.com", False),  # a suffix of the text is not a parent
        ("ticketmaster.com.evil.test", "ticketmaster.com", False),
        ("", "ticketmaster.com", False),
        ("ticketmaster.com", "", False),
    ],
)
def test_dkim_alignment_is_relaxed_down_to_the_organizational_domain(
    signer: str, author: str, aligned: bool
) -> None:
    assert dkim_aligned(signer, author) is aligned


def test_the_primary_domain_signing_its_own_receipt_is_authentic() -> None:
    got = authenticate(["customer_support@email.ticketmaster.com"], SIGNED, TM, nobody)
    assert got.verified and "email.ticketmaster.com" in got.explanation


@pytest.mark.parametrize(
    ("verdicts", "why"),
    [
        (FORGED, "dmarc FAIL"),  # signed, but not by the From domain
        (MailVerdicts(dkim="FAIL", dmarc="PASS"), "dkim FAIL"),  # DMARC by SPF alone is not DKIM
        (MailVerdicts(), "dkim GRAY"),
    ],
)
def test_the_primary_domain_without_its_own_signature_is_not(verdicts: MailVerdicts, why: str) -> None:
    got = authenticate(["customer_support@email.ticketmaster.com"], verdicts, TM, nobody)
    assert not got.verified and why in got.explanation


def test_any_other_sender_is_not_even_when_its_own_domain_signed() -> None:
    got = authenticate(["orders@ticketmaster-help.test"], SIGNED, TM, nobody)
    assert not got.verified and "tixpilot forwarder add" in got.explanation


def test_a_trusted_forwarder_counts_when_its_own_domain_signed() -> None:
    def jane(address: str) -> bool:
        return address == "jane@gmail.com"

    assert authenticate(["jane@gmail.com"], SIGNED, TM, jane).verified
    unsigned = authenticate(["jane@gmail.com"], FORGED, TM, jane)
    assert not unsigned.verified and "gmail.com did not authenticate" in unsigned.explanation
    assert not authenticate(["john@gmail.com"], SIGNED, TM, jane).verified


@pytest.mark.parametrize(
    "senders", [[], ["customer_support@email.ticketmaster.com", "evil@attacker.test"]], ids=["none", "two"]
)
def test_exactly_one_from_address_or_nothing_is_authentic(senders: list[str]) -> None:
    got = authenticate(senders, SIGNED, TM, nobody)
    assert not got.verified and "exactly one From" in got.explanation


def test_mail_no_transport_checked_is_not_authentic() -> None:
    got = authenticate(["customer_support@email.ticketmaster.com"], None, TM, nobody)
    assert not got.verified and "imported" in got.explanation


def test_spam_and_viruses_are_not_read() -> None:
    assert spam_or_virus(None) is None
    assert spam_or_virus(SIGNED) is None
    assert "spam" in (spam_or_virus(MailVerdicts(spam="FAIL")) or "")
    assert "virus" in (spam_or_virus(MailVerdicts(spam="FAIL", virus="FAIL")) or "")
    assert spam_or_virus(MailVerdicts(spam="GRAY", virus="DISABLED")) is None
