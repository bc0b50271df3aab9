"""Pipeline steps, AutoPO/QuickPO rules and the builtin POS, with in-memory fakes."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from typing import Any

import pytest

from tests.unit.fakes import FakeSequences
from tixpilot.adapters.pos.base import PoInProgress, PoRequest, PoResult, PosAdapter, PosError
from tixpilot.adapters.pos.builtin import BuiltinPos
from tixpilot.adapters.pos.registry import adapter_by_name, adapter_for, registered
from tixpilot.adapters.pos.skybox import SkyBoxPos
from tixpilot.adapters.primaries.base import PrimaryUnavailable
from tixpilot.errors import NotFound
from tixpilot.models.accounts import Account, PosSettings
from tixpilot.models.crawl_requests import CrawlRequest
from tixpilot.models.pipeline import execution_input
from tixpilot.models.purchases import EventInfo, Items, Money, Observation, Purchase
from tixpilot.models.tenants import Tenant, TenantSettings
from tixpilot.repositories.ledger import LedgerPo
from tixpilot.services.autopo import AUTOPO_OFF, ZERO_COST, PoDeps, push_po
from tixpilot.services.inventory import inventory
from tixpilot.services.pipeline import (
    RUN_START_GRACE_S,
    Backoff,
    CrawlDeps,
    CrawlResult,
    PipelineDeps,
    PosUnavailable,
    autopo_step,
    crawl_account,
    crawl_and_evaluate_step,
    crawl_request_now,
    crawl_step,
    evaluate_step,
    fail_step,
    failure_reason,
    park_step,
    start_run,
)
from tixpilot.services.purchases import PurchaseRepos
from tixpilot.settings import read_settings

NOW = dt.datetime(2026, 6, 17, 18, 30, tzinfo=dt.UTC)


class Store:
    """Purchases by rid with order claims and the version lock (thread-safe)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], Purchase] = {}
        self.claims: dict[tuple[str, str, str], int] = {}
        self.lock = threading.Lock()

    def get(self, tenant_id: str, rid: int, consistent: bool = False) -> Purchase | None:
        return self.rows.get((tenant_id, rid))

    def find_by_confirmation(self, tenant_id: str, number: str, region: str | None) -> Purchase | None:
        rid = self.claims.get((tenant_id, number.upper(), (region or "").upper()))
        return self.rows[(tenant_id, rid)] if rid is not None else None

    def create_unique(self, purchase: Purchase) -> bool:
        key = (
            purchase.tenant_id,
            purchase.confirmation_number.upper(),
            (purchase.confirmation_region or "").upper(),
        )
        with self.lock:
            if key in self.claims:
                return False
            self.claims[key] = purchase.rid
            self.rows[(purchase.tenant_id, purchase.rid)] = purchase
        return True

    def replace(self, purchase: Purchase) -> bool:
        with self.lock:
            if self.rows[(purchase.tenant_id, purchase.rid)].version != purchase.version - 1:
                return False
            self.rows[(purchase.tenant_id, purchase.rid)] = purchase
        return True


class Tenants:
    def __init__(self, level: int = 2, mobile: str = "transfer") -> None:
        self.settings = TenantSettings(safeguard=level, mobile_po_as=mobile)  # type: ignore[arg-type]

    def get(self, tenant_id: str) -> Tenant:
        return Tenant(tenant_id=tenant_id, name="Acme", created=NOW, settings=self.settings)


class Accounts:
    def __init__(self, account: Account | None) -> None:
        self.account = account

    def find_by_username(self, tenant_id: str, username: str, marketplace_id: int = 1) -> Account | None:
        return self.account


