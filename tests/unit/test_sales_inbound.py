"""Sales from the marketplaces' own APIs, with in-memory fakes: a webhook is verified with the
claimed account's credentials before anything is queued, and the poller asks each feed at most
once per its interval, continues a sweep at its cursor and sends an order once per TTL."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.events import load_event
from tests.unit.fakes import FakeSellerAccounts
from tixpilot.adapters.marketplaces.base import MarketplaceError, account_key_of
from tixpilot.adapters.marketplaces.stubhub import StubHubAdapter
from tixpilot.adapters.marketplaces.tevo import TevoAdapter, sign
from tixpilot.adapters.marketplaces.vivid import VividAdapter
from tixpilot.errors import InvalidParameter, NotFound, Unauthorized, Unavailable
from tixpilot.models.ion import SaleMessage
from tixpilot.models.marketplace_polls import FeedSlot
from tixpilot.models.marketplaces import Credentials, PollPage, SaleNotification, WebhookRequest
from tixpilot.services.sales_inbound import (
    SEEN_TTL_S,
    SLOT_SLACK_S,
    PollDeps,
    WebhookDeps,
    poll_marketplaces,
    receive_webhook,
)
from tixpilot.settings import Settings

HOOK = "https://api.tixpilot.example/dev/webhooks"
STUBHUB = {"access_token": "sh", "webhook_authorization": "echo-me"}
TEVO = {"token": "tevo-token", "secret": "tevo-secret", "reviewer_id": "1"}


class FakeSink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, SaleNotification]] = []
        self.failing = False

    def put_all(self, messages: Sequence[SaleMessage]) -> None:
        if self.failing:
            raise Unavailable("the queue is down")
        self.sent += [(m.tenant_id, m.notification) for m in messages]


# -- webhooks ------------------------------------------------------------------------------------


@pytest.fixture
def hooks() -> tuple[WebhookDeps, FakeSink]:
    accounts = FakeSellerAccounts()
    accounts.put("7", 1, STUBHUB, account_key_of("echo-me"))
    accounts.put("8", 1001, TEVO, account_key_of("tevo-token"))
    sink = FakeSink()
    adapters = {"stubhub": StubHubAdapter(Settings()), "tevo": TevoAdapter(Settings())}
    return WebhookDeps(accounts=accounts, sink=sink, adapters=adapters), sink


def stubhub_delivery(authorization: str | None = "echo-me", body: bytes | None = None) -> WebhookRequest:
    headers = {"VGG-Topic": "Sales", **({"Authorization": authorization} if authorization else {})}
    payload = body if body is not None else json.dumps(load_event("marketplaces/stubhub_sales_webhook.json"))
    return WebhookRequest(
        url=f"{HOOK}/stubhub",
        headers=headers,
        body=payload if isinstance(payload, bytes) else payload.encode(),
    )


def tevo_delivery(
    secret: str = "tevo-secret", token: str = "tevo-token", order: Any = None
) -> WebhookRequest:
    body = urlencode(
        {
            "recipient": "seller",
            "event_type": "order_created",
            "body": order if order is not None else json.dumps(load_event("marketplaces/tevo_order.json")),
        }
    )
    signature = sign(secret, f"POST api.tixpilot.example/dev/webhooks/tevo?{body}")
    return WebhookRequest(
        url=f"{HOOK}/tevo", headers={"X-Token": token, "X-Signature": signature}, body=body.encode()
    )


def test_a_genuine_delivery_is_queued_for_its_tenant(hooks: tuple[WebhookDeps, FakeSink]):
    deps, sink = hooks
    received = receive_webhook(deps, "stubhub", stubhub_delivery())
    assert received.tenant_id == "7"
    [(tenant, notification)] = sink.sent
    assert tenant == "7" and (notification.marketplace_id, notification.order_id) == (1, "482910377")
    assert notification.event == "created" and notification.seller == account_key_of("echo-me")

    received = receive_webhook(deps, "tevo", tevo_delivery())
    assert received.tenant_id == "8" and sink.sent[-1][1].order_id == "473339"


@pytest.mark.parametrize(
    ("marketplace", "delivery"),
    [
        ("stubhub", stubhub_delivery("echo-somebody-else")),  # no account claims it
        ("stubhub", stubhub_delivery(None)),  # claims none
        ("tevo", tevo_delivery(secret="guessed")),  # a known account, a forged signature
        ("tevo", tevo_delivery(token="unknown")),
    ],
)
def test_unknown_or_forged_deliveries_are_unauthorized(
    hooks: tuple[WebhookDeps, FakeSink], marketplace: str, delivery: WebhookRequest
):
    deps, sink = hooks
    with pytest.raises(Unauthorized) as raised:
        receive_webhook(deps, marketplace, delivery)
    assert raised.value.status_code == 401 and not sink.sent


def test_a_signed_body_that_cannot_be_read_is_a_bad_request(hooks: tuple[WebhookDeps, FakeSink]):
    deps, sink = hooks
    with pytest.raises(InvalidParameter) as raised:
        receive_webhook(deps, "tevo", tevo_delivery(order="not json"))
    assert raised.value.status_code == 400
    with pytest.raises(InvalidParameter):
        receive_webhook(deps, "stubhub", stubhub_delivery(body=b"[1, 2"))
    assert not sink.sent


def test_a_ping_is_answered_and_queues_nothing(hooks: tuple[WebhookDeps, FakeSink]):
    deps, sink = hooks
    ping = json.dumps({"topic": "ping", "action": "Ping", "_embedded": {}}).encode()
    assert receive_webhook(deps, "stubhub", stubhub_delivery(body=ping)).notifications == []
    assert not sink.sent


def test_marketplaces_without_webhooks_are_not_found(hooks: tuple[WebhookDeps, FakeSink]):
    deps, _ = hooks
    for name in ("vivid", "ticketmaster", ""):
        with pytest.raises(NotFound):
            receive_webhook(deps, name, stubhub_delivery())


def test_a_queue_failure_reaches_the_caller(hooks: tuple[WebhookDeps, FakeSink]):
    deps, sink = hooks
    sink.failing = True
    with pytest.raises(Unavailable):  # the route answers 503: the marketplace retries
        receive_webhook(deps, "stubhub", stubhub_delivery())


# -- polls ---------------------------------------------------------------------------------------


@dataclass
class FakePollState:
    """Slots, cursors and seen marks as the repository keeps them, in memory."""

    last: dict[tuple[str, int, str], float] = field(default_factory=dict)
    cursors: dict[tuple[str, int, str], str | None] = field(default_factory=dict)
    errors: dict[tuple[str, int, str], str | None] = field(default_factory=dict)
    seen: dict[tuple[str, str], float] = field(default_factory=dict)

    def take_slot(self, tenant_id: str, marketplace_id: int, feed: str, now: float, interval_s: float):
        key = (tenant_id, marketplace_id, feed)
        if key in self.last and self.last[key] > now - interval_s:
            return None
        self.last[key] = now
        return FeedSlot(self.cursors.get(key))

    def finish(self, tenant_id: str, marketplace_id: int, feed: str, cursor: str | None, error: str | None):
        self.cursors[(tenant_id, marketplace_id, feed)] = cursor
        self.errors[(tenant_id, marketplace_id, feed)] = error

    def unseen(self, tenant_id: str, keys: Sequence[str], now: float) -> set[str]:
        return {k for k in keys if self.seen.get((tenant_id, k), 0) <= now}

    def mark_seen(self, tenant_id: str, keys: Sequence[str], until: float) -> None:
        for key in keys:
            self.seen[(tenant_id, key)] = until


class ScriptedVivid(VividAdapter):
    """Vivid's feeds answering from `pages` (feed -> cursor -> page), recording each request."""

    def __init__(self) -> None:
        super().__init__(Settings())
        self.pages: dict[str, dict[str | None, PollPage]] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        self.failure: Exception | None = None

    def poll(self, credentials: Credentials, feed: str, cursor: str | None) -> PollPage:
        self.requests.append((credentials["api_token"], feed, cursor))
        if self.failure:
            raise self.failure
        return self.pages.get(feed, {}).get(cursor, PollPage(notifications=[]))


