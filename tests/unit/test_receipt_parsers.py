"""Receipt parsers over the fixture corpus (events/receipts/*.eml, expected fields in the .json
next to each), and properties: they never raise and never state what the message does not."""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tixpilot.adapters.receipts import PARSERS, NotParsed, parse_receipt, read_mail
from tixpilot.models.receipts import ParsedReceipt

CORPUS = Path(__file__).resolve().parents[2] / "events" / "receipts"
FIXTURES = sorted(CORPUS.glob("*.eml"))


def expected(eml: Path) -> dict:
    return json.loads(eml.with_suffix(".json").read_text())


def test_the_corpus_covers_every_parser_and_some_noise():
    assert len(FIXTURES) >= 20
    statuses = [expected(f)["status"] for f in FIXTURES]
    parsers = {expected(f)["fields"]["parser"] for f in FIXTURES if expected(f)["status"] == "parsed"}
    assert parsers == set(PARSERS) and statuses.count("unparsed") >= 5


@pytest.mark.parametrize("eml", FIXTURES, ids=lambda p: p.stem)
def test_each_fixture_parses_to_exactly_its_expected_fields(eml: Path):
    want = expected(eml)
    got = parse_receipt(eml.read_bytes())
    if want["status"] == "unparsed":
        assert isinstance(got, NotParsed), got
        assert want["reason_contains"] in got.reason
    else:
        assert isinstance(got, ParsedReceipt), got
        # every field, the nulls included: what the email does not state stays unknown
        assert got.model_dump(mode="json") == want["fields"]


def _evidence(receipt: ParsedReceipt) -> list[str]:
    """Each stated field as it must appear in the message text."""
    values = [
        receipt.confirmation_number,
        receipt.confirmation_region,
        receipt.event_name,
        receipt.venue,
        receipt.section,
        receipt.row,
        receipt.delivery_method,
        receipt.creditcard_last4,
        # a range "Seat 5 - 8" states its ends; the seats between are counted, not read
        *([receipt.seats[0], receipt.seats[-1]] if receipt.seats else []),
    ]
    for amount in (receipt.face_perseat, receipt.cost_group):
        if amount is not None:
            values.append(
                f"{amount:,.2f}".removesuffix(".00") if amount == amount.to_integral() else f"{amount:,}"
            )
    return [v for v in values if v]


def _appears(value: str, text: str) -> bool:
    return value.lower() in text.lower()


def _assert_nothing_invented(raw: bytes) -> None:
    got = parse_receipt(raw)
    if isinstance(got, NotParsed):
        assert got.reason
        return
    mail = read_mail(raw)
    text = "\n".join([mail.subject, mail.effective_subject, mail.text])
    for value in _evidence(got):
        assert _appears(value, text), (value, text)
    if got.starts_at is not None:
        assert str(got.starts_at.year) in text and str(got.starts_at.day) in text
    if got.quantity is not None:
        assert (got.seats and got.quantity == len(got.seats)) or str(got.quantity) in text


@pytest.mark.parametrize("eml", FIXTURES, ids=lambda p: p.stem)
def test_no_fixture_yields_a_field_its_text_lacks(eml: Path):
    _assert_nothing_invented(eml.read_bytes())


# Lines a receipt is made of, shuffled and combined with noise: the parsers' input space.
RECEIPT_LINES = [line for eml in FIXTURES for line in read_mail(eml.read_bytes()).lines if len(line) < 120]
ORDER_LINES = [line for line in RECEIPT_LINES if line.startswith(("Order #", "Order Number"))]
_line = st.one_of(st.sampled_from(RECEIPT_LINES), st.text(max_size=80))
_subject = st.one_of(
    st.sampled_from(
        ["You Got Tickets To Sugarland", "Fwd: You Got Tickets To X", "Your AXS Order Confirmation", ""]
    ),
    st.text(max_size=60),
)
_sender = st.sampled_from(
    ["customer_support@email.ticketmaster.com", "noreply@axs.com", "noreply@axs.com", "someone@gmail.com", ""]
)


@st.composite
def mime_messages(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(_line, max_size=30))
    if draw(st.booleans()):  # most interesting when some parser's order number is in there
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(ORDER_LINES)))
    body = "\n".join(lines)
    message = EmailMessage()
    message["From"] = draw(_sender)
    message["Subject"] = " ".join(draw(_subject).splitlines())
    subtype = draw(st.sampled_from(["plain", "html"]))
    charset = draw(st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "utf-16"]))
    encoding = draw(st.sampled_from(["quoted-printable", "base64", "8bit"]))
    data = body.encode(charset, errors="replace")
    message.set_content(
        data, maintype="text", subtype=subtype, cte=encoding if encoding != "8bit" else "base64"
    )
    message.set_param("charset", charset)
    return bytes(message)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mime_messages())
def test_parsers_never_raise_and_never_invent_on_generated_mime(raw: bytes):
    _assert_nothing_invented(raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes):
    got = parse_receipt(raw)
    assert isinstance(got, NotParsed | ParsedReceipt)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FIXTURES), st.integers(min_value=0), st.binary(min_size=1, max_size=40))
def test_corrupted_fixtures_never_raise_and_never_invent(eml: Path, at: int, junk: bytes):
    raw = eml.read_bytes()
    cut = at % len(raw)
    _assert_nothing_invented(raw[:cut] + junk + raw[cut + len(junk) :])


def test_seat_lines_with_non_breaking_spaces_and_dashes():
    for seat_line in (
        "Sec\u00a0309,\u00a0Row\u00a0H,\u00a0Seat\u00a05\u00a0-\u00a06",
        "Sec 309, Row H, Seat 5 \u2013 6",
    ):
        raw = (
            "From: customer_support@email.ticketmaster.com\nSubject: You Got Tickets To Sugarland\n"
            "Content-Type: text/plain; charset=utf-8\n\n"
            f"Order # 38-41225/SF3\n{seat_line}\n"
        ).encode()
        got = parse_receipt(raw)
        assert isinstance(got, ParsedReceipt)
        assert (got.section, got.row, got.seats, got.quantity) == ("309", "H", ["5", "6"], 2)


def test_a_receipt_without_event_lines_leaves_them_unknown():
    raw = b"From: customer_support@email.ticketmaster.com\nSubject: Order\n\nOrder # 12-34567/NY\n"
    got = parse_receipt(raw)
    assert isinstance(got, ParsedReceipt)
    stated = {k for k, v in got.model_dump().items() if v is not None}
    assert stated == {"parser", "marketplace_id", "confirmation_number", "confirmation_region"}


def test_the_money_pattern_reads_thousands():
    raw = b"From: customer_support@email.ticketmaster.com\n\nOrder # 12-34567/NY\nTotal $1,234.50\n"
    got = parse_receipt(raw)
    assert isinstance(got, ParsedReceipt) and str(got.cost_group) == "1234.50"
    assert re.search(r"1,234\.50", raw.decode())


def test_the_parse_benchmark_reports_a_ratio(tmp_path, monkeypatch):
    import bench
    from bench import parse

    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    figures = parse.run(rounds=1, repeat=1)
    assert figures["corpus_messages"] == len(FIXTURES) and figures["ratio_vs_stdlib_decode"] > 0
    assert json.loads((tmp_path / "parse.json").read_text()) == figures
