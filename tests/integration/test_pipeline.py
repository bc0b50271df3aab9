"""The real state machine (infra/definitions/purchase_pipeline.asl.json) in moto's Step Functions
interpreter, its Lambda tasks dispatched in-process to our handlers, against the primary sandbox.

Waits are 1 s (TIXPILOT_RECRAWL_*); tests poll with deadlines and never assert durations.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from infra.local.lambdas import LocalLambdas
from infra.local.pipeline import start_local_pipeline
from infra.local.queues import LocalQueueWorkers
from infra.local.sandbox import Sandbox, make_sandbox_server
from tests.integration.conftest import TenantWithToken, free_port
from tixpilot import aws
from tixpilot.adapters.stepfunctions import StepFunctionsPipeline, execution_arn, execution_name
from tixpilot.models.accounts import Account, PosSettings
from tixpilot.models.purchases import EventInfo, Items, Money, Observation, Purchase
from tixpilot.repositories.accounts import AccountRepository
from tixpilot.repositories.ledger import LedgerRepository
from tixpilot.repositories.purchases import PurchaseRepository
from tixpilot.repositories.sequences import SequenceRepository
from tixpilot.repositories.tenants import TenantRepository
from tixpilot.services.autopo import push_po
from tixpilot.services.pipeline import start_run
from tixpilot.services.purchases import PurchaseRepos, record_observation, update_purchase
from tixpilot.settings import get_settings
from tixpilot.wiring.pipeline import pipeline_deps, pipeline_runs

_ENV = {
    "TIXPILOT_RECRAWL_INITIAL_S": "1",
    "TIXPILOT_RECRAWL_MAX_S": "2",
    "TIXPILOT_SAFEGUARD_WINDOW_S": "12",
}
_numbers = itertools.count(10000)


@pytest.fixture(scope="module")
def pipeline(moto_server: str) -> Iterator[dict[str, Any]]:
    import os

    saved = {k: os.environ.get(k) for k in [*_ENV, "TIXPILOT_PRIMARY_URL", "TIXPILOT_PIPELINE_ARN"]}
    os.environ.update(_ENV)
    sandbox = Sandbox()
    port = free_port()
    server = make_sandbox_server(sandbox, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["TIXPILOT_PRIMARY_URL"] = f"http://127.0.0.1:{port}"
    lambdas = LocalLambdas()
    arn = start_local_pipeline(get_settings(), aws.client("stepfunctions"), lambdas)
    # the recrawl queue's consumer, as Lambda's event source mapping runs it
    workers = LocalQueueWorkers(get_settings(), lambdas, aws.client("sqs")).start()
    yield {"arn": arn, "primary": f"http://127.0.0.1:{port}"}
    workers.stop()
    server.shutdown()
    server.server_close()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()  # settings are read once; the next reader sees the restored variables


def post_order(primary: str, order: dict[str, Any]) -> None:
    request = urllib.request.Request(
        primary + "/sandbox/orders",
        data=json.dumps(order).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 201


def setup_tenant(tenant: TenantWithToken, level: int, username: str, mobile: str = "transfer") -> None:
    TenantRepository().update_settings(tenant.id, {"safeguard": level, "mobile_po_as": mobile})
    now = dt.datetime.now(dt.UTC)
    account = Account(
        tenant_id=tenant.id,
        account_id=SequenceRepository().next("account"),
        username=username,
        pos={"builtin": PosSettings(autopo=True, autopo_after=dt.date(2020, 1, 1))},
        created=now,
    )
    assert AccountRepository().create_unique(account, None) is None


def email_purchase(tenant_id: str, username: str, confnum: str, **items: Any) -> Purchase:
    """What a Ticketmaster email states: no disclosures, no rotating status."""
    seen = Observation(
        account_username=username,
        confirmation_number=confnum,
        confirmation_region="NY",
        event=EventInfo(name="Sugarland", venue="Arena", starts_at=dt.datetime(2027, 5, 1, 19, 0)),
        items=Items(section="101", row="F", seats=["1", "2"], stock="mobile", **items),
        money=Money(cost_group="200.00", face_perseat="90.00", fees="20.00"),
        purchase_date=dt.date.today(),
    )
    repos = PurchaseRepos(purchases=PurchaseRepository(), sequences=SequenceRepository())
    purchase, created = record_observation(repos, tenant_id, seen, "email")
    assert created
    return purchase


def sandbox_order(username: str, confnum: str, **delays: Any) -> dict[str, Any]:
    return {
        "account_username": username,
        "confirmation_number": confnum,
        "region": "NY",
        "event": {"name": "Sugarland", "venue": "Arena", "datetime": "2027-05-01T19:00:00"},
        "section": "101",
        "row": "F",
        "seats": ["1", "2"],
        "cost_perseat": "100.00",
        "face_perseat": "90.00",
        "fees": "20.00",
        "disclosures": [3],
        "stock": "mobile",
        "rotating_barcodes": True,
        **delays,
    }


def wait_for(check: Callable[[], Any], what: str, timeout_s: float = 45.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {timeout_s:.0f}s")
        time.sleep(0.1)


def purchase_of(tenant_id: str, rid: int) -> Purchase:
    found = PurchaseRepository().get(tenant_id, rid, consistent=True)
    assert found is not None
    return found


def run_arn(arn: str, tenant_id: str, rid: int, generation: int | None) -> str:
    """The execution of run `generation` of the purchase (None: its latest run)."""
    if generation is None:
        generation = purchase_of(tenant_id, rid).run_generation if rid != MISSING_RID else 1
    return execution_arn(arn, execution_name(tenant_id, rid, generation))


def execution(arn: str, tenant_id: str, rid: int, generation: int | None = None) -> dict[str, Any]:
    return dict(
        aws.client("stepfunctions").describe_execution(executionArn=run_arn(arn, tenant_id, rid, generation))
    )


def finished(arn: str, tenant_id: str, rid: int, generation: int | None = None) -> dict[str, Any] | None:
    described = execution(arn, tenant_id, rid, generation)
    return described if described["status"] != "RUNNING" else None


def history(arn: str, tenant_id: str, rid: int, generation: int | None = None) -> list[dict[str, Any]]:
    executions = aws.client("stepfunctions")
    return list(
        executions.get_execution_history(executionArn=run_arn(arn, tenant_id, rid, generation))["events"]
    )


def runs_of(arn: str, tenant_id: str, rid: int) -> list[dict[str, Any]]:
    """Every execution of the purchase, oldest first."""
    prefix = execution_name(tenant_id, rid, 0)[:-1]
    listed = aws.client("stepfunctions").list_executions(stateMachineArn=arn, maxResults=1000)["executions"]
    return sorted(
        (e for e in listed if e["name"].startswith(prefix)), key=lambda e: int(e["name"].rsplit("-", 1)[1])
    )


MISSING_RID = 999999999


def entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def new_confnum() -> str:
    return f"12-{next(_numbers)}"


def test_level_1_pos_from_the_email_alone(pipeline: dict[str, Any], new_tenant: Any) -> None:
    tenant = new_tenant()
    setup_tenant(tenant, 1, "buyer@acme.test")
    confnum = new_confnum()
    # the primary shows the order only much later: level 1 does not wait for it
    post_order(pipeline["primary"], sandbox_order("buyer@acme.test", confnum, visible_after_s=3600))
    purchase = email_purchase(tenant.id, "buyer@acme.test", confnum)
    pipeline_runs().start(purchase, True)
    done = wait_for(lambda: finished(pipeline["arn"], tenant.id, purchase.rid), "the execution")
    assert done["status"] == "SUCCEEDED"
    after = purchase_of(tenant.id, purchase.rid)
    assert after.pipeline_state == "po_created"
    assert set(after.purchaseorders) == {"builtin"}
    assert after.disclosures is None  # nothing from the primary was needed
    assert "Recrawl" not in entered(history(pipeline["arn"], tenant.id, purchase.rid))
    groups = LedgerRepository().ticket_groups(tenant.id, rid=purchase.rid)
    assert len(groups) == 1 and groups[0]["poid"] == after.purchaseorders["builtin"]
    seats = LedgerRepository().seats(tenant.id, groups[0]["tgid"])
    assert sorted(s["seatnumber"] for s in seats) == ["1", "2"]
    assert {s["status"] for s in seats} == {"available"}


def test_level_2_waits_for_the_crawl(pipeline: dict[str, Any], new_tenant: Any) -> None:
    tenant = new_tenant()
    setup_tenant(tenant, 2, "buyer2@acme.test")
    confnum = new_confnum()
    post_order(
        pipeline["primary"],
        sandbox_order("buyer2@acme.test", confnum, visible_after_s=2, rotating_known_after_s=3600),
    )
    purchase = email_purchase(tenant.id, "buyer2@acme.test", confnum)
    pipeline_runs().start(purchase, True)
    wait_for(lambda: purchase_of(tenant.id, purchase.rid).pipeline_state == "waiting", "waiting")
    done = wait_for(lambda: finished(pipeline["arn"], tenant.id, purchase.rid), "the execution")
    assert done["status"] == "SUCCEEDED"
    after = purchase_of(tenant.id, purchase.rid)
    assert after.pipeline_state == "po_created" and "builtin" in after.purchaseorders
    assert after.disclosures == [3] and after.seen_onlinereceipt
    assert after.rotating_barcodes is None  # level 2 did not need it
    # however many crawls the wait took, the execution entered its Recrawl task once
    states = entered(history(pipeline["arn"], tenant.id, purchase.rid))
    assert states.count("Recrawl") == 1 and states.count("Crawl") == 1


def test_level_3_also_waits_for_the_rotating_status(pipeline: dict[str, Any], new_tenant: Any) -> None:
    tenant = new_tenant()
    setup_tenant(tenant, 3, "buyer3@acme.test", mobile="qr_screenshot")
    confnum = new_confnum()
    post_order(
        pipeline["primary"],
        sandbox_order("buyer3@acme.test", confnum, visible_after_s=0, rotating_known_after_s=3),
    )
    purchase = email_purchase(tenant.id, "buyer3@acme.test", confnum)
    pipeline_runs().start(purchase, True)
    done = wait_for(lambda: finished(pipeline["arn"], tenant.id, purchase.rid), "the execution")
    assert done["status"] == "SUCCEEDED"
    after = purchase_of(tenant.id, purchase.rid)
    assert after.pipeline_state == "po_created"
    assert after.rotating_barcodes is True
    assert "qr_screenshot_may_rotate" in after.flags  # screenshot PO of rotating barcodes
    assert entered(history(pipeline["arn"], tenant.id, purchase.rid)).count("Recrawl") == 1


def test_parks_awaiting_quickpo_when_the_window_passes(pipeline: dict[str, Any], new_tenant: Any) -> None:
    tenant = new_tenant()
    setup_tenant(tenant, 2, "buyer4@acme.test")
    purchase = email_purchase(tenant.id, "buyer4@acme.test", new_confnum())  # never on the primary
    pipeline_runs().start(purchase, True)
    done = wait_for(lambda: finished(pipeline["arn"], tenant.id, purchase.rid), "the execution", 90)
    assert done["status"] == "SUCCEEDED"
    after = purchase_of(tenant.id, purchase.rid)
    assert after.pipeline_state == "awaiting_quickpo" and not after.purchaseorders


def test_quickpo_during_a_wait_ends_the_execution_without_a_second_po(
    pipeline: dict[str, Any], new_tenant: Any
) -> None:
    tenant = new_tenant()
    setup_tenant(tenant, 2, "buyer5@acme.test")
    purchase = email_purchase(tenant.id, "buyer5@acme.test", new_confnum())  # never on the primary
    pipeline_runs().start(purchase, True)
    wait_for(lambda: purchase_of(tenant.id, purchase.rid).pipeline_state == "waiting", "waiting")
    outcome = push_po(pipeline_deps().po, tenant.id, purchase.rid, "quickpo")
    assert set(outcome.created) == {"builtin"}
    done = wait_for(lambda: finished(pipeline["arn"], tenant.id, purchase.rid), "the execution")
    assert done["status"] == "SUCCEEDED"
    after = purchase_of(tenant.id, purchase.rid)
    assert after.safeguard_overridden and after.pipeline_state == "po_created"
    assert after.purchaseorders == outcome.purchase.purchaseorders
    assert "AutoPO" not in entered(history(pipeline["arn"], tenant.id, purchase.rid))
    assert len(LedgerRepository().ticket_groups(tenant.id, rid=purchase.rid)) == 1


def test_a_second_start_is_a_no_op(pipeline: dict[str, Any], new_tenant: Any) -> None:
    """While a run goes, and once the purchase has its PO, starting again starts nothing."""
    tenant = new_tenant()
    setup_tenant(tenant, 2, "buyer6@acme.test")
    purchase = email_purchase(tenant.id, "buyer6@acme.test", new_confnum())
    runs = pipeline_runs()
    assert start_run(runs.purchases, runs.executions, tenant.id, purchase.rid) == 1
    wait_for(lambda: purchase_of(tenant.id, purchase.rid).pipeline_state == "waiting", "waiting")
    assert start_run(runs.purchases, runs.executions, tenant.id, purchase.rid) is None  # one at a time
    push_po(pipeline_deps().po, tenant.id, purchase.rid, "quickpo")
    wait_for(lambda: finished(pipeline["arn"], tenant.id, purchase.rid), "the execution")
    assert start_run(runs.purchases, runs.executions, tenant.id, purchase.rid) is None  # it has its PO
    assert StepFunctionsPipeline().start_execution(tenant.id, purchase.rid, 1) is False  # the name is taken
    assert [e["name"] for e in runs_of(pipeline["arn"], tenant.id, purchase.rid)] == [
        execution_name(tenant.id, purchase.rid, 1)
    ]
    assert purchase_of(tenant.id, purchase.rid).run_active is False


def test_races_give_exactly_one_po_per_purchase(pipeline: dict[str, Any], new_tenant: Any) -> None:
    """Many concurrent QuickPOs, AutoPOs and duplicate starts on several purchases."""
    tenant = new_tenant()
    setup_tenant(tenant, 1, "racer@acme.test")
    purchases = [email_purchase(tenant.id, "racer@acme.test", new_confnum()) for _ in range(5)]
    deps = pipeline_deps().po
    starter = pipeline_runs()

    repos = PurchaseRepos(purchases=PurchaseRepository(), sequences=SequenceRepository())

    def hit(job: tuple[int, Purchase]) -> None:
        n, purchase = job
        kind = n % 4
        if kind == 0:
            push_po(deps, tenant.id, purchase.rid, "quickpo")
        elif kind == 1:
            push_po(deps, tenant.id, purchase.rid, "autopo")
        elif kind == 2:
            starter.start(purchase, True)
        else:  # another receipt for the same order, as intake records it
            seen = Observation(
                account_username="racer@acme.test",
                confirmation_number=purchase.confirmation_number,
                confirmation_region="NY",
                creditcard_last4="4242",
            )
            merged, created = record_observation(repos, tenant.id, seen, "email")
            assert not created and merged.rid == purchase.rid
            starter.start(merged, created)

    jobs = [(n, p) for p in purchases for n in range(16)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(hit, jobs))
    for purchase in purchases:
        wait_for(lambda p=purchase: runs_ended(pipeline["arn"], tenant.id, p.rid), "the runs to end")
        after = purchase_of(tenant.id, purchase.rid)
        groups = LedgerRepository().ticket_groups(tenant.id, rid=purchase.rid)
        assert len(groups) == 1, f"rid {purchase.rid}: {len(groups)} ticket groups"
        assert after.purchaseorders == {"builtin": groups[0]["poid"]}
        assert LedgerRepository().po_for(tenant.id, purchase.rid) == groups[0]["poid"]
        assert_one_run_at_a_time(pipeline["arn"], tenant.id, purchase.rid)


def runs_ended(arn: str, tenant_id: str, rid: int) -> bool:
    return not purchase_of(tenant_id, rid).run_active and all(
        e["status"] != "RUNNING" for e in runs_of(arn, tenant_id, rid)
    )


def assert_one_run_at_a_time(arn: str, tenant_id: str, rid: int) -> list[dict[str, Any]]:
    """Each run has its own execution, named by its generation 1..n, and none overlapped."""
    after = purchase_of(tenant_id, rid)
    executions = runs_of(arn, tenant_id, rid)
    assert [e["name"] for e in executions] == [
        execution_name(tenant_id, rid, n) for n in range(1, after.run_generation + 1)
    ]
    for earlier, later in itertools.pairwise(executions):
        assert earlier["stopDate"] <= later["startDate"], (earlier, later)
    assert not after.run_active
    return executions


def test_a_parked_purchase_runs_again_on_news_once_however_much_arrives(
    pipeline: dict[str, Any], new_tenant: Any
) -> None:
    """Parked awaiting QuickPO; then the primary shows the order and news arrives from twelve
    places at once (receipts, crawls, restarts): one new run, which POs, and never a second PO."""
    tenant = new_tenant()
    setup_tenant(tenant, 2, "parked@acme.test")
    purchase = email_purchase(tenant.id, "parked@acme.test", new_confnum())  # not on the primary yet
    pipeline_runs().start(purchase, True)
    wait_for(lambda: runs_ended(pipeline["arn"], tenant.id, purchase.rid), "the first run to park", 90)
    assert purchase_of(tenant.id, purchase.rid).pipeline_state == "awaiting_quickpo"

    post_order(pipeline["primary"], sandbox_order("parked@acme.test", purchase.confirmation_number))
    repos = PurchaseRepos(purchases=PurchaseRepository(), sequences=SequenceRepository())
    later = Observation(
        account_username="parked@acme.test",
        confirmation_number=purchase.confirmation_number,
        confirmation_region="NY",
        creditcard_last4="4242",
    )

    def news(n: int) -> None:
        if n % 2:
            merged, created = record_observation(repos, tenant.id, later, "email")
            pipeline_runs().start(merged, created)
        else:
            pipeline_runs().start(purchase, False)

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(news, range(12)))
    wait_for(lambda: runs_ended(pipeline["arn"], tenant.id, purchase.rid), "the second run")
    after = purchase_of(tenant.id, purchase.rid)
    assert after.pipeline_state == "po_created" and after.run_generation == 2
    executions = assert_one_run_at_a_time(pipeline["arn"], tenant.id, purchase.rid)
    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    assert "AutoPO" in entered(history(pipeline["arn"], tenant.id, purchase.rid, 2))
    assert len(LedgerRepository().ticket_groups(tenant.id, rid=purchase.rid)) == 1
    assert start_run(pipeline_runs().purchases, pipeline_runs().executions, tenant.id, purchase.rid) is None


def api(invoke: Any, function_id: str, token: str, method: str, path: str, **query: str) -> tuple[int, Any]:
    from tests.events import api_event

    response = invoke(function_id, api_event(method, path, token=token, query=query))
    return response["statusCode"], json.loads(response["body"])


def test_crawl_finds_an_order_no_email_told_of_and_pos_it(
    pipeline: dict[str, Any], new_tenant: Any, invoke: Any
) -> None:
    tenant = new_tenant()
    setup_tenant(tenant, 2, "crawler@acme.test")
    confnum = new_confnum()
    post_order(pipeline["primary"], sandbox_order("crawler@acme.test", confnum))
    status, body = api(
        invoke, "api_crawl", tenant.token, "GET", "/v2/crawl", source="tests", username="crawler@acme.test"
    )
    assert status == 200, body
    found = PurchaseRepository().find_by_confirmation(tenant.id, confnum, "NY")
    assert found is not None and found.seen_onlinereceipt and not found.seen_emailreceipt
    wait_for(lambda: finished(pipeline["arn"], tenant.id, found.rid), "the execution")
    assert purchase_of(tenant.id, found.rid).purchaseorders.get("builtin")
    # crawling again finds the same order: no second purchase, no second PO
    status, body = api(
        invoke,
        "api_crawl",
        tenant.token,
        "GET",
        "/v2/crawl",
        source="t",
        username="crawler@acme.test",
        confnum=f"{confnum}/NY",
    )
    assert status == 200, body
    again = PurchaseRepository().find_by_confirmation(tenant.id, confnum, "NY")
    assert again is not None and again.rid == found.rid
    assert len(LedgerRepository().ticket_groups(tenant.id, rid=found.rid)) == 1


def test_quickpo_and_inventory_over_the_api(pipeline: dict[str, Any], new_tenant: Any, invoke: Any) -> None:
    tenant, other = new_tenant(), new_tenant()
    setup_tenant(tenant, 3, "qp@acme.test")
    purchase = email_purchase(tenant.id, "qp@acme.test", new_confnum())  # not started: QuickPO alone
    status, body = api(
        invoke, "api_inventory", other.token, "POST", "/v2/purchases/quickpo", rid=str(purchase.rid)
    )
    assert status == 404 and body["result"]["messageid"] == "E_NOT_FOUND"
    status, body = api(
        invoke, "api_inventory", tenant.token, "POST", "/v2/purchases/quickpo", rid=str(purchase.rid)
    )
    assert status == 200, body
    (out,) = body["output"]
    assert out["safeguard_overridden"] is True and out["pipeline_state"] == "po_created"
    poid = out["purchaseorders"]["builtin"]
    status, again = api(
        invoke, "api_inventory", tenant.token, "POST", "/v2/purchases/quickpo", rid=str(purchase.rid)
    )
    assert status == 200 and again["output"][0]["purchaseorders"] == {"builtin": poid}
    assert again["result"]["message"] == "the purchase already has its PO"

    status, body = api(invoke, "api_inventory", tenant.token, "GET", "/v2/inventory", rid=str(purchase.rid))
    assert status == 200, body
    (group,) = body["output"]
    assert group["poid"] == poid and group["eventdate"] == "5/1/2027" and group["quantity"] == 2
    assert group["seats"] == [
        {"seatnumber": "1", "status": "available"},
        {"seatnumber": "2", "status": "available"},
    ]
    status, body = api(
        invoke,
        "api_inventory",
        tenant.token,
        "GET",
        "/v2/inventory",
        ticketgroupid=str(group["ticketgroupid"]),
    )
    assert status == 200 and [g["rid"] for g in body["output"]] == [purchase.rid]
    assert (
        api(invoke, "api_inventory", tenant.token, "GET", "/v2/inventory", eventdate="5/2/2027")[1]["output"]
        == []
    )
    assert (
        api(invoke, "api_inventory", other.token, "GET", "/v2/inventory", rid=str(purchase.rid))[1]["output"]
        == []
    )
    status, body = api(invoke, "api_inventory", tenant.token, "GET", "/v2/inventory", eventdate="2027-05-01")
    assert status == 400 and body["result"]["message"].startswith("eventdate:")


def test_a_step_that_fails_ends_in_the_failure_state(pipeline: dict[str, Any], new_tenant: Any) -> None:
    """No purchase behind the execution: Crawl raises, Catch goes to RecordFailure, then Fail."""
    tenant = new_tenant()
    StepFunctionsPipeline().start_execution(tenant.id, MISSING_RID, 1)
    done = wait_for(lambda: finished(pipeline["arn"], tenant.id, MISSING_RID), "the execution")
    assert done["status"] == "FAILED"
    assert entered(history(pipeline["arn"], tenant.id, MISSING_RID))[-2:] == ["RecordFailure", "Failed"]


def test_a_pos_refusal_is_recorded_on_the_purchase_with_its_message(
    pipeline: dict[str, Any], new_tenant: Any
) -> None:
    """The POS refuses the PO: the purchase says so with the POS's message (pipeline_state failed)."""
    tenant = new_tenant()
    setup_tenant(tenant, 1, "broken@acme.test")
    purchase = email_purchase(tenant.id, "broken@acme.test", new_confnum())
    # 300 seats: more than one PO transaction holds, so the builtin POS refuses (its own message)
    many = purchase.items.model_copy(update={"seats": [str(n) for n in range(300)], "quantity": 300})
    update_purchase(PurchaseRepository(), tenant.id, purchase.rid, lambda p: {"items": many})
    pipeline_runs().start(purchase, True)
    done = wait_for(lambda: finished(pipeline["arn"], tenant.id, purchase.rid), "the execution")
    assert done["status"] == "SUCCEEDED"  # a POS refusal is an outcome, not a crash
    after = purchase_of(tenant.id, purchase.rid)
    assert after.pipeline_state == "failed"
    assert after.errors == ["builtin: 300 seats in one purchase; the builtin POS takes up to 95"]

    # the broker fixes the purchase; the next news runs it again, under a name of its own
    update_purchase(PurchaseRepository(), tenant.id, purchase.rid, lambda p: {"items": purchase.items})
    pipeline_runs().start(purchase, False)
    wait_for(lambda: runs_ended(pipeline["arn"], tenant.id, purchase.rid), "the second run")
    assert purchase_of(tenant.id, purchase.rid).pipeline_state == "po_created"
    assert len(assert_one_run_at_a_time(pipeline["arn"], tenant.id, purchase.rid)) == 2


