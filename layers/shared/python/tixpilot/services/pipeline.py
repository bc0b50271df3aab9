"""The purchase pipeline's steps (docs/safeguard.md), one per Lambda task of the state machine
(infra/definitions/purchase_pipeline.asl.json):

    Crawl (crawl_and_evaluate_step) -> (autopo) AutoPO | (wait) Recrawl | (park) Park | (done)
    Recrawl: SQS delays a message by `wait_s`; crawl_and_evaluate_step again, while the decision
    is `wait`; then the execution's Recrawl task gets the state -> Decide again

Every step takes and returns the execution's state, a small JSON object:
`{"tenant_id", "rid", "attempt", "waited_s"}` plus what the step decided (`decision`, `wait_s`).
The waits' seconds are computed here from the recrawl settings, so one definition serves
production (30 s doubling to 10 min, for 6 h) and the tests (a second or two).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from tixpilot.adapters.primaries.base import PrimaryConnector, PrimaryUnavailable
from tixpilot.errors import NotFound
from tixpilot.models.accounts import Account
from tixpilot.models.crawl_requests import CrawlRequest
from tixpilot.models.pipeline import STATE_KEYS
from tixpilot.models.purchase_search import IndexQuery, QueryPage, Read
from tixpilot.models.purchases import Observation, Purchase
from tixpilot.observability import logger
from tixpilot.services.autopo import PoDeps, push_po
from tixpilot.services.purchases import PurchaseRepos, update_purchase
from tixpilot.services.safeguard import email_authenticated, evaluate_safeguard
from tixpilot.services.tickets import TicketFileStore, record_crawl
from tixpilot.settings import Settings


@dataclass(frozen=True)
class Backoff:
    initial_s: int = 30
    max_s: int = 600
    window_s: int = 21600

    @classmethod
    def from_settings(cls, settings: Settings) -> Backoff:
        return cls(settings.recrawl_initial_s, settings.recrawl_max_s, settings.safeguard_window_s)

    def wait_for(self, attempt: int) -> int:
        """The wait before crawl number `attempt + 1`: initial doubling up to the maximum."""
        return int(min(self.initial_s * 2 ** min(attempt, 30), self.max_s))


class Starter(Protocol):
    def start(self, purchase: Purchase, created: bool) -> None: ...


class Executions(Protocol):
    """The state machine's executions, one per run (adapters.stepfunctions)."""

    def start_execution(self, tenant_id: str, rid: int, generation: int) -> bool: ...

    def running(self, tenant_id: str, rid: int, generation: int) -> bool: ...


@dataclass(frozen=True)
class PipelineDeps:
    repos: PurchaseRepos  # record_observation's (purchases + sequences)
    po: PoDeps
    connector: Callable[[int], PrimaryConnector | None]  # by buying marketplace id
    files: TicketFileStore | None = None  # where the ticket files a crawl finds are kept


def _state(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: payload[k] for k in STATE_KEYS if k in payload} | {
        "generation": int(payload.get("generation", 0)),
        "attempt": int(payload.get("attempt", 0)),
        "waited_s": int(payload.get("waited_s", 0)),
    }


def _release(purchase: Purchase, state: dict[str, Any]) -> dict[str, object]:
    """The fields that end this execution's run on the purchase; nothing if the purchase's run
    is another one (a later generation owns it)."""
    if purchase.run_active and purchase.run_generation == state["generation"]:
        return {"run_active": False}
    return {}


def _end_run(deps: PipelineDeps, state: dict[str, Any]) -> None:
    with contextlib.suppress(NotFound):
        update_purchase(
            deps.po.purchases, state["tenant_id"], int(state["rid"]), lambda p: _release(p, state) or None
        )


def _purchase(deps: PipelineDeps, payload: dict[str, Any]) -> Purchase:
    purchase = deps.po.purchases.get(payload["tenant_id"], int(payload["rid"]), consistent=True)
    if purchase is None:
        raise NotFound(f"no purchase {payload['rid']} for tenant {payload['tenant_id']}")
    return purchase


def _finished(purchase: Purchase) -> bool:
    return (
        purchase.status == "canceled"
        or bool(purchase.purchaseorders)
        or purchase.pipeline_state == "po_created"
    )


# --- steps -------------------------------------------------------------------------------------


