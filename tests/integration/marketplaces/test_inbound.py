"""Sales from the marketplaces to the ION queue, over real HTTP and moto: the simulator pushes its
webhooks to the local API gateway running the real webhook function; the poller polls the
simulator's Vivid API. What reaches the queue is read back from SQS (moto)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import requests

from infra.local.gateway import Gateway, make_server
from infra.local.lambdas import LocalLambdas
from infra.local.marketplace_sim import MarketplaceSimulator, make_marketplace_server
from infra.local.schedule import scheduled_event
from tests.events import load_event
from tests.integration.conftest import TenantWithToken
from tests.integration.marketplaces.conftest import HOST, Sim, wait_for
from tixpilot import aws
from tixpilot.adapters.marketplaces import registry
from tixpilot.adapters.marketplaces.base import MarketplaceAdapter, account_key_of
from tixpilot.adapters.marketplaces.tevo import sign
from tixpilot.models.ion import SaleMessage
from tixpilot.models.marketplace_polls import FeedSlot
from tixpilot.models.marketplaces import Credentials, PollPage
from tixpilot.services.marketplace_credentials import set_credentials
from tixpilot.services.sales_inbound import SLOT_SLACK_S, PollDeps, poll_marketplaces
from tixpilot.settings import get_settings
from tixpilot.wiring import components
from tixpilot.wiring import marketplaces as wiring

NewTenant = Callable[..., TenantWithToken]
_orders = itertools.count(int(time.time()) % 1_000_000 * 1000)


def order_id() -> str:
    """Order ids unique within the session (the simulator wants digits)."""
    return str(next(_orders))


# -- the ION queue, read back ----------------------------------------------------------------------


@dataclass
class IonQueue:
    """Everything sent to the ION queue, received (and deleted) as the test asks for it."""

    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        name = get_settings().queue_name("ion-sales")
        return str(aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])

    def drain(self) -> None:
        sqs = aws.client("sqs")
        while True:
            messages = sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            for message in messages:
                self.received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def of(self, tenant_id: str) -> list[dict[str, Any]]:
        self.drain()
        return [m for m in self.received if m["tenant_id"] == tenant_id]

    def wait_for(self, tenant_id: str, count: int = 1) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            mine = self.of(tenant_id)
            return mine if len(mine) >= count else None

        return wait_for(enough, f"{count} ION messages for tenant {tenant_id}", timeout_s=20)


@pytest.fixture
def ion_queue(moto_server: str) -> IonQueue:
    return IonQueue()


# -- the local API and the simulator, wired to each other ---------------------------------------------


@pytest.fixture
def api_url(moto_server: str) -> Iterator[str]:
    """The local API gateway (the real handlers, in this process) on a free port."""
    server = make_server(Gateway(LocalLambdas()), HOST, 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://{HOST}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def market(request: pytest.FixtureRequest, api_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sim]:
    """The simulator pushing TEvo's webhooks to the local API, and TixPilot's settings pointing
    the adapters at the simulator and the webhooks at the local API (caches rebuilt around)."""
    time_scale = float(getattr(request, "param", 0.001))
    simulator = MarketplaceSimulator(tevo_webhook_url=f"{api_url}/webhooks/tevo", time_scale=time_scale)
    server = make_marketplace_server(simulator, HOST, 0)
    url = f"http://{HOST}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    for name in ("stubhub", "tevo", "vivid"):
        monkeypatch.setenv(f"TIXPILOT_{name.upper()}_URL", f"{url}/{name}")
    monkeypatch.setenv("TIXPILOT_WEBHOOK_BASE_URL", api_url)
    _rebuild()
    yield Sim(url)
    monkeypatch.undo()
    _rebuild()
    simulator.stop()
    server.shutdown()
    server.server_close()


def _rebuild() -> None:
    get_settings.cache_clear()
    registry.adapter_for.cache_clear()
    for builder in (wiring.seller_deps, wiring.webhook_deps, wiring.poll_deps):
        builder.cache_clear()


def connect(tenant_id: str, marketplace_id: int, credentials: dict[str, str]) -> None:
    """`tixpilot marketplace-credentials set`, as the CLI runs it."""
    set_credentials(
        wiring.seller_deps(),
        tenant_id,
        marketplace_id,
        credentials,
        webhook_base_url=get_settings().webhook_base_url,
    )


# -- webhooks ------------------------------------------------------------------------------------


def test_a_stubhub_sale_reaches_the_ion_queue_for_its_tenant(
    market: Sim, new_tenant: NewTenant, ion_queue: IonQueue, api_url: str
):
    tenant, other = new_tenant("StubHub Seller"), new_tenant("Someone Else")
    token = f"sh-{tenant.id}"
    market.seller("stubhub", token)
    connect(tenant.id, 1, {"access_token": token})
    [registration] = market.calls("stubhub", operation="register_webhook")
    assert registration["body"]["url"] == f"{api_url}/webhooks/stubhub"

    sale = order_id()
    market.sell("stubhub", token, sale, ticketgroupid="TG-9", quantity=2, price_per_seat="61.25")
    [message] = ion_queue.wait_for(tenant.id)
    assert set(message) == {"tenant_id", "notification", "credential_id"}
    assert message["credential_id"] == ""  # no marketplace key: the account's own credentials
    notification = message["notification"]
    echoed = registration["body"]["authorization_header"]
    assert {k: notification[k] for k in ("marketplace_id", "order_id", "event", "seller", "quantity")} == {
        "marketplace_id": 1,
        "order_id": sale,
        "event": "created",
        "seller": account_key_of(echoed),
        "quantity": 2,
    }
    assert notification["price_per_seat"] == "61.25"  # Decimal, as JSON text
    assert notification["ticketgroupid"] is None  # StubHub's webhook does not name it: get_sale does
    assert SaleMessage.model_validate(message).notification.dedupe_key == f"1#{sale}#created"
    assert ion_queue.of(other.id) == []

    [push] = market.control("GET", "notifications", marketplace="stubhub", order_id=sale)
    assert [a.get("status") for a in push["attempts"]] == [200]


@pytest.mark.parametrize("market", [0.001], indirect=True)
def test_a_tevo_sale_reaches_the_ion_queue_for_its_tenant(
    market: Sim, new_tenant: NewTenant, ion_queue: IonQueue
):
    tenant = new_tenant("TEvo Seller")
    token, secret = f"tevo-{tenant.id}", f"secret-{tenant.id}"
    market.seller("tevo", token, secret)
    connect(tenant.id, 1001, {"token": token, "secret": secret, "reviewer_id": "12"})

    sale = order_id()
    market.sell("tevo", token, sale, ticketgroupid="TG-11", quantity=3, price_per_seat="40.00")
    [message] = ion_queue.wait_for(tenant.id)
    notification = message["notification"]
    assert (notification["marketplace_id"], notification["order_id"], notification["event"]) == (
        1001,
        sale,
        "created",
    )
    assert (notification["ticketgroupid"], notification["quantity"]) == ("TG-11", 3)
    assert notification["seller"] == account_key_of(token)


def envelope_error(response: requests.Response) -> tuple[int, str]:
    body = response.json()
    assert body["result"]["status"] == "error" and body["output"] == []
    return response.status_code, body["result"]["messageid"]


def test_forged_unknown_and_malformed_deliveries_are_refused(
    market: Sim, new_tenant: NewTenant, ion_queue: IonQueue, api_url: str
):
    tenant = new_tenant("Target")
    token, secret = f"tevo-{tenant.id}", f"secret-{tenant.id}"
    connect(tenant.id, 1001, {"token": token, "secret": secret})
    sh_token = f"sh-{tenant.id}"
    market.seller("stubhub", sh_token)
    connect(tenant.id, 1, {"access_token": sh_token})
    stubhub_body = json.dumps(load_event("marketplaces/stubhub_sales_webhook.json"))
    order_body = json.dumps(load_event("marketplaces/tevo_order.json"))

    def tevo(form: str, with_secret: str = secret, as_token: str = token) -> requests.Response:
        signature = sign(with_secret, f"POST {HOST}/webhooks/tevo?{form}")
        headers = {
            "X-Token": as_token,
            "X-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return requests.post(f"{api_url}/webhooks/tevo", data=form, headers=headers, timeout=10)

    def stubhub(authorization: str | None) -> requests.Response:
        headers = {
            "Content-Type": "application/json",
            **({"Authorization": authorization} if authorization else {}),
        }
        return requests.post(f"{api_url}/webhooks/stubhub", data=stubhub_body, headers=headers, timeout=10)

    form = f"recipient=seller&event_type=order_created&body={requests.utils.quote(order_body)}"
    assert envelope_error(tevo(form, with_secret="guessed")) == (401, "E_AUTH")
    assert envelope_error(tevo(form, as_token="nobody")) == (401, "E_AUTH")
    assert envelope_error(tevo("recipient=seller&event_type=order_created&body=%7Bnot")) == (400, "E_PARAM")
    assert envelope_error(stubhub("Bearer a-guess")) == (401, "E_AUTH")
    assert envelope_error(stubhub(None)) == (401, "E_AUTH")
    assert envelope_error(requests.post(f"{api_url}/webhooks/vivid", data="x", timeout=10)) == (
        404,
        "E_NOT_FOUND",
    )
    assert ion_queue.of(tenant.id) == []

    # the genuine delivery, and the same delivery again: both queued (the worker acts once)
    assert tevo(form).json()["output"] == [{"queued": 1}]
    assert tevo(form).json()["output"] == [{"queued": 1}]
    first, second = ion_queue.wait_for(tenant.id, 2)
    assert first == second and first["notification"]["order_id"] == "473339"


def test_the_handler_takes_api_gateways_events(
    invoke: Callable[[str, dict[str, Any]], Any], moto_server: str, new_tenant: NewTenant, ion_queue: IonQueue
):
    """The real-shaped events (events/api/post_webhooks_*.json): their accounts' credentials, the
    URL rebuilt from Host and the stage's path (no TIXPILOT_WEBHOOK_BASE_URL here)."""
    assert not get_settings().webhook_base_url
    tenant = new_tenant("Event Seller")
    repo = components.marketplace_credentials()
    repo.put(tenant.id, 1001, {"token": "tevo-token", "secret": "tevo-secret"}, account_key_of("tevo-token"))
    stubhub = {"access_token": "sh", "webhook_authorization": "Bearer s3cret-echo"}
    repo.put(tenant.id, 1, stubhub, account_key_of("Bearer s3cret-echo"))

    for name, order in (("tevo", "473339"), ("stubhub", "482910377")):
        response = invoke("marketplace_webhooks", load_event(f"api/post_webhooks_{name}.json"))
        assert response["statusCode"] == 200, response
        assert json.loads(response["body"]) == {
            "result": {"status": "success", "message": "", "messageid": ""},
            "output": [{"queued": 1}],
        }
        assert ion_queue.wait_for(tenant.id)[-1]["notification"]["order_id"] == order
        ion_queue.received.clear()

    tampered = load_event("api/post_webhooks_tevo.json")
    tampered["body"] = tampered["body"].replace("order_created", "order_cancelled")
    response = invoke("marketplace_webhooks", tampered)
    assert response["statusCode"] == 401 and json.loads(response["body"])["result"]["messageid"] == "E_AUTH"
    assert ion_queue.of(tenant.id) == []


