"""Hostile messages (bench/hostile_mail.py) against intake's caps and time budget.

Each of these messages used to cost intake seconds to minutes (the figures are in
docs/intake.md and bench/results/intake_hostile.json). Here each is read with intake's own
budget (limits.BUDGET_S): a regression to a quadratic step ends in the budget's reason instead of
the outcome asserted, so these tests fail without timing anything themselves. Reading is linear
(each took under 0.4 s on the development machine), so the budget is never close."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import pytest

from bench.hostile_mail import HOSTILE, deep_multipart, long_message_id, quote_flood, tag_soup
from tests.unit.fakes import FakeDomains, FakeForwarders, FakeReceipts, FakeSequences
from tests.unit.test_intake import AUTHENTIC, FakePurchases
from tixpilot.adapters.receipts import Budget, NotParsed, read_mail
from tixpilot.adapters.receipts.limits import MAX_LINE_CHARS, MAX_LINES
from tixpilot.adapters.receipts.mime import html_to_text
from tixpilot.models.domains import Domain
from tixpilot.models.receipts import InboundMail, ParsedReceipt
from tixpilot.services.intake import IntakeRepos, mail_from_headers, read_receipt, receive_mail
from tixpilot.services.purchases import PurchaseRepos

OVER_BUDGET = "took longer than"


def reason(raw: bytes) -> str:
    result = read_receipt(raw, AUTHENTIC).result
    assert isinstance(result, NotParsed), result
    return result.reason


@pytest.mark.parametrize("name", sorted(set(HOSTILE) - {"long_message_id"}))
def test_every_hostile_message_is_read_within_the_budget_or_refused_with_a_reason(name: str) -> None:
    why = reason(HOSTILE[name]())
    assert why and OVER_BUDGET not in why


def test_a_megabyte_of_quote_marks_is_stripped_in_one_pass() -> None:
    assert "without an order number" in reason(quote_flood())


def test_unclosed_tags_are_converted_in_linear_time() -> None:
    assert "without an order number" in reason(tag_soup())


def test_a_1200_deep_multipart_is_refused_with_the_reason() -> None:
    assert "MIME boundary lines" in reason(deep_multipart())


def test_nested_parts_beyond_the_cap_are_refused() -> None:
    assert "nested more than" in reason(HOSTILE["deep_attached"]())


def test_a_long_message_id_still_reads_as_a_receipt() -> None:
    assert isinstance(read_receipt(long_message_id(), AUTHENTIC).result, ParsedReceipt)


def test_the_budget_stops_a_read_that_takes_too_long() -> None:
    ticks = count()
    budget = Budget(seconds=2.0, clock=lambda: float(next(ticks)))  # one second per look at the clock
    why = read_receipt(quote_flood(), AUTHENTIC, budget).result
    assert isinstance(why, NotParsed) and OVER_BUDGET in why.reason and "kept" in why.reason


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_mail_is_recorded_not_lost(name: str) -> None:
    domains = FakeDomains()
    domains.add(Domain(domain_id="1", domain="demo.tixpilot.test", tenant_id="A"))
    repos = IntakeRepos(
        domains=domains,
        receipts=FakeReceipts(),
        purchases=PurchaseRepos(purchases=FakePurchases(), sequences=FakeSequences()),
        forwarders=FakeForwarders(),
    )
    raw = HOSTILE[name]()
    inbound = mail_from_headers(raw, "t1", ["buyer@demo.tixpilot.test"])  # what an import does
    (got,) = receive_mail(repos, inbound.model_copy(update={"verdicts": AUTHENTIC}), "inbound/t1", raw)
    assert got.tenant_id == "A" and got.status in ("parsed", "unparsed")
    assert got.status == "parsed" or got.reason


def test_import_reads_only_the_first_64_kb_of_the_header_section() -> None:
    inbound = mail_from_headers(HOSTILE["address_flood"](), "t1")
    # the flooded To is no address, and the Message-ID comes after 64 KB: the transport id stands in
    assert (inbound.recipients, inbound.message_id) == ([], "t1")


def test_a_receipt_before_a_flood_of_lines_is_still_read() -> None:
    raw = (
        b"From: customer_support@email.ticketmaster.com\r\nSubject: You Got Tickets To Sugarland\r\n\r\n"
        b"Order # 12-34567/NY\r\nSec 101, Row A, Seat 1 - 2\r\n" + b"x" * (MAX_LINE_CHARS * 3) + b"\r\n"
    ) + b"filler\r\n" * (MAX_LINES * 2)
    mail = read_mail(raw)
    assert len(mail.lines) == MAX_LINES and all(len(line) <= MAX_LINE_CHARS for line in mail.lines)
    parsed = read_receipt(raw, AUTHENTIC).result
    assert isinstance(parsed, ParsedReceipt) and parsed.seats == ["1", "2"]


def test_quote_marks_and_indentation_are_stripped_from_each_line() -> None:
    raw = b"From: a@b.test\r\n\r\n> > Order # 12-34567/NY\r\n>>>\t Total $9.00\r\n  plain\r\n"
    assert read_mail(raw).lines == ["Order # 12-34567/NY", "Total $9.00", "plain"]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Sec 1</p><p>Row A</p>", "\nSec 1\n\nRow A\n"),
        ("<table><tr><td>Total</td><td>$9</td></tr></table>", "\n\n Total  $9 \n\n"),
        ("<head><title>x</title></head><body>a<script>no</script>b<style>p{}</style>c</body>", "abc"),
        ('<p class="a" style="color: red">x&amp;y&nbsp;z</p>', "\nx&y\u00a0z\n"),
        ("line\nbreaks\r\nare spaces", "line breaks are spaces"),
        ("<!-- hidden --><?pi?>shown", "shown"),
        ("", ""),
        ("<a <a <a", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_a_message_id_is_one_line_and_whole() -> None:
    inbound = mail_from_headers(long_message_id(), "t1")
    assert len(inbound.message_id) > 2048 and "\n" not in inbound.message_id


def test_records_keep_at_most_a_bounded_subject() -> None:
    domains = FakeDomains()
    domains.add(Domain(domain_id="1", domain="demo.tixpilot.test", tenant_id="A"))
    repos = IntakeRepos(
        domains=domains,
        receipts=FakeReceipts(),
        purchases=PurchaseRepos(purchases=FakePurchases(), sequences=FakeSequences()),
        forwarders=FakeForwarders(),
    )
    inbound = InboundMail(
        transport_id="t1",
        message_id="<m@x>",
        sender="a@b.test",
        recipients=["buyer@demo.tixpilot.test"],
        subject="s" * 1_000_000,
        received=datetime(2026, 6, 17, tzinfo=UTC),
    )
    (got,) = receive_mail(repos, inbound, "inbound/t1", b"Subject: s\r\n\r\nhello")
    assert len(got.subject) < 2_100 and got.subject.endswith("(1000000 characters)")