def crawl_step(deps: PipelineDeps, payload: dict[str, Any]) -> dict[str, Any]:
    """Crawl the primary for the purchase's order and merge what it says (authoritative).
    PrimaryUnavailable propagates: the state machine retries it, then evaluates without."""
    state = _state(payload)
    purchase = _purchase(deps, state)
    if _finished(purchase):
        return state | {"crawled": False}
    connector = deps.connector(purchase.marketplace_id)
    if connector is None:
        return state | {"crawled": False}
    seen = connector.order(purchase.account_username, purchase.confirmation_number)
    if (
        seen is None
        or (seen.confirmation_region or "").upper() != (purchase.confirmation_region or "").upper()
    ):
        return state | {"crawled": False}
    record_crawl(deps.repos, deps.po.purchases, deps.files, connector, purchase.tenant_id, seen)
    return state | {"crawled": True}


def crawl_and_evaluate_step(deps: PipelineDeps, payload: dict[str, Any], backoff: Backoff) -> dict[str, Any]:
    """Crawl (a primary that does not answer is skipped: the Safeguard decides without it) and
    evaluate: the state machine's Crawl task, and each recrawl after a wait (the recrawl queue's
    worker sends the next delayed message while the decision is `wait`, else answers the
    execution's Recrawl task with the state)."""
    state = _state(payload)
    try:
        state = crawl_step(deps, state)
    except PrimaryUnavailable as exc:
        logger.warning("primary unavailable; deciding without its data", extra={"error": str(exc)})
    return evaluate_step(deps, state, backoff)


def evaluate_step(deps: PipelineDeps, payload: dict[str, Any], backoff: Backoff) -> dict[str, Any]:
    """The Safeguard: PO now, wait and crawl again, or park as awaiting_quickpo."""
    state = _state(payload)
    purchase = _purchase(deps, state)
    if _finished(purchase):
        _end_run(deps, state)
        return state | {"decision": "done"}
    tenant = deps.po.tenants.get(purchase.tenant_id)
    level = tenant.settings.safeguard if tenant else 2
    if evaluate_safeguard(purchase, level, email_authenticated=email_authenticated(purchase)).ready:
        return state | {"decision": "autopo"}
    wait_s = backoff.wait_for(state["attempt"])
    if state["waited_s"] + wait_s > backoff.window_s:
        return state | {"decision": "park"}
    if purchase.pipeline_state != "waiting":
        update_purchase(
            deps.po.purchases,
            purchase.tenant_id,
            purchase.rid,
            lambda p: (
                None if _finished(p) or p.pipeline_state == "waiting" else {"pipeline_state": "waiting"}
            ),
        )
    return state | {
        "decision": "wait",
        "wait_s": wait_s,
        "attempt": state["attempt"] + 1,
        "waited_s": state["waited_s"] + wait_s,
    }


class PosUnavailable(Exception):
    """A POS failed in a way a later attempt may not (unreachable, rate-limiting, another run
    making the PO): the state machine retries the AutoPO step (its Retry names this error), then
    records the failure. What failed is already in the purchase's `errors`."""


def autopo_step(deps: PipelineDeps, payload: dict[str, Any]) -> dict[str, Any]:
    state = _state(payload)
    outcome = push_po(deps.po, state["tenant_id"], int(state["rid"]), "autopo")
    if outcome.retry:
        reasons = [e for e in outcome.errors if e.partition(":")[0] in outcome.retry]
        raise PosUnavailable(
            "; ".join(reasons) or f"{', '.join(outcome.retry)}: another run is making the PO"
        )
    # the run ends here unless the step is to be retried (a failure after the retries ends it)
    _end_run(deps, state)
    return state | {
        "pipeline_state": outcome.purchase.pipeline_state,
        "purchaseorders": outcome.purchase.purchaseorders,
    }


def park_step(deps: PipelineDeps, payload: dict[str, Any]) -> dict[str, Any]:
    """The Safeguard window passed without the data it needs: the broker decides (QuickPO)."""
    state = _state(payload)

    def change(p: Purchase) -> dict[str, object] | None:
        fields = _release(p, state)
        if not _finished(p):
            fields["pipeline_state"] = "awaiting_quickpo"
        return fields or None

    update_purchase(deps.po.purchases, state["tenant_id"], int(state["rid"]), change)
    return state | {"pipeline_state": "awaiting_quickpo"}


def failure_reason(error: dict[str, Any]) -> str:
    """What the broker sees on the purchase: the error's type and message, never a stack trace
    (a Lambda error's Cause is a JSON document with errorType, errorMessage and stackTrace)."""
    name = str(error.get("Error") or "error")
    cause: Any = error.get("Cause") or ""
    try:
        parsed = json.loads(cause) if isinstance(cause, str) else cause
    except ValueError:
        parsed = None
    message = parsed.get("errorMessage", "") if isinstance(parsed, dict) else str(cause)
    return f"pipeline: {name}: {str(message)[:300]}".rstrip(": ")