# -- the poller ----------------------------------------------------------------------------------


@dataclass
class Clock:
    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now


class FeedsAsked:
    """The registry's Vivid adapter, noting which feed each poll asks for (the simulator's call
    log does not show a GET's query)."""

    def __init__(self, adapter: MarketplaceAdapter) -> None:
        self.adapter = adapter
        self.asked: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)

    def poll(self, credentials: Credentials, feed: str, cursor: str | None) -> PollPage:
        self.asked.append(feed)
        return self.adapter.poll(credentials, feed, cursor)

    def take(self) -> list[str]:
        asked, self.asked = sorted(self.asked), []
        return asked


class OneTenant:
    """The credentials store as seen by polling one tenant: other tests on this moto server leave
    tenants with Vivid tokens the simulator does not know, whose feeds would fail."""

    def __init__(self, store: Any, tenant_id: str) -> None:
        self.store, self.tenant_id = store, tenant_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def tenants_of(self, marketplace_id: int) -> list[str]:
        return [t for t in self.store.tenants_of(marketplace_id) if t == self.tenant_id]


def vivid_polling(tenant_id: str, clock: Callable[[], float] = time.time) -> tuple[PollDeps, FeedsAsked]:
    vivid = registry.adapter_for(4)
    assert vivid is not None
    asked = FeedsAsked(vivid)
    deps = wiring.poll_deps()
    accounts = OneTenant(deps.accounts, tenant_id)
    return replace(deps, accounts=accounts, adapters=[asked], clock=clock), asked  # type: ignore[list-item]