class Ledger:
    """The ledger's create_po contract: one PO per (tenant, rid), atomically."""

    def __init__(self) -> None:
        self.pos: dict[tuple[str, int], LedgerPo] = {}
        self.seat_items: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.lock = threading.Lock()

    def po_for(self, tenant_id: str, rid: int, pos: str = "builtin") -> str | None:
        found = self.pos.get((tenant_id, rid))
        return str(found.poid) if found else None

    def create_po(self, entry: LedgerPo) -> tuple[str, bool]:
        with self.lock:
            existing = self.pos.get((entry.tenant_id, entry.rid))
            if existing:
                return str(existing.poid), False
            self.pos[(entry.tenant_id, entry.rid)] = entry
            self.seat_items[(entry.tenant_id, str(entry.tgid))] = [
                {"seatnumber": s, "status": "available"} for s in entry.seats
            ]
        return str(entry.poid), True

    def ticket_group(self, tenant_id: str, tgid: str) -> dict[str, Any] | None:
        return next((g for g in self.ticket_groups(tenant_id) if g["tgid"] == tgid), None)

    def ticket_groups(
        self, tenant_id: str, rid: int | None = None, event_date: str | None = None
    ) -> list[dict[str, Any]]:
        return [
            {
                **e.ticket_group,
                "tgid": str(e.tgid),
                "poid": str(e.poid),
                "rid": e.rid,
                "quantity": len(e.seats),
            }
            for (t, r), e in self.pos.items()
            if t == tenant_id and rid in (None, r) and event_date in (None, e.ticket_group.get("event_date"))
        ]

    def seats(self, tenant_id: str, tgid: str) -> list[dict[str, Any]]:
        return self.seat_items.get((tenant_id, tgid), [])


class FailingPos:
    posid = 22
    name = "skybox"

    def create_po(self, request: PoRequest) -> PoResult:
        raise PosError("Vendor 9 does not exist")


class Connector:
    def __init__(self, orders: list[Observation] | None = None) -> None:
        self.orders_ = orders or []

    def order(self, username: str, confirmation_number: str) -> Observation | None:
        return next((o for o in self.orders_ if o.confirmation_number == confirmation_number), None)

    def orders(self, username: str) -> list[Observation]:
        return list(self.orders_)


def account(**pos: PosSettings) -> Account:
    return Account(tenant_id="t1", account_id=1, username="buyer@x.com", pos=pos, created=NOW)


AUTOPO_BUILTIN = account(builtin=PosSettings(autopo=True, autopo_after=dt.date(2026, 1, 1), customer_id="7"))


def world(
    level: int = 2,
    acct: Account | None = AUTOPO_BUILTIN,
    mobile: str = "transfer",
    connector: Any = None,
    **adapters: Any,
) -> tuple[PipelineDeps, Store, Ledger]:
    store, ledger = Store(), Ledger()
    builtin = BuiltinPos(ledger=ledger, numbers=FakeSequences())
    table: dict[str, PosAdapter] = {"builtin": builtin, **adapters}
    deps = PipelineDeps(
        repos=PurchaseRepos(purchases=store, sequences=FakeSequences()),
        po=PoDeps(
            purchases=store, tenants=Tenants(level, mobile), accounts=Accounts(acct), adapter=table.get
        ),
        connector=lambda marketplace: connector,
    )
    return deps, store, ledger


def email(store: Store, rid: int = 1, **changes: Any) -> Purchase:
    purchase = Purchase(
        tenant_id="t1",
        rid=rid,
        account_username="buyer@x.com",
        confirmation_number=f"12-3456{rid}",
        confirmation_region="NY",
        event=EventInfo(name="Sugarland", starts_at=dt.datetime(2027, 5, 1, 19)),
        items=Items(section="101", row="F", seats=["1", "2"], stock="mobile"),
        money=Money(cost_group=Decimal("200.00")),
        purchase_date=dt.date(2026, 6, 17),
        seen_emailreceipt=True,
        datefirstseen=NOW,
        datelastseen=NOW,
    ).model_copy(update=changes)
    store.create_unique(purchase)
    return purchase


def crawl_of(purchase: Purchase, **changes: Any) -> Observation:
    return Observation(
        account_username=purchase.account_username,
        confirmation_number=purchase.confirmation_number,
        confirmation_region=purchase.confirmation_region,
        items=Items(section="101", row="F", seats=["1", "2"]),
        money=Money(cost_perseat=Decimal("100")),
        disclosures=[],
        status="active",
    ).model_copy(update=changes)


