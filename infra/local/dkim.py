"""DKIM for the local stack: the checks SES makes on inbound mail, computed with dkimpy, with the
primary sandbox standing in for DNS (`POST /sandbox/dkim` publishes a key); and a signer that
sends mail as a primary does, for the tests, the benchmarks and trying the stack by hand."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import dkim

from tixpilot.adapters.receipts.mime import addresses
from tixpilot.adapters.ses import header_block
from tixpilot.models.receipts import MailVerdicts
from tixpilot.observability import logger
from tixpilot.services.mail_trust import FAIL, PASS, dkim_aligned, domain_of

# An attacker can add signatures for free; each costs a key lookup and an RSA verification.
MAX_SIGNATURES = 5
DnsLookup = Callable[..., bytes | None]  # dkimpy's dnsfunc: (name, timeout=...) -> TXT or None


class SandboxDns:
    """dkimpy's TXT lookup, answered by the primary sandbox instead of DNS."""

    def __init__(self, primary_url: str, timeout_s: float = 2.0) -> None:
        self.url = primary_url.rstrip("/") + "/sandbox/dkim"
        self.timeout_s = timeout_s

    def __call__(self, name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode() if isinstance(name, bytes) else name
        query = urllib.parse.urlencode({"name": text.rstrip(".")})
        try:
            with urllib.request.urlopen(
                f"{self.url}?{query}", timeout=min(timeout, self.timeout_s)
            ) as answer:
                record = json.loads(answer.read())
        except (urllib.error.URLError, OSError, ValueError):  # 404 (no such key) included
            return None
        txt = record.get("txt") if isinstance(record, dict) else None
        return txt.encode() if isinstance(txt, str) else None


def _signatures_and_author(raw: bytes) -> tuple[int, str]:
    """How many DKIM-Signature headers a message has, and its one From domain ("" if not one)."""
    head = header_block(raw)
    count = sum(1 for line in head.split(b"\n") if line[:15].lower() == b"dkim-signature:")
    authors = addresses(email.message_from_bytes(head, policy=email.policy.compat32).get_all("From", []))
    return count, domain_of(authors[0]) if len(authors) == 1 else ""


def verified_signers(raw: bytes, signatures: int, dnsfunc: DnsLookup) -> list[str]:
    """The d= domain of each of the first MAX_SIGNATURES signatures that verifies."""
    if not signatures:
        return []
    checker = dkim.DKIM(raw, timeout=2)
    signers: list[str] = []
    for index in range(min(signatures, MAX_SIGNATURES)):
        try:
            if checker.verify(idx=index, dnsfunc=dnsfunc):
                signers.append(checker.domain.decode("ascii", "replace").lower())
        except Exception as exc:  # a malformed signature fails, whatever dkimpy raises for it
            logger.info("a DKIM signature did not verify", extra={"why": str(exc)[:200]})
    return signers


def local_verdicts(raw: bytes, dnsfunc: DnsLookup) -> MailVerdicts:
    """What SES would say about a message, as far as the local stack can tell: DKIM verified
    with dkimpy (PASS when a signature verifies, FAIL when none of those present does, GRAY when
    unsigned), and DMARC as its DKIM half (PASS when a verified signature aligns with the From
    domain, else FAIL). No IP, so no SPF (GRAY); no scanner, so spam and virus are DISABLED."""
    count, author = _signatures_and_author(raw)
    signers = verified_signers(raw, count, dnsfunc)
    aligned = any(dkim_aligned(signer, author) for signer in signers)
    return MailVerdicts(
        spam="DISABLED",
        virus="DISABLED",
        spf="GRAY",
        dkim=PASS if signers else (FAIL if count else "GRAY"),
        dmarc=PASS if aligned else FAIL,
    )


@dataclass(frozen=True)
class PrimarySigner:
    """Signs mail for a domain with a key of its own, and publishes the key in the sandbox."""

    domain: str
    selector: str
    private_key_pem: bytes  # PKCS#1, as dkimpy reads it
    public_key_b64: str  # the `p=` tag: DER SubjectPublicKeyInfo, base64

    @classmethod
    def generate(cls, domain: str, selector: str = "s1") -> PrimarySigner:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(domain, selector, private, base64.b64encode(public).decode())

    def sign(self, raw: bytes) -> bytes:
        """The message with a DKIM-Signature header on top (CRLF line endings, as SMTP sends)."""
        wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        signature = dkim.sign(
            wire,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key_pem,
            include_headers=[b"From", b"To", b"Subject", b"Date", b"Message-ID"],
        )
        return bytes(signature) + wire

    def txt_record(self) -> str:
        return f"v=DKIM1; k=rsa; p={self.public_key_b64}"

    def publish(self, primary_url: str) -> None:
        """`POST /sandbox/dkim`: the key where the local receiver's lookups find it."""
        body = json.dumps(
            {"domain": self.domain, "selector": self.selector, "public_key": self.public_key_b64}
        ).encode()
        request = urllib.request.Request(
            primary_url.rstrip("/") + "/sandbox/dkim",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