def order(order_id: str, token: str = "v7", event: Any = "created") -> SaleNotification:
    return SaleNotification(
        marketplace_id=4, order_id=order_id, event=event, seller=account_key_of(token), quantity=2
    )


@dataclass
class Clock:
    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def vivid() -> ScriptedVivid:
    return ScriptedVivid()


@pytest.fixture
def polling(vivid: ScriptedVivid) -> tuple[PollDeps, FakePollState, FakeSink, Clock]:
    accounts = FakeSellerAccounts()
    accounts.put("7", 4, {"api_token": "v7"}, account_key_of("v7"))
    state, sink, clock = FakePollState(), FakeSink(), Clock()
    deps = PollDeps(accounts=accounts, state=state, sink=sink, adapters=[vivid], clock=clock)
    return deps, state, sink, clock


def feeds_asked(vivid: ScriptedVivid) -> list[str]:
    asked = [feed for _, feed, _ in vivid.requests]
    vivid.requests.clear()
    return asked


def test_each_feed_is_asked_at_most_once_per_its_interval(vivid: ScriptedVivid, polling: Any):
    deps, _, _, clock = polling
    unconfirmed = vivid.poll_feeds["UNCONFIRMED"] + SLOT_SLACK_S  # 10 s and a second of slack
    shipping = vivid.poll_feeds["PENDING_SHIPMENT"] + SLOT_SLACK_S  # 60 s and a second

    poll_marketplaces(deps)
    assert sorted(feeds_asked(vivid)) == ["PENDING_SHIPMENT", "UNCONFIRMED"]
    clock.now += unconfirmed - 0.5
    report = poll_marketplaces(deps)
    assert feeds_asked(vivid) == [] and (report.polled, report.not_due) == (0, 2)
    clock.now += 0.5
    poll_marketplaces(deps)
    assert feeds_asked(vivid) == ["UNCONFIRMED"]
    clock.now = 1_000.0 + shipping
    poll_marketplaces(deps)
    assert sorted(feeds_asked(vivid)) == ["PENDING_SHIPMENT", "UNCONFIRMED"]