def test_a_restarted_local_stack_resumes_waiting_purchases(pipeline: dict[str, Any], new_tenant: Any) -> None:
    from infra.local.pipeline import resume_unfinished

    tenant = new_tenant()
    setup_tenant(tenant, 1, "resume@acme.test")
    purchase = email_purchase(tenant.id, "resume@acme.test", new_confnum())
    # as restored from a snapshot: run 3 waiting, but moto has no execution for it
    update_purchase(
        PurchaseRepository(),
        tenant.id,
        purchase.rid,
        lambda p: {"pipeline_state": "waiting", "run_generation": 3, "run_active": True},
    )
    assert pipeline_runs().executions.running(tenant.id, purchase.rid, 3) is False
    assert resume_unfinished(get_settings(), aws.dynamodb()) >= 1
    done = wait_for(lambda: finished(pipeline["arn"], tenant.id, purchase.rid), "the execution")
    assert done["status"] == "SUCCEEDED" and done["name"] == execution_name(tenant.id, purchase.rid, 4)
    after = purchase_of(tenant.id, purchase.rid)
    assert after.purchaseorders.get("builtin") and not after.run_active


def test_a_crawl_never_brings_another_brokers_orders(
    pipeline: dict[str, Any], new_tenant: Any, invoke: Any
) -> None:
    """The primary shows orders of tenant B's buyer; tenant A naming that buyer gets a 404 and
    nothing: no purchase, no crawl request, the primary not asked."""
    victim, attacker = new_tenant(), new_tenant()
    setup_tenant(victim, 1, "victim-buyer@b.test")
    confnum = new_confnum()
    post_order(pipeline["primary"], sandbox_order("victim-buyer@b.test", confnum))
    status, body = api(
        invoke, "api_crawl", attacker.token, "GET", "/v2/crawl", source="x", username="victim-buyer@b.test"
    )
    assert status == 404 and body["result"]["messageid"] == "E_NOT_FOUND", body
    assert PurchaseRepository().find_by_confirmation(attacker.id, confnum, "NY") is None
    assert PurchaseRepository().find_by_confirmation(victim.id, confnum, "NY") is None  # nor crawled for B