def fail_step(deps: PipelineDeps, payload: dict[str, Any]) -> dict[str, Any]:
    """A step failed after its retries: record why on the purchase (never dropped silently)."""
    state = _state(payload)
    reason = failure_reason(payload.get("error") or {})

    def change(p: Purchase) -> dict[str, object] | None:
        fields = _release(p, state)
        if not _finished(p):
            errors = p.errors + ([reason] if reason not in p.errors else [])
            fields |= {"pipeline_state": "failed", "errors": errors}
        return fields or None

    with contextlib.suppress(NotFound):  # a purchase that does not exist has nothing to record on
        update_purchase(deps.po.purchases, state["tenant_id"], int(state["rid"]), change)
    return state | {"pipeline_state": "failed", "reason": reason}


# --- runs ---------------------------------------------------------------------------------------


class RunStore(Protocol):
    def get(self, tenant_id: str, rid: int, consistent: bool = False) -> Purchase | None: ...

    def replace(self, purchase: Purchase) -> bool: ...


# A claimed run whose execution does not exist (yet) is taken over only this long after the claim:
# its starter writes the claim and then starts the execution, and on a busy machine the second
# call can come seconds after the first. Taking it over in between made two runs at once.
RUN_START_GRACE_S = 120.0


def start_run(
    purchases: RunStore,
    executions: Executions,
    tenant_id: str,
    rid: int,
    *,
    now: dt.datetime | None = None,
    start_grace_s: float = RUN_START_GRACE_S,
) -> int | None:
    """Start a new run of the purchase's pipeline, unless it needs none (it has its PO, or is
    canceled) or a run is going: the generation started, or None.

    The run is claimed on the purchase by a conditional write (generation + 1, active) that
    succeeds only while no run is active, so of any number of concurrent starts one wins; the
    step that ends the run releases it (`_release`). A run marked active whose execution is no
    longer running (aborted, timed out, or lost with the local stack's emulator) is taken over,
    once `start_grace_s` has passed since it was claimed (its execution may be about to start; the
    local stack's resume after a restart passes 0). Its execution is named after the generation:
    every run has a name of its own."""
    now = now or dt.datetime.now(dt.UTC)
    current = purchases.get(tenant_id, rid, consistent=True)
    if current is None or _finished(current):
        return None
    stale: int | None = None
    if current.run_active:
        if executions.running(tenant_id, rid, current.run_generation):
            return None
        claimed_at = current.run_claimed_at
        if claimed_at is not None and (now - claimed_at).total_seconds() < start_grace_s:
            return None  # its starter may not have started the execution yet
        stale = current.run_generation
    claimed: dict[str, int | None] = {"generation": None}

    def claim(p: Purchase) -> dict[str, object] | None:
        claimed["generation"] = None
        if _finished(p) or (p.run_active and p.run_generation != stale):
            return None  # nothing to run, or another start claimed the run meanwhile
        claimed["generation"] = p.run_generation + 1
        return {"run_generation": p.run_generation + 1, "run_active": True, "run_claimed_at": now}

    update_purchase(purchases, tenant_id, rid, claim)
    generation = claimed["generation"]
    if generation is None:
        return None
    started = False
    try:
        started = executions.start_execution(tenant_id, rid, generation)
    finally:
        if not started:  # no execution will release it (no pipeline configured, or it failed)
            _end_run_of(purchases, tenant_id, rid, generation)
    return generation


def _end_run_of(purchases: RunStore, tenant_id: str, rid: int, generation: int) -> None:
    update_purchase(purchases, tenant_id, rid, lambda p: _release(p, {"generation": generation}) or None)


@dataclass(frozen=True)
class PipelineRuns:
    """The Starter that intake, crawls and the local stack's resume use: a run per news."""

    purchases: RunStore
    executions: Executions

    def start(self, purchase: Purchase, created: bool) -> None:
        start_run(self.purchases, self.executions, purchase.tenant_id, purchase.rid)


class PurchasesOfAccount(Protocol):
    def query_many(self, tenant_id: str, reads: Sequence[Read]) -> list[QueryPage]: ...


# How many of an account's newest purchases an account fix looks at for parked or failed ones.
RERUN_LOOKBACK = 100