# --- backoff -----------------------------------------------------------------------------------


def test_backoff_doubles_from_30s_to_10min() -> None:
    waits = [Backoff().wait_for(n) for n in range(8)]
    assert waits == [30, 60, 120, 240, 480, 600, 600, 600]


def test_backoff_reads_the_settings() -> None:
    env = {
        "TIXPILOT_RECRAWL_INITIAL_S": "1",
        "TIXPILOT_RECRAWL_MAX_S": "4",
        "TIXPILOT_SAFEGUARD_WINDOW_S": "9",
    }
    assert Backoff.from_settings(read_settings(env)) == Backoff(1, 4, 9)
    assert Backoff.from_settings(read_settings({})) == Backoff(30, 600, 21600)


def test_evaluate_waits_with_backoff_then_parks_after_the_window() -> None:
    deps, store, _ = world(level=2)
    purchase = email(store)
    payload = execution_input("t1", purchase.rid, 1)
    backoff = Backoff(initial_s=1, max_s=2, window_s=5)
    decisions = []
    for _ in range(6):
        payload = evaluate_step(deps, payload, backoff)
        decisions.append((payload["decision"], payload.get("wait_s")))
        if payload["decision"] != "wait":
            break
    assert decisions == [("wait", 1), ("wait", 2), ("wait", 2), ("park", None)]
    assert store.rows[("t1", 1)].pipeline_state == "waiting"
    park_step(deps, payload)
    assert store.rows[("t1", 1)].pipeline_state == "awaiting_quickpo"


@pytest.mark.parametrize(("level", "decision"), [(1, "autopo"), (2, "wait"), (3, "wait")])
def test_an_email_alone_is_enough_only_at_level_1(level: int, decision: str) -> None:
    deps, store, _ = world(level=level)
    purchase = email(store)
    assert evaluate_step(deps, execution_input("t1", purchase.rid, 1), Backoff())["decision"] == decision


def test_an_unauthenticated_email_waits_for_the_primary_even_at_level_1() -> None:
    deps, store, _ = world(level=1)
    forged = email(store, receipt_verified=False)
    assert evaluate_step(deps, execution_input("t1", forged.rid, 1), Backoff())["decision"] == "wait"
    # the primary's own data (a crawl that finds the order) is what it waits for
    deps = PipelineDeps(deps.repos, deps.po, lambda m, p=forged: Connector([crawl_of(p)]))
    assert crawl_step(deps, execution_input("t1", forged.rid, 1))["crawled"] is True
    assert evaluate_step(deps, execution_input("t1", forged.rid, 1), Backoff())["decision"] == "autopo"


def test_the_crawl_fills_what_level_2_needs_but_not_level_3() -> None:
    purchase_seen = None
    for level, decision in ((2, "autopo"), (3, "wait")):
        deps, store, _ = world(level=level)
        purchase = email(store)
        deps = PipelineDeps(deps.repos, deps.po, lambda m, p=purchase: Connector([crawl_of(p)]))
        assert crawl_step(deps, execution_input("t1", purchase.rid, 1))["crawled"] is True
        purchase_seen = store.rows[("t1", purchase.rid)]
        assert evaluate_step(deps, execution_input("t1", purchase.rid, 1), Backoff())["decision"] == decision
    assert purchase_seen is not None and purchase_seen.seen_onlinereceipt and purchase_seen.disclosures == []


