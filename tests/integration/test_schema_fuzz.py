"""Schemathesis over the API's own /openapi.json: every operation, with a real API token and
marketplace key, against the local gateway over HTTP (the handlers Lambda runs, moto behind).

Each operation gets its schema's examples, the coverage phase's boundary values and undeclared
methods (TRACE, PATCH, ...), and a bounded number of fuzzed requests. Whatever comes in, the
answer is never a 5xx, a documented status answers in its documented shape, and a method a path
does not take is a 405 with `Allow` (the gateway's own answer, as API Gateway's mock gives it).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, unsupported_method

from infra.local.gateway import Gateway, make_server
from infra.local.lambdas import LocalLambdas
from infra.local.moto_serial import free_port
from infra.local.seed import admin_repos
from tixpilot.api.openapi import openapi_document
from tixpilot.services import tenants

# Fuzzed requests per operation (the examples and coverage cases come on top): enough to find a
# 500 the schema invites, few enough that the ~25 operations stay near a minute on 2 cores.
EXAMPLES = 25

# The document GET /openapi.json serves, built here so that collecting the tests needs no server.
schema = schemathesis.openapi.from_dict(json.loads(openapi_document()))


@pytest.fixture(scope="module")
def local_api(moto_server: str) -> Iterator[str]:
    server = make_server(Gateway(LocalLambdas()), "127.0.0.1", free_port())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def credentials(moto_server: str) -> dict[str, str]:
    """A tenant's API token and its marketplace key for StubHub (the OI routes take the key)."""
    repos = admin_repos()
    tenant, token = tenants.create_tenant(repos, "Fuzz Tickets")
    key = tenants.create_marketplace_key(repos, tenant.tenant_id, 1, {1})
    return {"x-api-token": token.secret, "x-marketplace-key": key.secret}


@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_server_error(
    case: schemathesis.Case, local_api: str, credentials: dict[str, str]
) -> None:
    case.call_and_validate(
        base_url=local_api,
        headers=credentials,
        checks=[not_a_server_error, response_schema_conformance, unsupported_method],
    )
