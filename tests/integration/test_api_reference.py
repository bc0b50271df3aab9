"""GET /v2/verify, /v2/marketplaces, /v2/disclosures through the real handler and moto."""

from __future__ import annotations

import json

import pytest

from tests.events import api_event
from tixpilot.data import reference as data

ENVELOPE_OK = {"status": "success", "message": "", "messageid": ""}


def body(response: dict) -> dict:
    return json.loads(response["body"])


@pytest.mark.parametrize("path", ["/v2/verify", "/v2/verify/"])
def test_verify_returns_the_company_name(invoke, new_tenant, path):
    tenant = new_tenant("Sugarland Seats Inc")
    response = invoke("api_reference", api_event("GET", path, token=tenant.token))
    assert response["statusCode"] == 200
    assert body(response) == {
        "result": ENVELOPE_OK,
        "output": [{"company_name": "Sugarland Seats Inc", "userid": tenant.id}],
    }


@pytest.mark.parametrize(
    ("token", "fragment"),
    [(None, "missing x-api-token"), ("", "missing x-api-token"), ("tpk_not-a-real-token", "not valid")],
)
def test_a_missing_or_wrong_token_is_a_401_in_the_envelope(invoke, moto_server, token, fragment):
    response = invoke("api_reference", api_event("GET", "/v2/verify", token=token))
    assert response["statusCode"] == 401
    result = body(response)
    assert result["result"]["status"] == "error"
    assert result["result"]["messageid"] == "E_AUTH"
    assert fragment in result["result"]["message"]
    assert result["output"] == []


def test_a_marketplace_key_is_not_an_api_token(invoke, admin, new_tenant):
    from tixpilot.services.tenants import create_marketplace_key

    tenant = new_tenant()
    key = create_marketplace_key(admin, tenant.id, 4, {4})
    response = invoke("api_reference", api_event("GET", "/v2/verify", token=key.secret))
    assert response["statusCode"] == 401


def test_buying_marketplaces_are_the_default_and_keep_the_legacy_shape(invoke, new_tenant):
    tenant = new_tenant()
    response = invoke("api_reference", api_event("GET", "/v2/marketplaces/", token=tenant.token))
    assert response["statusCode"] == 200
    output = body(response)["output"]
    by_id = {m["id"]: m for m in output}
    assert by_id["1"]["name"] == "Ticketmaster"
    assert by_id["359"] == {
        "id": "359",
        "name": "OSSBroadway Across America - Baltimore",
        "url": "https://am.ticketmaster.com/baabal/",
        "password_required": True,
    }
    assert by_id["58"]["name"] == "Metrotix" and by_id["395"]["name"] == "Mesa Arts Center"
    assert len(output) == len(data.BUYING_MARKETPLACES)
    assert [int(m["id"]) for m in output] == sorted(int(m["id"]) for m in output)


def test_resale_marketplaces_are_the_fulfill_lookup_table(invoke, new_tenant):
    tenant = new_tenant()
    event = api_event("GET", "/v2/marketplaces", token=tenant.token, query={"type": "resale"})
    output = body(invoke("api_reference", event))["output"]
    names = {int(m["id"]): m["name"] for m in output}
    documented = {1: "stubhub", 2: "ticketnetwork", 3: "tnow", 4: "vivid", 12: "viagogo", 15: "fanxchange"}
    documented |= {16: "tickpick", 25: "gametime", 27: "seatsmart", 29: "premiumseatsusa", 41: "seatgeek"}
    documented |= {52: "agora"}
    assert documented.items() <= names.items()
    assert "tevo" in names.values()
    integration = {m["name"]: m["integration"] for m in output}
    assert integration["gametime"] == integration["tickpick"] == integration["tevo"] == "oi"
    assert integration["vivid"] == integration["stubhub"] == integration["seatgeek"] == "ion"


def test_an_unknown_marketplace_type_is_a_400_naming_the_parameter(invoke, new_tenant):
    tenant = new_tenant()
    event = api_event("GET", "/v2/marketplaces", token=tenant.token, query={"type": "primary"})
    response = invoke("api_reference", event)
    assert response["statusCode"] == 400
    result = body(response)["result"]
    assert result["messageid"] == "E_PARAM"
    assert result["message"].startswith("type:") and "'buying' or 'resale'" in result["message"]


def test_unknown_parameters_are_ignored(invoke, new_tenant):
    tenant = new_tenant()
    event = api_event("GET", "/v2/disclosures", token=tenant.token, query={"page_size": "x", "foo": "bar"})
    assert invoke("api_reference", event)["statusCode"] == 200


def test_disclosures_carry_every_documented_field(invoke, new_tenant):
    tenant = new_tenant()
    output = body(invoke("api_reference", api_event("GET", "/v2/disclosures", token=tenant.token)))["output"]
    disclosures = output[0]["disclosures"]
    assert disclosures[0] == {
        "id": 1,
        "description": "Not valid",
        "description_short": "NOENTRY",
        "description_long": "Not Valid for Entry",
        "description_skybox": "",
        "description_dti": "",
    }
    assert disclosures[1]["description_dti"] == "Side View (printed on ticket)"
    shorts = {d["description_short"] for d in disclosures}
    assert {"SIDEVIEW", "NOENTRY"} <= shorts and len(shorts) == len(disclosures) >= 30


def test_an_unknown_path_is_a_404_in_the_envelope(invoke, new_tenant):
    tenant = new_tenant()
    response = invoke("api_reference", api_event("GET", "/v2/nothing-here", token=tenant.token))
    assert response["statusCode"] == 404
    assert body(response)["result"]["messageid"] == "E_NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "query", "expected_ops"),
    [
        ("/v2/verify", None, ["GetItem"]),
        ("/v2/marketplaces", None, ["Query"]),
        ("/v2/marketplaces", {"type": "resale"}, ["Query"]),
        ("/v2/disclosures", None, ["Query"]),
    ],
)
def test_each_request_is_one_read_after_auth_and_never_a_scan(
    invoke, new_tenant, dynamodb_calls, path, query, expected_ops
):
    tenant = new_tenant()
    dynamodb_calls.calls.clear()
    assert (
        invoke("api_reference", api_event("GET", path, token=tenant.token, query=query))["statusCode"] == 200
    )
    auth, *after_auth = dynamodb_calls.operations
    assert auth == "GetItem" and dynamodb_calls.calls[0][1]["TableName"].endswith("-tokens")
    assert after_auth == expected_ops
