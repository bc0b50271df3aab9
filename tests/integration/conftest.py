"""Integration tests: the real handlers and repositories against moto in server mode, over HTTP."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from infra.definitions.functions import FUNCTIONS
from infra.local.lambdas import LocalContext
from infra.local.moto_serial import free_port, start_emulator
from infra.local.resources import ensure_resources
from infra.local.seed import admin_repos, seed_reference
from tixpilot import aws
from tixpilot.models.tenants import Tenant
from tixpilot.services.tenants import AdminRepos, create_tenant
from tixpilot.settings import get_settings


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    port = free_port()
    server = start_emulator("127.0.0.1", port)
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    aws.client.cache_clear()
    ensure_resources(get_settings(), aws.client("dynamodb"), aws.client("s3"))
    seed_reference()
    yield endpoint
    server.stop()
    aws.client.cache_clear()


@pytest.fixture
def admin(moto_server: str) -> AdminRepos:
    return admin_repos()


@dataclass
class TenantWithToken:
    tenant: Tenant
    token: str

    @property
    def id(self) -> str:
        return self.tenant.tenant_id


@pytest.fixture
def new_tenant(admin: AdminRepos) -> Callable[..., TenantWithToken]:
    """Each test makes its own tenants, so tests never see each other's rows."""

    def make(name: str = "Acme Tickets LLC") -> TenantWithToken:
        tenant, issued = create_tenant(admin, name)
        return TenantWithToken(tenant, issued.secret)

    return make


@pytest.fixture
def invoke(moto_server: str) -> Callable[[str, dict[str, Any]], Any]:
    """Call a function's real lambda_handler as Lambda would."""
    import importlib

    def call(function_id: str, event: dict[str, Any]) -> Any:
        module = importlib.import_module(FUNCTIONS[function_id].module)
        return module.lambda_handler(event, LocalContext(FUNCTIONS[function_id]))

    return call


@dataclass
class CallLog:
    """DynamoDB operations made through the shared client, recorded by a botocore hook."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def dynamodb_calls(moto_server: str) -> Iterator[CallLog]:
    log = CallLog()
    client = aws.dynamodb()

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        log.calls.append((model.name, params))

    client.meta.events.register("before-parameter-build.dynamodb", record)
    yield log
    client.meta.events.unregister("before-parameter-build.dynamodb", record)


@dataclass
class Recorder:
    """Every DynamoDB call after auth: operation, table, items examined, when it ran."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def data_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if not c["table"].endswith("-tokens")]

    def examined(self) -> int:
        return sum(c["examined"] for c in self.data_calls())

    def round_trips(self) -> int:
        """Calls in flight at the same time count once (as in bench/purchases_scale.py)."""
        trips, horizon = 0, -1.0
        for call in sorted(self.data_calls(), key=lambda c: c["start"]):
            if call["start"] > horizon:
                trips += 1
                horizon = call["end"]
            else:
                horizon = max(horizon, call["end"])
        return trips


@pytest.fixture
def recorder(moto_server: str) -> Iterator[Recorder]:
    log = Recorder()
    client = aws.dynamodb()

    def after(http_response: Any, parsed: dict[str, Any], model: Any, context: Any, **_: Any) -> None:
        params = context.get("tixpilot_params", {})
        if model.name in ("Query", "Scan"):
            examined = int(parsed.get("ScannedCount", 0))
        elif model.name == "GetItem":
            examined = 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            examined = sum(len(v) for v in parsed.get("Responses", {}).values())
        else:
            examined = 0
        table = params.get("TableName") or next(iter(params.get("RequestItems", {}) or {"": None}))
        start = context.get("tixpilot_start", 0.0)
        log.calls.append(
            {
                "op": model.name,
                "table": table,
                "examined": examined,
                "start": start,
                "end": time.perf_counter(),
            }
        )

    def before(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["tixpilot_params"] = params
        context["tixpilot_start"] = time.perf_counter()

    client.meta.events.register("before-parameter-build.dynamodb", before)
    client.meta.events.register("after-call.dynamodb", after)
    yield log
    client.meta.events.unregister("before-parameter-build.dynamodb", before)
    client.meta.events.unregister("after-call.dynamodb", after)