def test_an_account_fix_runs_its_parked_purchases_again(
    pipeline: dict[str, Any], new_tenant: Any, invoke: Any
) -> None:
    """AutoPO was off, so the run parked the purchase; turning it on is news: a run of its own
    POs it. The account's other purchases (done, or another's) are left alone."""
    tenant = new_tenant()
    TenantRepository().update_settings(tenant.id, {"safeguard": 1})
    account_id = SequenceRepository().next("account")
    account = Account(
        tenant_id=tenant.id,
        account_id=account_id,
        username="fixme@acme.test",
        created=dt.datetime.now(dt.UTC),
    )
    assert AccountRepository().create_unique(account, None) is None
    purchase = email_purchase(tenant.id, "fixme@acme.test", new_confnum())
    pipeline_runs().start(purchase, True)
    wait_for(lambda: runs_ended(pipeline["arn"], tenant.id, purchase.rid), "the first run")
    parked = purchase_of(tenant.id, purchase.rid)
    assert parked.pipeline_state == "awaiting_quickpo" and not parked.purchaseorders

    status, body = api(
        invoke,
        "api_accounts",
        tenant.token,
        "POST",
        "/v2/accounts/update/v2",
        id=str(account_id),
        posid="100",
        autopo="true",
        autopodateafter="1/1/2020",
    )
    assert status == 200, body
    wait_for(lambda: purchase_of(tenant.id, purchase.rid).run_generation == 2, "the second run")
    wait_for(lambda: runs_ended(pipeline["arn"], tenant.id, purchase.rid), "the second run to end")
    after = purchase_of(tenant.id, purchase.rid)
    assert after.pipeline_state == "po_created" and set(after.purchaseorders) == {"builtin"}
    assert_one_run_at_a_time(pipeline["arn"], tenant.id, purchase.rid)
    # fixing it again is no news for a purchase that has its PO
    api(invoke, "api_accounts", tenant.token, "POST", "/v2/accounts/update", id=str(account_id), note="x")
    assert purchase_of(tenant.id, purchase.rid).run_generation == 2