def test_one_step_crawls_and_evaluates_and_decides_without_a_primary_that_does_not_answer() -> None:
    class Down:
        def order(self, username: str, confirmation_number: str) -> Observation | None:
            raise PrimaryUnavailable("the primary answered 503")

    for level, decision in ((1, "autopo"), (2, "wait")):
        deps, store, _ = world(level=level)
        purchase = email(store)
        deps = PipelineDeps(deps.repos, deps.po, lambda m: Down())
        state = crawl_and_evaluate_step(deps, execution_input("t1", purchase.rid, 1), Backoff())
        assert state["decision"] == decision  # decided on the email alone
    # with the order on the primary, the same step crawls it and level 2 is ready
    deps, store, _ = world(level=2)
    purchase = email(store)
    deps = PipelineDeps(deps.repos, deps.po, lambda m, p=purchase: Connector([crawl_of(p)]))
    state = crawl_and_evaluate_step(deps, execution_input("t1", purchase.rid, 1), Backoff())
    assert state["decision"] == "autopo" and store.rows[("t1", purchase.rid)].seen_onlinereceipt


def test_a_purchase_with_a_po_is_done() -> None:
    deps, store, _ = world(level=3)
    purchase = email(store, purchaseorders={"builtin": "5"}, pipeline_state="po_created")
    assert evaluate_step(deps, execution_input("t1", purchase.rid, 1), Backoff())["decision"] == "done"


def test_a_failure_reason_never_carries_a_stack_trace() -> None:
    cause = json.dumps({"errorType": "NotFound", "errorMessage": "no purchase 9", "stackTrace": ["x.py"]})
    assert failure_reason({"Error": "NotFound", "Cause": cause}) == "pipeline: NotFound: no purchase 9"
    assert failure_reason({"Error": "States.Timeout"}) == "pipeline: States.Timeout"


def test_a_failure_is_recorded_on_the_purchase() -> None:
    deps, store, _ = world()
    purchase = email(store)
    error = {"Error": "KeyError", "Cause": "boom"}
    fail_step(deps, {**execution_input("t1", purchase.rid, 1), "error": error})
    after = store.rows[("t1", purchase.rid)]
    assert after.pipeline_state == "failed" and after.errors == ["pipeline: KeyError: boom"]


# --- AutoPO / QuickPO ----------------------------------------------------------------------------


def test_autopo_creates_one_builtin_po_and_records_it() -> None:
    deps, store, ledger = world(level=1)
    purchase = email(store)
    outcome = push_po(deps.po, "t1", purchase.rid, "autopo")
    assert outcome.created == {"builtin": "1"}
    after = store.rows[("t1", purchase.rid)]
    assert after.purchaseorders == {"builtin": "1"} and after.pipeline_state == "po_created"
    assert not after.safeguard_overridden
    again = push_po(deps.po, "t1", purchase.rid, "autopo")
    assert again.created == {} and len(ledger.pos) == 1
    (entry,) = ledger.pos.values()
    assert entry.po["vendor"] == "7" and entry.po["stock"] == "transfer" and entry.seats == ["1", "2"]


def test_autopo_never_pos_a_zero_dollar_purchase_but_quickpo_does() -> None:
    deps, store, ledger = world(level=1)
    purchase = email(store, money=Money(cost_group=Decimal("0")))
    outcome = push_po(deps.po, "t1", purchase.rid, "autopo")
    assert outcome.created == {} and not ledger.pos
    assert store.rows[("t1", 1)].pipeline_state == "awaiting_quickpo"
    assert ZERO_COST in store.rows[("t1", 1)].errors
    assert push_po(deps.po, "t1", purchase.rid, "quickpo").created == {"builtin": "1"}
    assert store.rows[("t1", 1)].safeguard_overridden


@pytest.mark.parametrize(
    "acct",
    [
        None,
        account(builtin=PosSettings(autopo=False)),
        account(builtin=PosSettings(autopo=True, autopo_after=dt.date(2026, 6, 17))),  # not AFTER that day
    ],
)
def test_autopo_only_where_it_is_on_for_the_purchase_date(acct: Account | None) -> None:
    deps, store, ledger = world(level=1, acct=acct)
    purchase = email(store)
    push_po(deps.po, "t1", purchase.rid, "autopo")
    assert not ledger.pos and store.rows[("t1", 1)].pipeline_state == "awaiting_quickpo"
    assert AUTOPO_OFF in store.rows[("t1", 1)].errors