def test_the_poller_keeps_the_rate_limits_and_sends_each_order_once(
    market: Sim, new_tenant: NewTenant, ion_queue: IonQueue
):
    tenant = new_tenant("Vivid Seller")
    token = f"vivid-{tenant.id}"
    market.seller("vivid", token)
    connect(tenant.id, 4, {"api_token": token})
    first, second = order_id(), order_id()
    market.sell("vivid", token, first, ticketgroupid="TG-1")
    market.sell("vivid", token, second, ticketgroupid="TG-2", quantity=4)

    clock = Clock()
    deps, asked = vivid_polling(tenant.id, clock)

    def run() -> list[str]:
        report = poll_marketplaces(deps)
        assert not report.crashes and not report.errors, report
        return asked.take()

    assert run() == ["PENDING_SHIPMENT", "UNCONFIRMED"]
    messages = ion_queue.wait_for(tenant.id, 2)
    assert {m["notification"]["order_id"]: m["notification"]["ticketgroupid"] for m in messages} == {
        first: "TG-1",
        second: "TG-2",
    }
    assert {m["notification"]["event"] for m in messages} == {"created"}

    clock.now += 5
    assert run() == []  # within both intervals: not asked at all
    clock.now += 10 - 5 + SLOT_SLACK_S
    assert run() == ["UNCONFIRMED"]  # the same orders: already sent
    clock.now += 60
    assert run() == ["PENDING_SHIPMENT", "UNCONFIRMED"]
    assert len(ion_queue.of(tenant.id)) == 2
    calls = market.calls("vivid", operation="poll")
    assert len(calls) == 5 and {c["status"] for c in calls} == {200}