def rerun_after_account_fix(
    runs: PipelineRuns, purchases: PurchasesOfAccount, account: Account, workers: int = 8
) -> int:
    """An account was fixed (password, POS settings, AutoPO): its parked or failed purchases
    (among its newest RERUN_LOOKBACK) run again. Returns how many runs were started."""
    (page,) = purchases.query_many(
        account.tenant_id, [Read(IndexQuery("username", account.username.strip().lower()), RERUN_LOOKBACK)]
    )
    waiting = [
        p
        for p in page.purchases
        if p.marketplace_id == account.marketplace_id
        and p.pipeline_state in ("awaiting_quickpo", "failed")
        and not p.run_active
        and not _finished(p)
    ]
    if not waiting:
        return 0
    with ThreadPoolExecutor(max_workers=min(len(waiting), workers)) as pool:
        started = pool.map(
            lambda p: start_run(runs.purchases, runs.executions, p.tenant_id, p.rid) is not None, waiting
        )
        return sum(started)


# --- crawl requests (GET /v2/crawl) --------------------------------------------------------------


@dataclass(frozen=True)
class CrawlResult:
    found: int
    created: int


def crawl_account(
    deps: PipelineDeps,
    starter: Starter,
    tenant_id: str,
    username: str,
    marketplace_id: int,
    confnum: str,
) -> CrawlResult:
    """Crawl an account now (one order, or `all`), record what the primary shows (a crawl finding
    an order no email told us of creates its purchase), and start the pipeline for each."""
    connector = deps.connector(marketplace_id)
    if connector is None:
        return CrawlResult(0, 0)
    seen: list[Observation]
    if confnum == "all":
        seen = connector.orders(username)
    else:
        number, _, region = confnum.partition("/")
        order = connector.order(username, number)
        seen = (
            [order]
            if order is not None
            and (not region or (order.confirmation_region or "").upper() == region.upper())
            else []
        )
    created = 0
    for observation in seen:
        # the orders are the account's: recorded under its own name, whatever the primary wrote
        mine = observation.model_copy(update={"marketplace_id": marketplace_id, "account_username": username})
        purchase, new = record_crawl(deps.repos, deps.po.purchases, deps.files, connector, tenant_id, mine)
        created += int(new)
        starter.start(purchase, new)
    return CrawlResult(len(seen), created)


class AccountLookup(Protocol):
    def get(self, tenant_id: str, account_id: int) -> Account | None: ...

    def find_by_username(self, tenant_id: str, username: str, marketplace_id: int = 1) -> Account | None: ...


@dataclass(frozen=True)
class CrawlDeps:
    pipeline: PipelineDeps
    accounts: AccountLookup
    starter: Starter


def account_to_crawl(
    accounts: AccountLookup,
    tenant_id: str,
    *,
    account_id: int | None,
    username: str | None,
    marketplace_id: int | None,
) -> Account:
    """The tenant's own account a crawl names: by `account_id`, else by `username` on the buying
    marketplace (default 1). Any other is NotFound — a crawl never reads an account the tenant
    does not have, so never another broker's orders."""
    if account_id is not None:
        account = accounts.get(tenant_id, account_id)
        if account is None:
            raise NotFound(f"id: no account {account_id} in your account; see /v2/accounts/list")
        return account
    marketplace = marketplace_id or 1
    name = (username or "").strip()
    account = accounts.find_by_username(tenant_id, name, marketplace) if name else None
    if account is None:
        raise NotFound(
            f"username: no account '{(username or '')[:200]}' on marketplace {marketplace} in your "
            "account; add it with POST /v2/accounts/add, or see /v2/accounts/list"
        )
    return account


def crawl_request_now(
    deps: CrawlDeps, tenant_id: str, request: CrawlRequest, account: Account | None = None
) -> CrawlResult:
    """Act on a recorded GET /v2/crawl request: crawl its account (one order or all) and start
    the pipeline for every order found. `account` is the request's, when the caller has it;
    NotFound when the request names no account of the tenant."""
    if account is None:
        account = account_to_crawl(
            deps.accounts,
            tenant_id,
            account_id=request.account_id,
            username=request.username,
            marketplace_id=request.marketplace_id,
        )
    try:
        return crawl_account(
            deps.pipeline, deps.starter, tenant_id, account.username, account.marketplace_id, request.confnum
        )
    except PrimaryUnavailable:
        logger.warning("primary unavailable for a crawl request", extra={"request_id": request.request_id})
        return CrawlResult(0, 0)