def test_a_pos_failure_is_recorded_with_the_pos_message() -> None:
    acct = account(skybox=PosSettings(autopo=True, customer_id="9"))
    deps, store, _ = world(level=1, acct=acct, skybox=FailingPos())
    purchase = email(store)
    outcome = push_po(deps.po, "t1", purchase.rid, "autopo")
    after = store.rows[("t1", purchase.rid)]
    assert outcome.errors == ["skybox: Vendor 9 does not exist"]
    assert after.pipeline_state == "failed" and after.errors == ["skybox: Vendor 9 does not exist"]


class FlakyPos:
    """Fails with `error` for the first `failures` calls, then makes PO 9001."""

    name = "skybox"

    def __init__(self, error: PosError, failures: int = 1) -> None:
        self.error, self.failures, self.calls = error, failures, 0

    def create_po(self, request: PoRequest) -> PoResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return PoResult(poid="9001", created=True)


def test_a_transient_pos_failure_is_recorded_and_the_autopo_step_asks_for_a_retry() -> None:
    acct = account(skybox=PosSettings(autopo=True, customer_id="9"))
    flaky = FlakyPos(PosError("SkyBox is unavailable, TixPilot will try again (503)", transient=True))
    deps, store, _ = world(level=1, acct=acct, skybox=flaky)
    purchase = email(store)
    state = execution_input("t1", purchase.rid, 1)
    with pytest.raises(PosUnavailable, match="skybox: SkyBox is unavailable"):
        autopo_step(deps, state)
    during = store.rows[("t1", purchase.rid)]
    assert during.pipeline_state != "failed"  # the state machine tries again
    assert during.errors == ["skybox: SkyBox is unavailable, TixPilot will try again (503)"]
    assert autopo_step(deps, state)["purchaseorders"] == {"skybox": "9001"}
    after = store.rows[("t1", purchase.rid)]
    assert after.pipeline_state == "po_created" and after.purchaseorders == {"skybox": "9001"}


def test_a_po_in_progress_elsewhere_is_no_error_but_a_retry() -> None:
    acct = account(skybox=PosSettings(autopo=True, customer_id="9"))
    deps, store, _ = world(level=1, acct=acct, skybox=FlakyPos(PoInProgress("another run"), failures=2))
    purchase = email(store)
    outcome = push_po(deps.po, "t1", purchase.rid, "quickpo")
    assert outcome.retry == ["skybox"] and outcome.errors == [] and outcome.created == {}
    with pytest.raises(PosUnavailable, match="skybox: another run is making the PO"):
        autopo_step(deps, execution_input("t1", purchase.rid, 1))
    assert store.rows[("t1", purchase.rid)].errors == []
    assert store.rows[("t1", purchase.rid)].pipeline_state == "new"
    assert autopo_step(deps, execution_input("t1", purchase.rid, 1))["purchaseorders"] == {"skybox": "9001"}


def test_qr_screenshot_of_unknown_rotation_is_flagged() -> None:
    deps, store, ledger = world(level=1, mobile="qr_screenshot")
    purchase = email(store)
    push_po(deps.po, "t1", purchase.rid, "autopo")
    assert store.rows[("t1", 1)].flags == ["qr_screenshot_may_rotate"]
    assert next(iter(ledger.pos.values())).po["stock"] == "qr_screenshot"


def test_concurrent_quickpo_and_autopo_make_one_po() -> None:
    deps, store, ledger = world(level=1)
    purchases = [email(store, rid=n) for n in range(1, 6)]
    threads = [
        threading.Thread(target=push_po, args=(deps.po, "t1", p.rid, "quickpo" if n % 2 else "autopo"))
        for p in purchases
        for n in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ledger.pos) == 5
    for p in purchases:
        assert store.rows[("t1", p.rid)].purchaseorders == {"builtin": ledger.po_for("t1", p.rid)}


# --- crawl, registry, inventory ------------------------------------------------------------------


