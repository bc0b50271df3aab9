"""The API over real HTTP: the legacy envelope, reference data, auth, parameters."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.stack import DEMO_DOMAIN, ENDPOINTS, LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# The legacy API accepts every path with and without a trailing slash.
SLASH = pytest.mark.parametrize("slash", ["", "/"], ids=["no-slash", "slash"])

# docs/legacy-api.md, GET /v2/marketplaces: the buying marketplaces of the legacy example, verbatim.
LEGACY_BUYING = [
    {"id": "395", "name": "Mesa Arts Center", "url": "", "password_required": False},
    {"id": "58", "name": "Metrotix", "url": "", "password_required": False},
    {
        "id": "359",
        "name": "OSSBroadway Across America - Baltimore",
        "url": "https://am.ticketmaster.com/baabal/",
        "password_required": True,
    },
]

# docs/legacy-api.md, resale marketplaces: the legacy lookup table of GET /v2/fulfill.
LEGACY_RESALE = {
    "1": "stubhub",
    "2": "ticketnetwork",
    "3": "tnow",
    "4": "vivid",
    "12": "viagogo",
    "15": "fanxchange",
    "16": "tickpick",
    "25": "gametime",
    "27": "seatsmart",
    "29": "premiumseatsusa",
    "41": "seatgeek",
    "52": "agora",
}

# docs/legacy-api.md, GET /v2/disclosures: the disclosures of the legacy example, verbatim.
LEGACY_DISCLOSURES = [
    {
        "id": 1,
        "description": "Not valid",
        "description_short": "NOENTRY",
        "description_long": "Not Valid for Entry",
        "description_skybox": "",
        "description_dti": "",
    },
    {
        "id": 2,
        "description": "Side view",
        "description_short": "SIDEVIEW",
        "description_long": "Side View",
        "description_skybox": "",
        "description_dti": "Side View (printed on ticket)",
    },
]


def success_output(response: requests.Response) -> list[Any]:
    """The `output` of a 200 in exactly the legacy success envelope."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"result", "output"}, body
    assert body["result"] == {"status": "success", "message": "", "messageid": ""}
    assert isinstance(body["output"], list)
    return body["output"]


def error_result(response: requests.Response, status: int, messageid: str) -> str:
    """The message of an error in exactly the legacy envelope."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"result", "output"}, body
    assert set(body["result"]) == {"status", "message", "messageid"}, body
    assert body["result"]["status"] == "error"
    assert body["result"]["messageid"] == messageid
    assert body["output"] == []
    message = body["result"]["message"]
    assert isinstance(message, str) and message
    return message


@SLASH
def test_verify_names_the_demo_tenant(stack: LocalStack, demo_tenant_id: str, slash: str) -> None:
    output = success_output(stack.get("/v2/verify" + slash))
    assert output == [{"company_name": "TixPilot Demo Brokerage", "userid": demo_tenant_id}]


@SLASH
def test_buying_marketplaces_are_the_default(stack: LocalStack, slash: str) -> None:
    output = success_output(stack.get("/v2/marketplaces" + slash))
    for row in output:
        assert set(row) == {"id", "name", "url", "password_required"}, row
        assert isinstance(row["id"], str) and isinstance(row["password_required"], bool)
    by_id = {row["id"]: row for row in output}
    assert len(by_id) == len(output), "marketplace ids must be unique"
    assert by_id["1"]["name"] == "Ticketmaster"
    for documented in LEGACY_BUYING:
        assert by_id[documented["id"]] == documented
    assert success_output(stack.get("/v2/marketplaces" + slash, {"type": "buying"})) == output


@SLASH
def test_resale_marketplaces_are_the_legacy_fulfill_table(stack: LocalStack, slash: str) -> None:
    output = success_output(stack.get("/v2/marketplaces" + slash, {"type": "resale"}))
    for row in output:
        assert {"id", "name"} <= set(row), row
        assert isinstance(row["id"], str)
    by_id = {row["id"]: row["name"] for row in output}
    assert len(by_id) == len(output), "marketplace ids must be unique"
    assert {i: by_id.get(i) for i in LEGACY_RESALE} == LEGACY_RESALE


@SLASH
def test_disclosures_include_the_documented_ones(stack: LocalStack, slash: str) -> None:
    output = success_output(stack.get("/v2/disclosures" + slash))
    assert len(output) == 1 and set(output[0]) == {"disclosures"}, output
    disclosures = output[0]["disclosures"]
    fields = {k for d in LEGACY_DISCLOSURES for k in d}
    for row in disclosures:
        assert set(row) == fields, row
        assert isinstance(row["id"], int)
    by_id = {row["id"]: row for row in disclosures}
    for documented in LEGACY_DISCLOSURES:
        assert by_id[documented["id"]] == documented


@SLASH
def test_domains_list_shows_the_demo_domain(stack: LocalStack, demo_tenant_id: str, slash: str) -> None:
    output = success_output(stack.get("/v2/domains/list" + slash))
    demo = [row for row in output if row["domain"] == DEMO_DOMAIN]
    assert len(demo) == 1, output
    row = demo[0]
    assert set(row) == {"domain_id", "domain", "owned_by", "used_by", "defaults"}
    assert isinstance(row["domain_id"], str) and row["domain_id"]
    assert row["owned_by"] == row["used_by"] == demo_tenant_id
    assert row["defaults"] == {"password": "", "customer_id": "", "creditcard_id": ""}

    assert success_output(stack.get("/v2/domains/list" + slash, {"domain": DEMO_DOMAIN})) == [row]
    assert success_output(stack.get("/v2/domains/list" + slash, {"domain": DEMO_DOMAIN.upper()})) == [row]
    assert success_output(stack.get("/v2/domains/list" + slash, {"domain": "elsewhere.test"})) == []


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-token": ""}, {"x-api-token": "tpk_not-a-real-token"}],
    ids=["missing", "empty", "wrong"],
)
def test_endpoints_refuse_a_missing_or_bad_token(stack: LocalStack, path: str, headers: dict) -> None:
    response = requests.get(stack.api_url + path, headers=headers, timeout=10)
    message = error_result(response, 401, "E_AUTH")
    assert "x-api-token" in message


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v2/marketplaces", {"type": "nope"}, "type"),
        ("/v2/domains/list", {"domain": "not a domain"}, "domain"),
    ],
)
@SLASH
def test_malformed_parameter_is_a_400_naming_it(
    stack: LocalStack, path: str, params: dict, parameter: str, slash: str
) -> None:
    message = error_result(stack.get(path + slash, params), 400, "E_PARAM")
    assert parameter in message


@pytest.mark.parametrize("path", ENDPOINTS)
def test_unknown_parameters_are_ignored(stack: LocalStack, path: str) -> None:
    plain = success_output(stack.get(path))
    assert success_output(stack.get(path, {"nonsense": "1", "utm_source": "e2e"})) == plain


@SLASH
def test_unknown_path_is_a_404_in_the_envelope(stack: LocalStack, slash: str) -> None:
    message = error_result(stack.get("/v2/no-such-endpoint" + slash), 404, "E_NOT_FOUND")
    assert "/v2/no-such-endpoint" in message