def test_concurrent_runs_share_the_slots(vivid: ScriptedVivid, polling: Any):
    deps, _, _, _ = polling
    reports = [poll_marketplaces(deps) for _ in range(5)]  # the same instant, five pollers
    assert sorted(feeds_asked(vivid)) == ["PENDING_SHIPMENT", "UNCONFIRMED"]
    assert sum(r.polled for r in reports) == 2 and sum(r.not_due for r in reports) == 8


def test_a_sweep_continues_at_its_cursor_one_page_per_slot(vivid: ScriptedVivid, polling: Any):
    deps, _, sink, clock = polling
    vivid.pages["UNCONFIRMED"] = {
        None: PollPage(notifications=[order("1"), order("2")], cursor="bm-2"),
        "bm-2": PollPage(notifications=[order("3")], cursor=None),
    }
    poll_marketplaces(deps)
    clock.now += 11
    poll_marketplaces(deps)
    clock.now += 11
    poll_marketplaces(deps)
    unconfirmed = [cursor for _, feed, cursor in vivid.requests if feed == "UNCONFIRMED"]
    assert unconfirmed == [None, "bm-2", None]
    assert [(tenant, n.order_id) for tenant, n in sink.sent] == [("7", "1"), ("7", "2"), ("7", "3")]


def test_an_order_seen_again_is_sent_once_per_ttl(vivid: ScriptedVivid, polling: Any):
    deps, _, sink, clock = polling
    vivid.pages["UNCONFIRMED"] = {None: PollPage(notifications=[order("1"), order("1"), order("2")])}
    report = poll_marketplaces(deps)
    assert report.sent == 2 and [n.order_id for _, n in sink.sent] == ["1", "2"]
    clock.now += 11
    report = poll_marketplaces(deps)
    assert (report.sent, report.already_sent) == (0, 2) and len(sink.sent) == 2
    # the same order with another event is other news
    vivid.pages["PENDING_SHIPMENT"] = {None: PollPage(notifications=[order("1", event="confirmed")])}
    clock.now += 61
    poll_marketplaces(deps)
    assert [(n.order_id, n.event) for _, n in sink.sent[2:]] == [("1", "confirmed")]
    clock.now += SEEN_TTL_S
    poll_marketplaces(deps)
    assert sorted(n.order_id for _, n in sink.sent[3:]) == ["1", "1", "2"]