def test_a_crawl_finding_an_unknown_order_creates_the_purchase_and_starts_it() -> None:
    deps, store, _ = world()
    seen = crawl_of(email(Store()), confirmation_number="99-12345")
    deps = PipelineDeps(deps.repos, deps.po, lambda m: Connector([seen]))

    class Starter:
        started: list[tuple[int, bool]] = []

        def start(self, purchase: Purchase, created: bool) -> None:
            self.started.append((purchase.rid, created))

    starter = Starter()
    result = crawl_account(deps, starter, "t1", "buyer@x.com", 1, "all")
    assert (result.found, result.created) == (1, 1)
    assert starter.started == [(1, True)]
    assert store.rows[("t1", 1)].seen_onlinereceipt and not store.rows[("t1", 1)].seen_emailreceipt
    assert crawl_account(deps, starter, "t1", "buyer@x.com", 1, "99-12345/NY").created == 0
    assert crawl_account(deps, starter, "t1", "buyer@x.com", 1, "99-12345/CA").found == 0


class Starts:
    def __init__(self) -> None:
        self.started: list[tuple[int, bool]] = []

    def start(self, purchase: Purchase, created: bool) -> None:
        self.started.append((purchase.rid, created))


class AccountsById:
    def __init__(self, *accounts: Account) -> None:
        self.rows = {(a.tenant_id, a.account_id): a for a in accounts}

    def get(self, tenant_id: str, account_id: int) -> Account | None:
        return self.rows.get((tenant_id, account_id))

    def find_by_username(self, tenant_id: str, username: str, marketplace_id: int = 1) -> Account | None:
        return next(
            (
                a
                for (tenant, _), a in self.rows.items()
                if tenant == tenant_id
                and a.username == username.strip().lower()
                and a.marketplace_id == marketplace_id
            ),
            None,
        )


def crawl_request(**fields: Any) -> CrawlRequest:
    fixed = {"tenant_id": "t1", "request_id": "r1", "source": "app", "confnum": "all"}
    return CrawlRequest.model_validate({**fixed, "received": NOW, "expires_at": NOW, **fields})


def test_a_crawl_request_crawls_its_account_by_id_or_username() -> None:
    deps, store, _ = world()
    seen = crawl_of(email(Store()), confirmation_number="99-12345")
    pipeline = PipelineDeps(deps.repos, deps.po, lambda m: Connector([seen]))
    starts = Starts()
    crawl = CrawlDeps(pipeline=pipeline, accounts=AccountsById(AUTOPO_BUILTIN), starter=starts)
    assert crawl_request_now(crawl, "t1", crawl_request(account_id=1)) == CrawlResult(1, 1)
    assert crawl_request_now(crawl, "t1", crawl_request(username="Buyer@X.com")) == CrawlResult(1, 0)
    assert starts.started == [(1, True), (1, False)]
    assert store.rows[("t1", 1)].account_username == "buyer@x.com"


@pytest.mark.parametrize(
    "request_fields",
    [
        {"account_id": 2},  # no such account
        {"account_id": 1, "tenant_id": "t2"},  # another tenant's account id
        {"username": "someone@else.com"},  # a username the tenant has no account for
        {"username": "buyer@x.com", "marketplace_id": 3},  # the tenant's username, another marketplace
        {},  # neither id nor username
    ],
)
def test_a_crawl_of_an_account_the_tenant_does_not_have_is_not_found(request_fields) -> None:
    """The primary is never asked: another broker's buyer address gives nothing, not their orders."""
    asked: list[str] = []

    class Spy:
        def order(self, username: str, confirmation_number: str) -> Observation | None:
            asked.append(username)
            return None

        def orders(self, username: str) -> list[Observation]:
            asked.append(username)
            return []

    deps, _, _ = world()
    crawl = CrawlDeps(
        pipeline=PipelineDeps(deps.repos, deps.po, lambda m: Spy()),
        accounts=AccountsById(AUTOPO_BUILTIN),
        starter=Starts(),
    )
    tenant = request_fields.pop("tenant_id", "t1")
    with pytest.raises(NotFound):
        crawl_request_now(crawl, tenant, crawl_request(**request_fields))
    assert asked == []


