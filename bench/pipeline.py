"""Pipeline benchmark (README.md, Performance): email-in to PO latency with Safeguard 1 in the local
stack, and state transitions per purchase (GetExecutionHistory) for Safeguard levels 1, 2, 3.

Starts `python -m infra.local` on free ports with short recrawl waits (1 s doubling to 2 s),
sends Ticketmaster receipts over SMTP, signed by Ticketmaster's domain (DKIM; the key published in
the primary sandbox, as intake only lets an authenticated receipt drive a level-1 PO). A receipt's
latency runs from the moment its SMTP session starts (this process's wall clock) to the end of its
purchase's execution in the emulator's history (AutoPO ends it, once the PO is recorded on the
purchase; the emulator's clock is this machine's). The benchmark only learns that the PO is there
by asking the purchases table (its confirmation index) every 0.2 s: asking every 20 ms, as it did,
took the emulator's DynamoDB (one request at a time) often enough to slow the pipeline it timed by
about a quarter, and the slowdown moved from run to run. Levels 2 and 3 have the primary sandbox
show the order after 2 s and its rotating status after 4 s. Writes bench/results/pipeline.json.
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import requests

from bench import save
from bench.cost import billed_transitions
from bench.stats import spread
from infra.local.__main__ import ENV as LOCAL_ENV
from infra.local.dkim import PrimarySigner
from tixpilot.repositories.purchases import confirmation_key
from tixpilot.tables import PURCHASE_INDEXES

ROOT = Path(__file__).resolve().parents[1]
RECEIPT = ROOT / "events" / "receipts" / "tm_plain_seated.eml"
HOST = "127.0.0.1"
TOKEN = "tpk_bench-pipeline-demo-token"
DOMAIN = "demo.tixpilot.test"
BUYER = f"bench@{DOMAIN}"
POLL_S = 0.2  # how often the benchmark asks whether the PO is there (it does not time the answer)


def _ports(count: int) -> list[int]:
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.bind((HOST, 0))
        socks.append(s)
    ports = [int(s.getsockname()[1]) for s in socks]
    for s in socks:
        s.close()
    return ports


def _until(check: Any, what: str, timeout_s: float = 60.0, every_s: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every_s)
    raise TimeoutError(f"gave up waiting for {what}")


class Stack:
    def __init__(self, log: Path) -> None:
        self.aws, self.api, self.smtp, self.primary = _ports(4)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TIXPILOT_", "POWERTOOLS_"))}
        env.update(
            AWS_PORT=str(self.aws),
            API_PORT=str(self.api),
            SMTP_PORT=str(self.smtp),
            PRIMARY_PORT=str(self.primary),
            TIXPILOT_DEMO_TOKEN=TOKEN,
            TIXPILOT_RECRAWL_INITIAL_S="1",
            TIXPILOT_RECRAWL_MAX_S="2",
            TIXPILOT_SAFEGUARD_WINDOW_S="30",
        )
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        _until(self._ready, "the local stack", 90, 0.2)
        session = boto3.session.Session()
        emulator = {
            "endpoint_url": f"http://{HOST}:{self.aws}",
            "region_name": "us-east-1",
            "aws_access_key_id": "local",
            "aws_secret_access_key": "local",
        }
        self.sfn = session.client("stepfunctions", **emulator)
        self.dynamodb = session.client("dynamodb", **emulator)

    def _ready(self) -> bool:
        try:
            return self.call("GET", "/v2/verify").status_code == 200
        except requests.RequestException:
            return False

    def tenant_id(self) -> str:
        """The demo tenant's id (the one the stack's API token belongs to)."""
        return str(self.call("GET", "/v2/verify").json()["output"][0]["userid"])

    def call(self, method: str, path: str, **params: str) -> requests.Response:
        return requests.request(
            method,
            f"http://{HOST}:{self.api}{path}",
            params=params,
            headers={"x-api-token": TOKEN},
            timeout=10,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _signer(stack: Stack) -> PrimarySigner:
    signer = PrimarySigner.generate("email.ticketmaster.com", selector="bench")
    signer.publish(f"http://{HOST}:{stack.primary}")
    return signer


def _confirmation() -> str:
    return f"{uuid.uuid4().int % 90 + 10}-{uuid.uuid4().int % 90000 + 10000}"


def _receipt(signer: PrimarySigner, confirmation: str, to: str | None = None) -> bytes:
    """The sample receipt for `confirmation` with a Message-ID of its own (and its To header
    rewritten to `to`), signed by Ticketmaster's domain."""
    raw = RECEIPT.read_bytes().replace(b"38-41225/SF3", f"{confirmation}/SF3".encode())
    if to:
        raw = raw.replace(b"buyer1@demo.tixpilot.test", to.encode())
    raw = raw.replace(
        b"<20260617183001.A1B2C3@email.ticketmaster.com>", f"<{uuid.uuid4().hex}@bench>".encode()
    )
    return signer.sign(raw)


def _send(stack: Stack, signer: PrimarySigner, confirmation: str | None = None) -> str:
    """A signed receipt for `confirmation` (a new one if None) over SMTP: its confirmation number."""
    confirmation = confirmation or _confirmation()
    with smtplib.SMTP(HOST, stack.smtp, timeout=10) as smtp:
        smtp.sendmail("customer_support@email.ticketmaster.com", [BUYER], _receipt(signer, confirmation))
    return confirmation


