"""The local SMTP receiver's DKIM checks (dkimpy) over messages really signed with RSA keys made
here, with the sandbox's key records served from a dict."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.dkim import MAX_SIGNATURES, PrimarySigner, local_verdicts, verified_signers

RECEIPT = (Path(__file__).resolve().parents[2] / "events" / "receipts" / "tm_plain_seated.eml").read_bytes()


class Dns:
    """dkimpy's TXT lookup over published keys; counts the lookups."""

    def __init__(self, *signers: PrimarySigner) -> None:
        self.records = {f"{s.selector}._domainkey.{s.domain}": s.txt_record() for s in signers}
        self.lookups = 0

    def __call__(self, name: bytes | str, timeout: float = 5) -> bytes | None:
        self.lookups += 1
        text = (name.decode() if isinstance(name, bytes) else name).rstrip(".")
        record = self.records.get(text)
        return record.encode() if record else None


@pytest.fixture(scope="module")
def ticketmaster() -> PrimarySigner:
    return PrimarySigner.generate("email.ticketmaster.com")


@pytest.fixture(scope="module")
def attacker() -> PrimarySigner:
    return PrimarySigner.generate("attacker.test", selector="k1")


def test_a_receipt_signed_by_the_from_domain_passes_dkim_and_dmarc(ticketmaster: PrimarySigner) -> None:
    verdicts = local_verdicts(ticketmaster.sign(RECEIPT), Dns(ticketmaster))
    assert (verdicts.dkim, verdicts.dmarc) == ("PASS", "PASS")
    assert (verdicts.spam, verdicts.virus, verdicts.spf) == ("DISABLED", "DISABLED", "GRAY")


def test_the_organizational_domain_signing_for_a_subdomain_aligns() -> None:
    parent = PrimarySigner.generate("ticketmaster.com")
    assert local_verdicts(parent.sign(RECEIPT), Dns(parent)).dmarc == "PASS"


def test_a_changed_body_fails(ticketmaster: PrimarySigner) -> None:
    signed = ticketmaster.sign(RECEIPT)
    tampered = signed.replace(b"38-41225/SF3", b"38-41226/SF3")
    assert tampered != signed
    verdicts = local_verdicts(tampered, Dns(ticketmaster))
    assert (verdicts.dkim, verdicts.dmarc) == ("FAIL", "FAIL")


def test_a_key_nobody_published_fails(ticketmaster: PrimarySigner) -> None:
    assert local_verdicts(ticketmaster.sign(RECEIPT), Dns()).dkim == "FAIL"


def test_the_attackers_own_valid_signature_does_not_align_with_ticketmaster(attacker: PrimarySigner) -> None:
    verdicts = local_verdicts(attacker.sign(RECEIPT), Dns(attacker))
    assert (verdicts.dkim, verdicts.dmarc) == ("PASS", "FAIL")


def test_unsigned_mail_is_gray_and_fails_dmarc() -> None:
    unsigned = b"From: customer_support@email.ticketmaster.com\r\nSubject: hi\r\n\r\nhello\r\n"
    verdicts = local_verdicts(unsigned, Dns())
    assert (verdicts.dkim, verdicts.dmarc) == ("GRAY", "FAIL")


def test_two_from_addresses_never_align(ticketmaster: PrimarySigner) -> None:
    doubled = RECEIPT.replace(b"To: buyer1", b"From: evil@attacker.test\nTo: buyer1", 1)
    assert local_verdicts(ticketmaster.sign(doubled), Dns(ticketmaster)).dmarc == "FAIL"


def test_at_most_a_few_signatures_are_checked(attacker: PrimarySigner) -> None:
    signed = RECEIPT
    for _ in range(MAX_SIGNATURES + 5):
        signed = attacker.sign(signed)
    dns = Dns(attacker)
    assert len(verified_signers(signed, MAX_SIGNATURES + 5, dns)) <= MAX_SIGNATURES
    assert dns.lookups <= MAX_SIGNATURES


def test_garbage_signatures_fail_without_raising() -> None:
    junk = b"DKIM-Signature: v=1; a=rsa-sha256; d=; b=!!\r\n" + RECEIPT
    assert local_verdicts(junk, Dns()).dkim == "FAIL"