@pytest.mark.parametrize("market", [1.0], indirect=True)  # the simulator's real 10 s / 60 s limits
def test_concurrent_pollers_make_one_request_per_feed(
    market: Sim, new_tenant: NewTenant, ion_queue: IonQueue
):
    tenant = new_tenant("Busy Vivid Seller")
    token = f"vivid-{tenant.id}"
    market.seller("vivid", token)
    connect(tenant.id, 4, {"api_token": token})
    market.sell("vivid", token, order_id())
    deps, asked = vivid_polling(tenant.id)

    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(lambda _: poll_marketplaces(deps), range(4)))
    assert not any(r.crashes or r.errors for r in reports), reports
    assert sum(r.polled for r in reports) == 2 and sum(r.sent for r in reports) == 1
    assert asked.take() == ["PENDING_SHIPMENT", "UNCONFIRMED"]
    calls = market.calls("vivid", operation="poll")
    assert len(calls) == 2 and {c["status"] for c in calls} == {200}  # none refused with 429
    assert len(ion_queue.wait_for(tenant.id)) == 1


def test_the_poller_function_on_its_schedule(
    market: Sim, new_tenant: NewTenant, ion_queue: IonQueue, invoke: Callable[[str, dict[str, Any]], Any]
):
    """The deployed handler with an EventBridge scheduled event: every tenant of every polled
    marketplace, at real time."""
    tenant = new_tenant("Scheduled Vivid Seller")
    token = f"vivid-{tenant.id}"
    market.seller("vivid", token)
    connect(tenant.id, 4, {"api_token": token})
    sale = order_id()
    market.sell("vivid", token, sale)

    summary = invoke("marketplace_poller", scheduled_event("marketplace_poller"))
    # (other tests' tenants are polled too, against this simulator that does not know them)
    assert summary["polled"] >= 2 and summary["sent"] >= 1
    assert not [error for error in summary["errors"] if f"tenant {tenant.id}:" in error]
    [message] = ion_queue.wait_for(tenant.id)
    assert message["notification"]["order_id"] == sale and message["notification"]["marketplace_id"] == 4


def test_poll_state_in_dynamodb(moto_server: str):
    repo = components.marketplace_polls()
    tenant, now = f"poll-state-{order_id()}", time.time()
    keys = [f"4#{n}#created" for n in range(130)]  # more than one BatchGetItem
    assert repo.unseen(tenant, keys, now) == set(keys)
    repo.mark_seen(tenant, keys[:120], until=now + 100)
    repo.mark_seen(tenant, keys[120:125], until=now - 1)  # expired, not yet deleted by TTL
    assert repo.unseen(tenant, keys, now) == set(keys[120:])
    assert repo.unseen(f"{tenant}-other", keys[:3], now) == set(keys[:3])

    assert repo.take_slot(tenant, 4, "UNCONFIRMED", now, 11) == FeedSlot(cursor=None)
    assert repo.take_slot(tenant, 4, "UNCONFIRMED", now + 10.9, 11) is None
    assert repo.take_slot(tenant, 4, "PENDING_SHIPMENT", now + 10.9, 61) == FeedSlot(cursor=None)
    repo.finish(tenant, 4, "UNCONFIRMED", "bookmark-2", "429 too many")
    assert repo.take_slot(tenant, 4, "UNCONFIRMED", now + 11, 11) == FeedSlot(cursor="bookmark-2")
    repo.finish(tenant, 4, "UNCONFIRMED", None, None)
    item = aws.dynamodb().get_item(
        TableName=get_settings().table_name("marketplace_polls"),
        Key={"poll_key": {"S": f"feed#{tenant}#4#UNCONFIRMED"}},
    )["Item"]
    assert set(item) == {"poll_key", "last_request_at", "last_finished_at"}