def _purchases(stack: Stack, tenant_id: str, confirmation: str) -> list[dict[str, Any]]:
    """The purchases recorded for `confirmation` (the purchases table's confirmation index)."""
    index = PURCHASE_INDEXES["confirmation"]
    items = stack.dynamodb.query(
        TableName=f"tixpilot-{LOCAL_ENV}-purchases",
        IndexName=index.name,
        KeyConditionExpression="#k = :k",
        ExpressionAttributeNames={"#k": index.partition_key.name},
        ExpressionAttributeValues={":k": {"S": confirmation_key(tenant_id, confirmation)}},
    )["Items"]
    return [json.loads(item["doc"]["S"]) for item in items if "doc" in item]


def _po(stack: Stack, tenant_id: str, confirmation: str) -> dict[str, Any] | None:
    """The purchase of `confirmation` once its builtin PO is recorded, else None."""
    purchases = _purchases(stack, tenant_id, confirmation)
    return next((p for p in purchases if p.get("purchaseorders", {}).get("builtin")), None)


def _execution(stack: Stack, tenant_id: str, rid: int) -> str:
    """The ARN of the purchase's first run of the pipeline."""
    machine = stack.sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    return str(machine.replace(":stateMachine:", ":execution:") + f":p-{tenant_id}-{rid}-1")


def _history(stack: Stack, tenant_id: str, rid: int) -> list[dict[str, Any]]:
    """The events of the purchase's first run, once it has ended."""
    arn = _execution(stack, tenant_id, rid)

    def done() -> bool:
        return bool(stack.sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")

    _until(done, "the execution to end", 60, 0.1)
    return list(stack.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"])


def _ended_at(events: list[dict[str, Any]]) -> float:
    """When the execution ended (epoch seconds, the emulator's clock: milliseconds)."""
    last = events[-1]
    if last["type"] != "ExecutionSucceeded":
        raise RuntimeError(f"the purchase's execution ended with {last['type']}, not AutoPO's success")
    return float(last["timestamp"].timestamp())


def _sandbox(stack: Stack, confirmation: str, visible_after_s: float, rotating_known_after_s: float) -> None:
    order = {
        "account_username": BUYER,
        "confirmation_number": confirmation,
        "region": "SF3",
        "event": {"name": "Sugarland", "venue": "Smart Financial Centre", "datetime": "2026-07-11T19:00:00"},
        "section": "309",
        "row": "H",
        "seats": ["5", "6"],
        "cost_perseat": "42.00",
        "face_perseat": "33.00",
        "fees": "10.95",
        "disclosures": [],
        "stock": "mobile",
        "rotating_barcodes": False,
        "visible_after_s": visible_after_s,
        "rotating_known_after_s": rotating_known_after_s,
    }
    response = requests.post(f"http://{HOST}:{stack.primary}/sandbox/orders", json=order, timeout=10)
    response.raise_for_status()


def run(runs: int = 30) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(Path(folder) / "stack.log")
        try:
            tenant_id = stack.tenant_id()
            added = stack.call(
                "POST", "/v2/accounts/add", username=BUYER, marketplaceid="1", password="Bench-pw-1"
            )
            account_id = str(added.json()["output"][0]["accountid"])
            stack.call(
                "POST",
                "/v2/accounts/update/v2",
                id=account_id,
                posid="100",
                autopo="true",
                autopodateafter="1/1/2020",
            )

            stack.call("POST", "/v2/settings/update", safeguard="1")
            signer = _signer(stack)
            latencies: list[float] = []
            level_1_transitions: list[int] = []
            for _ in range(runs):
                sent_at = time.time()
                confirmation = _send(stack, signer)
                purchase = _until(lambda c=confirmation: _po(stack, tenant_id, c), "the PO", every_s=POLL_S)
                events = _history(stack, tenant_id, purchase["rid"])
                latencies.append(_ended_at(events) - sent_at)
                level_1_transitions.append(billed_transitions(events))

            transitions: dict[str, int] = {"1": int(statistics.median(level_1_transitions))}
            for level, (visible, rotating) in {"2": (2.0, 3600.0), "3": (0.0, 4.0)}.items():
                stack.call("POST", "/v2/settings/update", safeguard=level)
                confirmation = _confirmation()
                _sandbox(stack, confirmation, visible, rotating)
                _send(stack, signer, confirmation)
                purchase = _until(
                    lambda c=confirmation: _po(stack, tenant_id, c), f"the level {level} PO", 60
                )
                transitions[level] = billed_transitions(_history(stack, tenant_id, purchase["rid"]))
        finally:
            stack.stop()
    latency = spread(latencies)
    result = {
        "email_to_po_s_p50": latency["median"],
        "email_to_po_s_p95": latency["p95"],
        "email_to_po_s": latency,
        "email_to_po_s_runs": [round(x, 3) for x in latencies],
        "transitions": transitions,
        "transitions_level_1": transitions["1"],
        "transitions_level_2": transitions["2"],
        "transitions_level_3": transitions["3"],
        "note": f"{runs} receipts for one event, one after another, each timed from its SMTP session's "
        "start to the end of its execution (AutoPO, once the PO is on the purchase); the PO looked for "
        f"every {POLL_S} s. The event's name cap is reached at counts 2, 5, 9, 17, 33: the cap's raise "
        "then runs in the same process as the pipeline, which in Lambda it does not. Local stack (moto's "
        "Step Functions interpreter, in-process Lambda tasks); recrawl waits 1 s doubling to 2 s; level 2: "
        "order visible on the primary after 2 s; level 3: rotating status known after 4 s. Transitions: "
        "states entered plus task retries in the purchase's execution (bench.cost.billed_transitions).",
    }
    save("pipeline", result)
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