def test_a_failed_send_is_sent_by_the_next_poll(vivid: ScriptedVivid, polling: Any):
    deps, state, sink, clock = polling
    vivid.pages["UNCONFIRMED"] = {None: PollPage(notifications=[order("1")], cursor="bm-2")}
    sink.failing = True
    report = poll_marketplaces(deps)
    assert report.sent == 0 and report.errors and not sink.sent
    assert state.cursors[("7", 4, "UNCONFIRMED")] is None  # the same page again
    sink.failing = False
    clock.now += 11
    poll_marketplaces(deps)
    assert [n.order_id for _, n in sink.sent] == ["1"]


@pytest.mark.parametrize(("transient", "cursor_after"), [(True, "bm-2"), (False, None)])
def test_marketplace_failures_are_recorded_and_reported(
    vivid: ScriptedVivid, polling: Any, transient: bool, cursor_after: str | None
):
    deps, state, _, clock = polling
    vivid.pages["UNCONFIRMED"] = {None: PollPage(notifications=[], cursor="bm-2")}
    poll_marketplaces(deps)
    vivid.failure = MarketplaceError("429 too many", transient=transient, status=429)
    clock.now += 61
    report = poll_marketplaces(deps)
    assert len(report.errors) == 2 and "tenant 7" in report.errors[0] and not report.crashes
    assert state.cursors[("7", 4, "UNCONFIRMED")] == cursor_after
    assert state.errors[("7", 4, "UNCONFIRMED")] == "429 too many"


def test_one_tenants_crash_does_not_stop_the_others(vivid: ScriptedVivid, polling: Any):
    deps, _, sink, _ = polling
    deps.accounts.put("9", 4, {"api_token": "v9"}, account_key_of("v9"))
    vivid.pages["UNCONFIRMED"] = {None: PollPage(notifications=[order("1", token="v9")])}

    class Boom(FakePollState):
        def take_slot(self, tenant_id: str, *args: Any) -> Any:
            if tenant_id == "7":
                raise RuntimeError("boom")
            return super().take_slot(tenant_id, *args)

    deps = PollDeps(deps.accounts, Boom(), deps.sink, deps.adapters, deps.clock)
    report = poll_marketplaces(deps)
    assert [str(c) for c in report.crashes] == ["boom"]
    assert [(tenant, n.order_id) for tenant, n in sink.sent] == [("9", "1")]


def test_out_of_time_leaves_tenants_for_the_next_run(vivid: ScriptedVivid, polling: Any):
    deps, _, _, _ = polling
    report = poll_marketplaces(deps, out_of_time=lambda: True)
    assert report.tenants_left == 1 and vivid.requests == []


def test_credentials_are_read_only_when_a_feed_is_due(vivid: ScriptedVivid, polling: Any):
    deps, _, _, _ = polling
    reads: list[tuple[str, int]] = []
    accounts = deps.accounts

    class Counting:
        def get(self, tenant_id: str, marketplace_id: int) -> Mapping[str, str] | None:
            reads.append((tenant_id, marketplace_id))
            return accounts.get(tenant_id, marketplace_id)

        def __getattr__(self, name: str) -> Any:
            return getattr(accounts, name)

    deps = PollDeps(Counting(), deps.state, deps.sink, deps.adapters, deps.clock)  # type: ignore[arg-type]
    poll_marketplaces(deps)
    poll_marketplaces(deps)  # nothing due
    assert reads == [("7", 4)]
