"""What schemathesis found as an attacker would: bodies no route can read and dates past the
calendar's end were 500s. Each is a 400 in the envelope now, saying what is wrong."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.events import api_event

# The three POST endpoints that take a JSON body, with the function serving each.
BODY_ROUTES = [
    ("api_sales", "/v2/sales/add", {}),
    ("api_sales", "/sales/v1/complete-sale", {}),
    ("api_accounts", "/v2/accounts/update/v2", {"id": "1", "posid": "100"}),
]


def call(invoke: Any, function: str, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = invoke(function, event)
    return response["statusCode"], json.loads(response["body"])


def refused(invoke: Any, function: str, event: dict[str, Any]) -> str:
    status, body = call(invoke, function, event)
    assert status == 400, body
    assert body["result"]["status"] == "error" and body["result"]["messageid"] == "E_PARAM"
    return str(body["result"]["message"])


@pytest.mark.parametrize(("function", "path", "query"), BODY_ROUTES)
def test_a_body_that_is_not_utf8_is_a_400(new_tenant, invoke, function, path, query):
    event = api_event("POST", path, token=new_tenant().token, query=query)
    event["headers"]["Content-Type"] = "application/json"
    event["body"], event["isBase64Encoded"] = base64.b64encode(b'{"\xea\x01\xff": 1}').decode(), True
    assert refused(invoke, function, event) == "body: not UTF-8 text; send JSON encoded as UTF-8"


@pytest.mark.parametrize("depth", [33, 5000, 200_000])
@pytest.mark.parametrize(("function", "path", "query"), BODY_ROUTES)
def test_json_nested_too_deep_is_a_400(new_tenant, invoke, function, path, query, depth):
    body = '{"a":' * depth + "1" + "}" * depth if depth % 2 else "[" * depth + "]" * depth
    event = api_event("POST", path, token=new_tenant().token, query=query, body=body)
    assert "nested deeper than 32 levels" in refused(invoke, function, event)


def test_a_utf8_body_sent_base64_encoded_is_read_as_text(new_tenant, invoke):
    tenant = new_tenant()
    items = [{"user_id": tenant.id, "order_id": "1", "marketplace_id": 1}]
    event = api_event("POST", "/sales/v1/complete-sale", token=tenant.token)
    event["body"], event["isBase64Encoded"] = base64.b64encode(json.dumps(items).encode()).decode(), True
    status, body = call(invoke, "api_sales", event)
    assert status == 200 and body["output"][0]["messageid"] == "E_NOT_FOUND"  # read, and no such sale


@pytest.mark.parametrize(
    ("function", "path", "query"),
    [
        ("api_purchases", "/v2/purchases", {"datefirstseen": "12/31/9999"}),
        ("api_purchases", "/v2/purchases", {"datefirstseen": ">=12/31/9999"}),
        ("api_purchases", "/v2/purchases", {"datefirstseen": "<=1/1/0001"}),
        ("api_purchases", "/v2/purchases", {"eventdatestart": "1/1/1", "eventdateend": "12/31/9999"}),
        ("api_inventory", "/v2/inventory", {"eventdate": "12/31/9999"}),
    ],
)
def test_a_year_past_the_calendar_is_a_400(new_tenant, invoke, function, path, query):
    event = api_event("GET", path, token=new_tenant().token, query=query)
    assert "the year must be from 1900 to 2199" in refused(invoke, function, event)


def test_a_sale_dated_in_year_9999_is_a_400(new_tenant, invoke):
    from tests.events import load_event

    body = load_event("api/sales_add_body.json") | {"saledatetime": "12/31/9999 11:59 PM"}
    event = api_event("POST", "/v2/sales/add", token=new_tenant().token, body=json.dumps(body))
    assert refused(invoke, "api_sales", event).startswith("saledatetime:")
