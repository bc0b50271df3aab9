"""Whether a receipt email is authentic: pure rules over what the transport verified.

Anyone can write `From: customer_support@email.ticketmaster.com`. A receipt counts as the
primary's own only when its From domain is the primary's sending domain and that domain vouched
for the message (DKIM aligned with the From domain, DMARC-style); or when it comes from one of the
tenant's trusted forwarders (`tixpilot forwarder add`) whose own domain vouched for it. A From
line quoted inside a forwarded body proves nothing and is never looked at here.

The verdicts come from the transport: SES in AWS (its `dmarcVerdict` is PASS only when the From
domain authenticated the message), the local SMTP receiver locally (which computes DKIM, and
DMARC as "an aligned DKIM signature verified", through `dkim_aligned` below).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tixpilot.models.receipts import MailVerdicts

PASS = "PASS"
FAIL = "FAIL"

# Second-level labels under which country domains register names (example.co.uk): the
# organizational domain is then three labels. A short list, not the Public Suffix List: in AWS
# SES decides alignment; this serves the local receiver and the tests.
_SECOND_LEVEL = frozenset(("co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go"))


@dataclass(frozen=True)
class Authenticity:
    verified: bool
    explanation: str  # how it was verified, or why not: shown in /v2/receipts


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().strip(">").rstrip(".").lower() if "@" in address else ""


def organizational_domain(domain: str) -> str:
    """The registered domain a name belongs to (email.ticketmaster.com -> ticketmaster.com)."""
    labels = domain.lower().rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def within(domain: str, parent: str) -> bool:
    """`domain` is `parent` or one of its subdomains."""
    return domain == parent or domain.endswith("." + parent)


def dkim_aligned(signing_domain: str, from_domain: str) -> bool:
    """DKIM alignment, relaxed as DMARC defines it: the signature's d= is the From domain or a
    parent of it, down to its organizational domain (never a public suffix such as `com`)."""
    signer, author = signing_domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not signer or not author:
        return False
    return within(author, signer) and within(signer, organizational_domain(author))


def spam_or_virus(verdicts: MailVerdicts | None) -> str | None:
    """Why a message must not be read at all (the transport found spam or a virus), else None."""
    if verdicts is None:
        return None
    if verdicts.virus == FAIL:
        return "the mail transport found a virus (virus verdict FAIL): kept, not read"
    if verdicts.spam == FAIL:
        return "the mail transport marked it as spam (spam verdict FAIL): kept, not read"
    return None


def authenticate(
    senders: Sequence[str],
    verdicts: MailVerdicts | None,
    primary_domains: Sequence[str],
    trusted_forwarder: Callable[[str], bool],
) -> Authenticity:
    """Whether a message is the primary's own receipt, or a trusted forwarder's copy of one.

    `senders`: every address of the message's From headers; `primary_domains`: where the primary
    that the receipt names sends from; `trusted_forwarder(address)`: the tenant's forwarder list.
    """
    if verdicts is None:
        return Authenticity(False, "no transport checked this message (imported): not authenticated")
    if len(senders) != 1:
        who = ", ".join(senders) if senders else "none"
        return Authenticity(False, f"the message needs exactly one From address to be authenticated ({who})")
    sender = senders[0]
    author = domain_of(sender)
    vouched = verdicts.dkim == PASS and verdicts.dmarc == PASS
    checks = f"dkim {verdicts.dkim}, dmarc {verdicts.dmarc}"
    primary = next((d for d in primary_domains if within(author, d)), None)
    if primary is not None:
        if vouched:
            return Authenticity(True, f"DKIM aligned with {author} ({checks})")
        return Authenticity(False, f"From {author}, but that domain did not authenticate it ({checks})")
    if trusted_forwarder(sender):
        if vouched:
            return Authenticity(True, f"forwarded by trusted forwarder {sender}; {author} authenticated it")
        return Authenticity(
            False, f"From trusted forwarder {sender}, but {author} did not authenticate it ({checks})"
        )
    expected = ", ".join(primary_domains) or "a primary's domain"
    return Authenticity(
        False,
        f"From {sender}: neither the primary's sending domain ({expected}) nor a trusted forwarder "
        "of this tenant (`tixpilot forwarder add`)",
    )
