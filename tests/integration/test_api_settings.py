"""GET /v2/settings and POST /v2/settings/update: the tenant's own settings, nobody else's."""

from __future__ import annotations

import json

import pytest

from tests.events import api_event

DEFAULTS = {
    "safeguard": 2,
    "mobile_po_as": "transfer",
    "timezone": "America/New_York",
    "inventory_pos": "builtin",
}


def call(invoke, token, method, path, query=None):
    response = invoke("api_settings", api_event(method, path, token=token, query=query))
    return response["statusCode"], json.loads(response["body"])


def settings(invoke, token) -> dict:
    status, document = call(invoke, token, "GET", "/v2/settings")
    assert status == 200, document
    (row,) = document["output"]
    return row


@pytest.mark.parametrize("path", ["/v2/settings", "/v2/settings/"])
def test_a_new_tenant_has_the_recommended_defaults(invoke, new_tenant, path):
    tenant = new_tenant()
    status, document = call(invoke, tenant.token, "GET", path)
    assert status == 200 and document["output"] == [DEFAULTS]
    assert document["result"] == {"status": "success", "message": "", "messageid": ""}


def test_update_changes_only_what_it_names_and_only_for_its_tenant(invoke, new_tenant):
    tenant, other = new_tenant(), new_tenant()
    status, document = call(invoke, tenant.token, "POST", "/v2/settings/update/", {"safeguard": "3"})
    assert status == 200 and document["output"] == [{**DEFAULTS, "safeguard": 3}]
    query = {"mobile_po_as": "qr_screenshot", "timezone": "Europe/London", "ignored": "x"}
    status, document = call(invoke, tenant.token, "POST", "/v2/settings/update", query)
    expected = {**DEFAULTS, "safeguard": 3, "mobile_po_as": "qr_screenshot", "timezone": "Europe/London"}
    assert status == 200 and document["output"] == [expected]
    assert settings(invoke, tenant.token) == expected
    assert settings(invoke, other.token) == DEFAULTS
    # no parameter: nothing changes, the settings are answered
    status, document = call(invoke, tenant.token, "POST", "/v2/settings/update")
    assert status == 200 and document["output"] == [expected]
    status, document = call(invoke, tenant.token, "POST", "/v2/settings/update", {"safeguard": "1"})
    assert document["output"][0]["safeguard"] == 1
    status, document = call(invoke, tenant.token, "POST", "/v2/settings/update", {"inventory_pos": "skybox"})
    assert status == 200 and document["output"][0]["inventory_pos"] == "skybox"
    assert settings(invoke, other.token) == DEFAULTS


@pytest.mark.parametrize(
    ("query", "params"),
    [
        ({"safeguard": "4"}, ["safeguard"]),
        ({"safeguard": "high"}, ["safeguard"]),
        ({"mobile_po_as": "pdf"}, ["mobile_po_as"]),
        ({"timezone": "Mars/Olympus_Mons"}, ["timezone"]),
        ({"timezone": "../../etc/passwd"}, ["timezone"]),
        ({"timezone": ""}, ["timezone"]),
        ({"inventory_pos": "posnext"}, ["inventory_pos"]),
        (
            {"safeguard": "0", "mobile_po_as": "x", "timezone": "Nowhere"},
            ["safeguard", "mobile_po_as", "timezone"],
        ),
    ],
)
def test_each_malformed_setting_is_a_400_naming_it(invoke, new_tenant, query, params):
    tenant = new_tenant()
    status, document = call(invoke, tenant.token, "POST", "/v2/settings/update", query)
    assert status == 400 and document["result"]["messageid"] == "E_PARAM"
    message = document["result"]["message"]
    assert message.startswith(f"{params[0]}:")
    for param in params:
        assert f"{param}:" in message
    if "timezone" in params:
        assert "America/New_York" in message
    assert settings(invoke, tenant.token) == DEFAULTS


def test_each_call_is_one_round_trip_after_auth(invoke, new_tenant, dynamodb_calls):
    tenant = new_tenant()
    for method, path, query in (
        ("GET", "/v2/settings", None),
        ("POST", "/v2/settings/update", {"safeguard": "3", "timezone": "America/Chicago"}),
        ("POST", "/v2/settings/update", None),
    ):
        dynamodb_calls.calls.clear()
        status, _ = call(invoke, tenant.token, method, path, query)
        assert status == 200
        assert len(dynamodb_calls.operations) == 2 and dynamodb_calls.operations[0] == "GetItem"
        assert "Scan" not in dynamodb_calls.operations


def test_no_token_no_settings(invoke, moto_server):
    status, document = call(invoke, None, "GET", "/v2/settings")
    assert status == 401 and document["result"]["messageid"] == "E_AUTH"
