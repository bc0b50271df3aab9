"""Integration tests: the real handlers and repositories against moto in server mode, over HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bench.dynamodb_calls import DynamoCalls
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
    aws.reset()
    ensure_resources(get_settings(), aws.client("dynamodb"), aws.client("s3"))
    seed_reference()
    yield endpoint
    server.stop()
    aws.reset()


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


@pytest.fixture
def recorder(moto_server: str) -> Iterator[DynamoCalls]:
    """Every DynamoDB call of the test's client: operation, table, items examined, when it ran."""
    log = DynamoCalls()
    client = aws.dynamodb()
    log.attach(client)
    yield log
    log.detach(client)
