"""The local SES inbound (infra/local/smtp.py): real SMTP sessions with its front process, the raw
message in moto's bucket over HTTP, and the SES event intake would get. DKIM is dkimpy's: a
signature that still verifies after the hand-off between the two processes shows the message
arrived byte for byte."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.dkim import PrimarySigner
from infra.local.moto_serial import free_port
from infra.local.smtp import ROOT, SmtpReceiver, start_smtp
from infra.local.smtp_front import READY
from tixpilot.adapters.ses import RAW_PREFIX
from tixpilot.repositories.receipts import RawMailStore

HOST = "127.0.0.1"
RECEIPT = (Path(__file__).resolve().parents[2] / "events" / "receipts" / "tm_plain_seated.eml").read_bytes()


class Intake:
    """Stands in for the local Lambda runtime: records the events the receiver invokes intake with."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, function_id: str, event: dict[str, Any]) -> None:
        assert function_id == "intake"
        self.events.append(event)


class Dns:
    def __init__(self, signer: PrimarySigner) -> None:
        self.records = {f"{signer.selector}._domainkey.{signer.domain}": signer.txt_record()}

    def __call__(self, name: bytes | str, timeout: float = 5) -> bytes | None:
        text = (name.decode() if isinstance(name, bytes) else name).rstrip(".")
        return self.records.get(text)


@pytest.fixture(scope="module")
def signer() -> PrimarySigner:
    return PrimarySigner.generate("email.ticketmaster.com", selector="smtp")


def _receiver(store: RawMailStore, intake: Intake, signer: PrimarySigner) -> tuple[SmtpReceiver, int]:
    port = free_port()
    return start_smtp(intake, store, HOST, port, Dns(signer)), port  # type: ignore[arg-type]


@pytest.fixture
def intake() -> Intake:
    return Intake()


@pytest.fixture
def receiver(moto_server: str, intake: Intake, signer: PrimarySigner) -> Iterator[tuple[SmtpReceiver, int]]:
    running, port = _receiver(RawMailStore(), intake, signer)
    yield running, port
    running.stop()


def test_a_signed_receipt_is_kept_byte_for_byte_then_given_to_intake(
    receiver: tuple[SmtpReceiver, int], intake: Intake, signer: PrimarySigner
) -> None:
    _, port = receiver
    raw = signer.sign(RECEIPT.replace(b"A1B2C3", uuid.uuid4().hex.encode()))
    recipients = ["buyer1@demo.tixpilot.test", "käufer@demo.tixpilot.test"]
    with smtplib.SMTP(HOST, port, timeout=30) as smtp:
        refused = smtp.sendmail("bounces@email.ticketmaster.com", recipients, raw, mail_options=["SMTPUTF8"])
    assert refused == {}

    # The SMTP transaction ends once intake has the message.
    [event] = intake.events
    record = event["Records"][0]["ses"]
    transport_id = record["mail"]["messageId"]
    assert record["mail"]["source"] == "bounces@email.ticketmaster.com"
    assert record["receipt"]["recipients"] == recipients
    # dkimpy verified the signature over the bytes the front handed over: none changed.
    assert record["receipt"]["dkimVerdict"]["status"] == "PASS"
    assert record["receipt"]["dmarcVerdict"]["status"] == "PASS"
    kept = RawMailStore().get(RAW_PREFIX + transport_id)
    assert kept.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")


def test_mail_that_cannot_be_kept_is_refused_with_451_and_not_given_to_intake(
    moto_server: str, intake: Intake, signer: PrimarySigner
) -> None:
    running, port = _receiver(RawMailStore(bucket=f"no-such-bucket-{uuid.uuid4().hex[:8]}"), intake, signer)
    try:
        with smtplib.SMTP(HOST, port, timeout=30) as smtp, pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("a@example.test", ["b@demo.tixpilot.test"], b"Subject: x\r\n\r\nbody\r\n")
        assert refused.value.smtp_code == 451
        assert intake.events == []
    finally:
        running.stop()


def test_a_malformed_hand_off_is_refused_and_changes_nothing(
    receiver: tuple[SmtpReceiver, int], intake: Intake
) -> None:
    running, _ = receiver
    url = f"http://{HOST}:{running.handoff.server_port}/mail"
    request = urllib.request.Request(url, data=b"Subject: x\r\n\r\n", method="POST")  # no envelope
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)
    assert answer.value.code == 400
    assert intake.events == []


def test_stopping_ends_the_front_process_and_its_port(
    moto_server: str, intake: Intake, signer: PrimarySigner
) -> None:
    running, port = _receiver(RawMailStore(), intake, signer)
    running.stop()
    assert running.front.returncode is not None
    with pytest.raises(OSError):
        smtplib.SMTP(HOST, port, timeout=5)


def test_the_front_answers_451_when_the_stack_cannot_be_reached() -> None:
    """The front on its own, handing over to a port nobody listens on: the client hears a
    temporary failure (it will retry), not an acceptance."""
    port, nobody = free_port(), free_port()
    front = subprocess.Popen(
        [sys.executable, "-m", "infra.local.smtp_front", HOST, str(port), f"http://{HOST}:{nobody}/mail"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert front.stdout is not None and front.stdout.readline().strip() == READY
        with smtplib.SMTP(HOST, port, timeout=30) as smtp, pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("a@example.test", ["b@demo.tixpilot.test"], b"Subject: x\r\n\r\nbody\r\n")
        assert refused.value.smtp_code == 451
    finally:
        assert front.stdin is not None
        front.stdin.close()  # how the stack stops it
        assert front.wait(timeout=10) == 0