def test_a_crawl_request_the_primary_cannot_answer_finds_nothing() -> None:
    class Down:
        def order(self, username: str, confirmation_number: str) -> Observation | None:
            raise PrimaryUnavailable("the primary answered 503")

        def orders(self, username: str) -> list[Observation]:
            raise PrimaryUnavailable("the primary answered 503")

    deps, _, _ = world()
    crawl = CrawlDeps(
        pipeline=PipelineDeps(deps.repos, deps.po, lambda m: Down()),
        accounts=AccountsById(AUTOPO_BUILTIN),
        starter=Starts(),
    )
    assert crawl_request_now(crawl, "t1", crawl_request(username="buyer@x.com")) == CrawlResult(0, 0)


def test_the_registry_has_the_builtin_pos_as_100() -> None:
    assert registered()["builtin"] == 100
    assert isinstance(adapter_for(100), BuiltinPos)
    assert adapter_by_name("builtin") is adapter_for(100)
    assert isinstance(adapter_for(22), SkyBoxPos)
    assert adapter_for(47) is None  # POSNext: no adapter yet


def test_inventory_lists_groups_with_seats_in_natural_order() -> None:
    deps, store, ledger = world(level=1)
    purchase = email(store, items=Items(section="1", row="A", seats=["10", "9", "11"]))
    push_po(deps.po, "t1", purchase.rid, "autopo")
    (group,) = inventory(ledger, "t1", rid=purchase.rid)
    assert [s.seatnumber for s in group.seats] == ["9", "10", "11"]
    assert group.eventdate == "5/1/2027" and group.quantity == 3
    assert inventory(ledger, "t1", eventdate=dt.date(2027, 5, 2)) == []
    assert inventory(ledger, "t1", ticketgroupid=group.ticketgroupid)[0].rid == purchase.rid


def test_ga_quantity_becomes_numbered_seats() -> None:
    deps, store, ledger = world(level=1)
    purchase = email(store, items=Items(quantity=3, general_admission=True))
    push_po(deps.po, "t1", purchase.rid, "quickpo")
    assert next(iter(ledger.pos.values())).seats == ["GA-1", "GA-2", "GA-3"]


