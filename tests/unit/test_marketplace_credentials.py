"""Setting a tenant's marketplace credentials: validation against the adapter's required keys,
the webhook registration StubHub needs, and one marketplace account per tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.fakes import FakeSellerAccounts, FakeTenants
from tixpilot.adapters.marketplaces.base import MarketplaceAdapter, MarketplaceError, account_key_of
from tixpilot.adapters.marketplaces.stubhub import StubHubAdapter
from tixpilot.adapters.marketplaces.tevo import TevoAdapter
from tixpilot.adapters.marketplaces.vivid import VividAdapter
from tixpilot.errors import Conflict, InvalidParameter, NotFound, Unavailable
from tixpilot.models.marketplaces import Credentials
from tixpilot.models.tenants import Tenant
from tixpilot.services.marketplace_credentials import SellerDeps, set_credentials
from tixpilot.settings import Settings

BASE_URL = "https://api.tixpilot.example/dev"


class RecordingStubHub(StubHubAdapter):
    """StubHub whose webhook registration is recorded (or fails with `failure`), no HTTP."""

    def __init__(self) -> None:
        super().__init__(Settings())
        self.registered: list[tuple[dict[str, str], str, str]] = []
        self.failure: MarketplaceError | None = None

    def register_webhook(self, credentials: Credentials, url: str, authorization: str) -> str:
        if self.failure:
            raise self.failure
        self.registered.append((dict(credentials), url, authorization))
        return str(len(self.registered))


@pytest.fixture
def stubhub() -> RecordingStubHub:
    return RecordingStubHub()


@pytest.fixture
def deps(stubhub: RecordingStubHub) -> SellerDeps:
    tenants = FakeTenants()
    for tenant_id in ("7", "8"):
        tenants.create(Tenant(tenant_id=tenant_id, name=f"Broker {tenant_id}", created=datetime.now(UTC)))
    adapters: dict[int, MarketplaceAdapter] = {
        1: stubhub,
        4: VividAdapter(Settings()),
        1001: TevoAdapter(Settings()),
    }
    return SellerDeps(store=FakeSellerAccounts(), tenants=tenants, adapter_for=adapters.get)


def secrets_from(*values: str) -> Any:
    remaining = list(values)
    return lambda: remaining.pop(0)


def set_(deps: SellerDeps, tenant: str, market: int, given: object, **options: Any) -> Any:
    options.setdefault("webhook_base_url", BASE_URL)
    return set_credentials(deps, tenant, market, given, **options)


# -- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("market", "given", "names"),
    [
        (4, {}, ["api_token"]),
        (4, {"apiToken": "x"}, ["api_token"]),  # a typo is a missing key
        (1001, {"token": "t"}, ["secret"]),
        (1001, {"token": "t", "secret": "   "}, ["secret"]),  # blank is missing
        (1, {"acess_token": "x"}, ["access_token"]),
    ],
)
def test_a_missing_required_key_is_named(deps: SellerDeps, market: int, given: dict, names: list[str]):
    with pytest.raises(InvalidParameter) as raised:
        set_(deps, "7", market, given)
    for name in names:
        assert f"need {name}" in raised.value.message
    assert deps.store.get("7", market) is None


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (["api_token", "x"], "JSON object"),
        ("x", "JSON object"),
        ({"api_token": ["x"]}, 'api_token: a string, not ["x"]'),
        ({"api_token": True}, "api_token: a string, not true"),
        ({"api_token": "x", "webhook_authorization": "mine"}, "written by TixPilot"),
        ({"api_token": "x" * 3000}, "over 2048 bytes"),
    ],
)
def test_malformed_credentials_are_refused(deps: SellerDeps, given: object, words: str):
    with pytest.raises(InvalidParameter) as raised:
        set_(deps, "7", 4, given)
    assert words in raised.value.message
    assert deps.store.get("7", 4) is None


def test_numbers_are_taken_as_text_and_blanks_dropped(deps: SellerDeps):
    set_(deps, "7", 1001, {"token": " t ", "secret": "s", "reviewer_id": 12345, "note": ""})
    assert deps.store.get("7", 1001) == {"token": "t", "secret": "s", "reviewer_id": "12345"}


def test_unknown_tenant_and_marketplace_without_adapter(deps: SellerDeps):
    with pytest.raises(NotFound):
        set_(deps, "999", 4, {"api_token": "x"})
    with pytest.raises(InvalidParameter) as raised:
        set_(deps, "7", 2, {"api_token": "x"})
    assert raised.value.parameter == "marketplace_id" and "no native adapter" in raised.value.message


def test_the_stored_account_key_is_the_adapters(deps: SellerDeps):
    set_(deps, "7", 4, {"api_token": "vivid-token"})
    found = deps.store.find_by_account(4, account_key_of("vivid-token"))  # type: ignore[attr-defined]
    assert found is not None and found.tenant_id == "7"
    assert found.credentials == {"api_token": "vivid-token"}


def test_one_marketplace_account_per_tenant(deps: SellerDeps):
    set_(deps, "7", 4, {"api_token": "shared"})
    with pytest.raises(Conflict):
        set_(deps, "8", 4, {"api_token": "shared"})
    set_(deps, "7", 4, {"api_token": "shared"})  # the same tenant again is an update


# -- StubHub's webhook -----------------------------------------------------------------------------


def test_stubhub_registers_the_webhook_with_a_fresh_secret(deps: SellerDeps, stubhub: RecordingStubHub):
    result = set_(deps, "7", 1, {"access_token": "sh-1"}, new_secret=secrets_from("echo-1"))
    assert stubhub.registered == [({"access_token": "sh-1"}, f"{BASE_URL}/webhooks/stubhub", "echo-1")]
    assert result.webhook_url == f"{BASE_URL}/webhooks/stubhub" and result.webhook_registered
    stored = deps.store.get("7", 1)
    assert stored == {
        "access_token": "sh-1",
        "webhook_authorization": "echo-1",
        "webhook_id": "1",
        "webhook_url": f"{BASE_URL}/webhooks/stubhub",
    }
    # the webhook finds the tenant by the echoed value, as the route will
    found = deps.store.find_by_account(1, account_key_of("echo-1"))  # type: ignore[attr-defined]
    assert found is not None and found.tenant_id == "7"


def test_a_renewed_token_keeps_the_registered_webhook(deps: SellerDeps, stubhub: RecordingStubHub):
    set_(deps, "7", 1, {"access_token": "sh-1"}, new_secret=secrets_from("echo-1"))
    result = set_(deps, "7", 1, {"access_token": "sh-2"}, new_secret=secrets_from("echo-2"))
    assert len(stubhub.registered) == 1 and not result.webhook_registered
    stored = deps.store.get("7", 1)
    assert stored is not None
    assert stored["access_token"] == "sh-2" and stored["webhook_authorization"] == "echo-1"


def test_a_new_url_or_register_webhook_registers_again(deps: SellerDeps, stubhub: RecordingStubHub):
    set_(deps, "7", 1, {"access_token": "sh-1"}, new_secret=secrets_from("echo-1"))
    set_(
        deps,
        "7",
        1,
        {"access_token": "sh-1"},
        webhook_base_url="https://new.example",
        new_secret=secrets_from("echo-2"),
    )
    set_(
        deps,
        "7",
        1,
        {"access_token": "sh-1"},
        webhook_base_url="https://new.example",
        register_webhook=True,
        new_secret=secrets_from("echo-3"),
    )
    assert [(url, secret) for _, url, secret in stubhub.registered] == [
        (f"{BASE_URL}/webhooks/stubhub", "echo-1"),
        ("https://new.example/webhooks/stubhub", "echo-2"),
        ("https://new.example/webhooks/stubhub", "echo-3"),
    ]
    stored = deps.store.get("7", 1)
    assert stored is not None and stored["webhook_authorization"] == "echo-3"
    # the replaced secret no longer names the tenant
    assert deps.store.find_by_account(1, account_key_of("echo-1")) is None  # type: ignore[attr-defined]


def test_a_refused_registration_stores_nothing(deps: SellerDeps, stubhub: RecordingStubHub):
    stubhub.failure = MarketplaceError("401 requires_authentication", transient=False, status=401)
    with pytest.raises(InvalidParameter) as refused:
        set_(deps, "7", 1, {"access_token": "expired"})
    assert "refused to register the webhook" in refused.value.message
    stubhub.failure = MarketplaceError("503", transient=True, status=503)
    with pytest.raises(Unavailable):
        set_(deps, "7", 1, {"access_token": "sh-1"})
    assert deps.store.get("7", 1) is None


def test_no_webhook_base_url_is_a_clear_error(deps: SellerDeps, stubhub: RecordingStubHub):
    with pytest.raises(InvalidParameter) as raised:
        set_(deps, "7", 1, {"access_token": "sh-1"}, webhook_base_url="")
    assert "TIXPILOT_WEBHOOK_BASE_URL" in raised.value.message and not stubhub.registered
    # marketplaces without webhook registration do not need it
    set_(deps, "7", 4, {"api_token": "v"}, webhook_base_url="")
