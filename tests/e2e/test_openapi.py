"""GET /openapi.json on the shared stack.

In the local stack every function runs in one process, so serving the document must leave the
other functions working (it once re-pointed the shared routers at the OpenAPI builder's app).
"""

from __future__ import annotations

import pytest

from tests.e2e.stack import ENDPOINTS, LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_openapi_document_needs_no_token(stack: LocalStack) -> None:
    response = stack.get("/openapi.json", auth=False)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    for path in ENDPOINTS:
        assert "get" in document["paths"][path], sorted(document["paths"])


def test_endpoints_still_answer_after_the_document_was_served(stack: LocalStack) -> None:
    def statuses() -> dict[str, int]:
        return {path: stack.get(path).status_code for path in ENDPOINTS}

    assert statuses() == dict.fromkeys(ENDPOINTS, 200)
    assert stack.get("/openapi.json", auth=False).status_code == 200
    assert statuses() == dict.fromkeys(ENDPOINTS, 200)