def test_the_asl_names_exactly_the_pipeline_functions_and_the_recrawl_queue() -> None:
    import json
    from pathlib import Path

    from infra.definitions.functions import FUNCTIONS
    from infra.definitions.pipeline import TASK_FUNCTIONS, TASK_QUEUES, placeholders, render
    from infra.definitions.tables import QUEUES

    assert placeholders() == set(TASK_FUNCTIONS) | set(TASK_QUEUES)
    rendered = json.loads(
        render(
            {name: f"arn:{fid}" for name, fid in TASK_FUNCTIONS.items()}
            | {name: f"https://queue/{q}" for name, q in TASK_QUEUES.items()}
        )
    )
    tasks = [s for s in rendered["States"].values() if s["Type"] == "Task"]
    lambdas = {
        s["Resource"] for s in tasks if s["Resource"].startswith("arn:") and ":states:::" not in s["Resource"]
    }
    assert lambdas == {f"arn:{fid}" for fid in TASK_FUNCTIONS.values()}
    (recrawl,) = [s for s in tasks if s["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"]
    assert recrawl["Parameters"]["QueueUrl"] == "https://queue/recrawl" and "recrawl" in QUEUES
    # the queue's consumer exists and may answer the execution's tasks
    (consumer,) = [f for f in FUNCTIONS.values() if "recrawl" in f.consumes]
    assert consumer.state_machines == {"purchase-pipeline": "answer"}
    root = Path(__file__).resolve().parents[2]
    for function_id in TASK_FUNCTIONS.values():
        assert function_id in FUNCTIONS and (root / "functions" / function_id / "handler.py").is_file()
    with pytest.raises(KeyError, match="CrawlFunctionArn"):
        render({})


class FakeExecutions:
    """Step Functions as start_run sees it: names taken, and which runs are running."""

    def __init__(self, configured: bool = True, fails: bool = False) -> None:
        self.configured, self.fails = configured, fails
        self.started: list[int] = []
        self.running_generations: set[int] = set()

    def start_execution(self, tenant_id: str, rid: int, generation: int) -> bool:
        if self.fails:
            raise RuntimeError("throttled")
        if not self.configured or generation in self.started:
            return False
        self.started.append(generation)
        self.running_generations.add(generation)
        return True

    def running(self, tenant_id: str, rid: int, generation: int) -> bool:
        return generation in self.running_generations


def test_a_run_is_started_only_while_none_is_going_and_released_by_its_end() -> None:
    deps, store, _ = world()
    purchase = email(store)
    executions = FakeExecutions()
    assert start_run(store, executions, "t1", purchase.rid) == 1
    assert start_run(store, executions, "t1", purchase.rid) is None  # run 1 is going
    park_step(deps, execution_input("t1", purchase.rid, 1))
    executions.running_generations.clear()
    parked = store.rows[("t1", purchase.rid)]
    assert parked.pipeline_state == "awaiting_quickpo" and not parked.run_active
    assert start_run(store, executions, "t1", purchase.rid) == 2  # news: it runs again
    park_step(deps, execution_input("t1", purchase.rid, 1))  # a late step of run 1 releases nothing
    assert store.rows[("t1", purchase.rid)].run_active
    assert executions.started == [1, 2]


def test_a_run_whose_execution_is_gone_is_taken_over() -> None:
    _, store, _ = world()
    purchase = email(store)
    executions = FakeExecutions()
    assert start_run(store, executions, "t1", purchase.rid) == 1
    executions.running_generations.clear()  # aborted, timed out, or lost on a restart
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=RUN_START_GRACE_S + 1)
    assert start_run(store, executions, "t1", purchase.rid, now=later) == 2


def test_a_run_claimed_moments_ago_is_not_taken_over_before_its_execution_starts() -> None:
    """The starter claims the run, then starts its execution: another start in between finds the
    claim active and no execution, and must not start a second run beside it."""
    _, store, _ = world()
    purchase = email(store)
    claimed = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    store.rows[("t1", purchase.rid)] = purchase.model_copy(
        update={"run_generation": 1, "run_active": True, "run_claimed_at": claimed}
    )
    executions = FakeExecutions()  # run 1's execution does not exist yet
    soon = claimed + dt.timedelta(seconds=RUN_START_GRACE_S - 1)
    assert start_run(store, executions, "t1", purchase.rid, now=soon) is None
    assert executions.started == []
    late = claimed + dt.timedelta(seconds=RUN_START_GRACE_S)
    assert start_run(store, executions, "t1", purchase.rid, now=late) == 2  # its starter died
    assert start_run(store, executions, "t1", purchase.rid, now=late, start_grace_s=0) is None  # 2 runs


@pytest.mark.parametrize("executions", [FakeExecutions(configured=False), FakeExecutions(fails=True)])
def test_a_run_that_could_not_start_is_released(executions) -> None:
    _, store, _ = world()
    purchase = email(store)
    if executions.fails:
        with pytest.raises(RuntimeError):
            start_run(store, executions, "t1", purchase.rid)
    else:
        assert start_run(store, executions, "t1", purchase.rid) == 1
    after = store.rows[("t1", purchase.rid)]
    assert after.run_generation == 1 and not after.run_active  # the next news can start run 2


def test_no_run_for_a_purchase_that_has_its_po() -> None:
    _, store, _ = world()
    purchase = email(store)
    store.rows[("t1", purchase.rid)] = purchase.model_copy(update={"purchaseorders": {"builtin": "7"}})
    executions = FakeExecutions()
    assert start_run(store, executions, "t1", purchase.rid) is None and executions.started == []
