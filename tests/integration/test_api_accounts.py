"""Marketplace accounts: list with every filter, add, both update forms, write-only passwords."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.events import api_event
from tixpilot import aws
from tixpilot.models.accounts import AccountError
from tixpilot.repositories.accounts import AccountRepository
from tixpilot.repositories.dynamo import Table
from tixpilot.repositories.tenants import TenantRepository
from tixpilot.services.accounts import password_context
from tixpilot.settings import get_settings

PASSWORD = "S3cret-Pa55word!"


def call(invoke, token: str, method: str, path: str, query: dict | None = None, body: Any = None):
    raw = json.dumps(body) if body is not None and not isinstance(body, str) else body
    response = invoke("api_accounts", api_event(method, path, token=token, query=query, body=raw))
    return response["statusCode"], json.loads(response["body"]), response["body"]


def ok(invoke, token, method, path, query=None, body=None) -> list[dict]:
    status, document, _ = call(invoke, token, method, path, query, body)
    assert status == 200, document
    assert document["result"] == {"status": "success", "message": "", "messageid": ""}
    return document["output"]


def error(invoke, token, method, path, query=None, body=None, status=400) -> str:
    got, document, _ = call(invoke, token, method, path, query, body)
    assert got == status, document
    assert document["result"]["status"] == "error"
    return f"{document['result']['messageid']} {document['result']['message']}"


def add(invoke, token, username, marketplaceid="1", password=PASSWORD) -> dict:
    query = {"username": username, "marketplaceid": marketplaceid}
    if password is not None:
        query["password"] = password
    (row,) = ok(invoke, token, "POST", "/v2/accounts/add", query)
    return row


def raw_item(tenant_id: str, account_id: str) -> dict:
    table = Table("accounts")
    return table.client.get_item(
        TableName=table.name, Key={"tenant_id": {"S": tenant_id}, "account_id": {"N": account_id}}
    )["Item"]


QUICKPO_KEYS = {
    f"{kind}_{pos}"
    for kind in ("custid", "creditcardid")
    for pos in ("skybox", "posnext", "core", "ticketutils", "ticketnetwork", "tradedeskpos", "builtin")
} | {"autoposettings"}
AUTOPO_KEYS = {
    f"autopo_{pos}{suffix}"
    for pos in ("skybox", "ticketnetwork", "posnext", "ticketutils", "tradedeskpos", "builtin")
    for suffix in ("", "_dateafter")
}


# --- add -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v2/accounts/add", "/v2/accounts/add/"])
def test_add_returns_the_account_in_the_list_shape(invoke, new_tenant, path):
    tenant = new_tenant()
    (row,) = ok(invoke, tenant.token, "POST", path, {"username": "JohnDoe@Gmail.com", "password": PASSWORD})
    assert set(row) == {
        "accountid",
        "userid",
        "notes",
        "active",
        "account_username",
        "account_password",
        "marketplace",
        "error",
        "quickpo_settings",
    }
    assert row["accountid"].isdigit() and row["userid"] == tenant.id
    assert row["account_username"] == "JohnDoe@Gmail.com" and row["account_password"] == ""
    assert row["active"] is True and row["notes"] == ""
    assert row["marketplace"] == {"id": "1", "name": "Ticketmaster"}
    assert row["error"] == {"error_datetime": "", "error_id": "", "error_description": ""}
    assert set(row["quickpo_settings"]) == QUICKPO_KEYS
    assert set(row["quickpo_settings"]["autoposettings"]) == AUTOPO_KEYS
    assert all(v == "" for k, v in row["quickpo_settings"].items() if k != "autoposettings")
    for key, value in row["quickpo_settings"]["autoposettings"].items():
        assert value == ("" if key.endswith("_dateafter") else False)


def test_ticketmaster_needs_a_password_other_marketplaces_may_not(invoke, new_tenant):
    tenant = new_tenant()
    message = error(invoke, tenant.token, "POST", "/v2/accounts/add", {"username": "a@x.com"})
    assert message.startswith("E_PARAM password:") and "Ticketmaster" in message
    message = error(
        invoke, tenant.token, "POST", "/v2/accounts/add", {"username": "a@x.com", "password": " "}
    )
    assert message.startswith("E_PARAM password:")
    row = add(invoke, tenant.token, "a@x.com", marketplaceid="58", password=None)  # Metrotix
    assert row["marketplace"] == {"id": "58", "name": "Metrotix"}
    assert "password_ciphertext" not in raw_item(tenant.id, row["accountid"])


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"password": "x"}, "username"),
        ({"username": "", "password": "x"}, "username"),
        ({"username": "a@x.com", "marketplaceid": "999", "password": "x"}, "marketplaceid"),
        ({"username": "a@x.com", "marketplaceid": "one", "password": "x"}, "marketplaceid"),
        ({"username": "a@x.com", "password": "x" * 1025}, "password"),
    ],
)
def test_add_rejects_malformed_parameters_naming_them(invoke, new_tenant, query, param):
    tenant = new_tenant()
    assert error(invoke, tenant.token, "POST", "/v2/accounts/add", query).startswith(f"E_PARAM {param}:")
    assert AccountRepository().list(tenant.id) == []


def test_the_same_username_on_the_same_marketplace_is_a_conflict(invoke, new_tenant):
    tenant, other = new_tenant(), new_tenant()
    first = add(invoke, tenant.token, "dup@x.com")
    message = error(
        invoke,
        tenant.token,
        "POST",
        "/v2/accounts/add",
        {"username": " DUP@X.com ", "password": PASSWORD},
        status=409,
    )
    assert message.startswith("E_CONFLICT") and first["accountid"] in message
    # another marketplace, or another tenant, may have the same username
    add(invoke, tenant.token, "dup@x.com", marketplaceid="1008")
    add(invoke, other.token, "dup@x.com")
    rows = ok(invoke, tenant.token, "GET", "/v2/accounts/list")
    assert [r["account_username"] for r in rows] == ["dup@x.com", "dup@x.com"]
    assert rows[0]["accountid"] == first["accountid"]


# --- passwords -------------------------------------------------------------------------------------


def test_the_password_is_stored_only_as_kms_ciphertext_and_never_returned(invoke, new_tenant):
    tenant = new_tenant()
    _, document, body = call(
        invoke,
        tenant.token,
        "POST",
        "/v2/accounts/add",
        {"username": "vault@x.com", "password": PASSWORD},
    )
    assert PASSWORD not in body
    account_id = document["output"][0]["accountid"]
    item = raw_item(tenant.id, account_id)
    ciphertext = item["password_ciphertext"]["B"]
    assert PASSWORD.encode() not in ciphertext
    assert PASSWORD not in json.dumps({k: v for k, v in item.items() if k != "password_ciphertext"})
    kms = aws.client("kms")
    context = password_context(tenant.id, int(account_id))
    assert kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext=context)["Plaintext"] == PASSWORD.encode()
    # bound to its account: the same ciphertext does not decrypt for another one
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext=password_context(tenant.id, 1))
    assert kms.describe_key(KeyId=get_settings().key_alias("account-passwords"))["KeyMetadata"]["Enabled"]

    # a new password replaces the ciphertext; no answer ever carries a password
    for path, query in (
        ("/v2/accounts/update/", {"id": account_id, "password": "N3w-one"}),
        ("/v2/accounts/update/v2/", {"id": account_id, "password": "N3w-two"}),
    ):
        _, document, body = call(invoke, tenant.token, "POST", path, query)
        assert "N3w-" not in body and document["output"][0]["account_password"] == ""
    ciphertext = raw_item(tenant.id, account_id)["password_ciphertext"]["B"]
    assert kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext=context)["Plaintext"] == b"N3w-two"
    _, _, body = call(invoke, tenant.token, "GET", "/v2/accounts/list")
    assert "N3w-" not in body and PASSWORD not in body and '"account_password":""' in body


# --- list ------------------------------------------------------------------------------------------


@pytest.fixture
def accounts(invoke, new_tenant):
    """A tenant with accounts on three marketplaces, some with errors, one inactive."""
    tenant = new_tenant()
    ids = {
        "tm": add(invoke, tenant.token, "Alice@x.com")["accountid"],
        "tm2": add(invoke, tenant.token, "bob@x.com")["accountid"],
        "axs": add(invoke, tenant.token, "alice@x.com", marketplaceid="1008")["accountid"],
        "tc": add(invoke, tenant.token, "carol@x.com", marketplaceid="1009")["accountid"],
        "metro": add(invoke, tenant.token, "dave@x.com", marketplaceid="58", password=None)["accountid"],
    }
    repo = AccountRepository()
    at = datetime(2026, 3, 1, 17, 5, 9, tzinfo=UTC)
    repo.set_error(
        tenant.id, int(ids["tm"]), AccountError(kind="locked", description="Account locked", at=at)
    )
    repo.set_error(tenant.id, int(ids["axs"]), AccountError(kind="badpassword", description="Wrong", at=at))
    repo.set_error(tenant.id, int(ids["tc"]), AccountError(kind="phone", description="Phone needed", at=at))
    ok(invoke, tenant.token, "POST", "/v2/accounts/update/v2", {"id": ids["metro"], "active": "false"})
    return tenant, ids


def listed(invoke, token, query=None) -> list[str]:
    return [row["accountid"] for row in ok(invoke, token, "GET", "/v2/accounts/list/", query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["tm", "tm2", "axs", "tc", "metro"]),
        ({"username": "ALICE@x.com"}, ["tm", "axs"]),
        ({"username": "alice@x.com", "marketplaceid": "1008"}, ["axs"]),
        ({"username": "nobody@x.com"}, []),
        ({"marketplaceid": "1"}, ["tm", "tm2"]),
        ({"marketplaceid": "777"}, []),
        ({"marketplacename": "ticketmaster"}, ["tm", "tm2"]),
        ({"marketplacename": "AXS"}, ["axs"]),
        ({"marketplacename": "Telecharge", "username": "carol@x.com"}, ["tc"]),
        ({"marketplacename": "osshoustontexans"}, []),
        ({"marketplacename": "ticketmaster", "marketplaceid": "1008"}, []),
        ({"accountstatus": "locked"}, ["tm"]),
        ({"accountstatus": "badpassword"}, ["axs"]),
        ({"accountstatus": "phone"}, ["tc"]),
        ({"accountstatus": "error"}, ["tm", "axs", "tc"]),
        ({"accountstatus": "error", "marketplacename": "ticketmaster"}, ["tm"]),
        ({"active": "false"}, ["metro"]),
        ({"active": "true"}, ["tm", "tm2", "axs", "tc"]),
        ({"active": "true", "accountstatus": "error", "username": "alice@x.com"}, ["tm", "axs"]),
        ({"username": "", "marketplaceid": ""}, ["tm", "tm2", "axs", "tc", "metro"]),
        ({"unknown": "ignored"}, ["tm", "tm2", "axs", "tc", "metro"]),
    ],
)
def test_every_filter(invoke, accounts, query, expected):
    tenant, ids = accounts
    assert listed(invoke, tenant.token, query) == [ids[name] for name in expected]


def test_errors_show_kind_description_and_time_in_the_tenants_zone(invoke, accounts):
    tenant, ids = accounts
    (row,) = ok(invoke, tenant.token, "GET", "/v2/accounts/list", {"accountstatus": "locked"})
    # 17:05:09 UTC is 12:05:09 PM in New York (EST on March 1st)
    assert row["error"] == {
        "error_datetime": "3/1/2026 12:05:09 PM",
        "error_id": "locked",
        "error_description": "Account locked",
    }
    AccountRepository().set_error(tenant.id, int(ids["tm"]), None)
    assert listed(invoke, tenant.token, {"accountstatus": "locked"}) == []


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"marketplacename": "nosuchmarket"}, "marketplacename"),
        ({"marketplaceid": "abc"}, "marketplaceid"),
        ({"marketplaceid": "0"}, "marketplaceid"),
        ({"accountstatus": "broken"}, "accountstatus"),
        ({"active": "maybe"}, "active"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_it(invoke, new_tenant, query, param):
    tenant = new_tenant()
    message = error(invoke, tenant.token, "GET", "/v2/accounts/list", query)
    assert message.startswith(f"E_PARAM {param}:")
    if param == "marketplacename":
        assert "nosuchmarket" in message and "/v2/marketplaces" in message


def test_a_tenant_never_sees_or_changes_another_tenants_accounts(invoke, accounts, new_tenant):
    tenant, ids = accounts
    other = new_tenant()
    assert listed(invoke, other.token) == []
    assert listed(invoke, other.token, {"username": "alice@x.com"}) == []
    for path, query in (
        ("/v2/accounts/update", {"id": ids["tm"], "note": "mine now"}),
        ("/v2/accounts/update/v2", {"id": ids["tm"], "active": "false"}),
        ("/v2/accounts/update/v2", {"id": ids["tm"], "posid": "22", "custid": "1"}),
    ):
        theirs = error(invoke, other.token, "POST", path, query, status=404)
        missing = error(invoke, other.token, "POST", path, {**query, "id": "999999999"}, status=404)
        assert theirs.startswith("E_NOT_FOUND") and missing.startswith("E_NOT_FOUND")
        assert theirs.replace(ids["tm"], "N") == missing.replace("999999999", "N")
    (row,) = ok(invoke, tenant.token, "GET", "/v2/accounts/list", {"accountstatus": "locked"})
    assert row["notes"] == "" and row["active"] is True
    assert row["quickpo_settings"]["custid_skybox"] == ""
    # nothing was created for the other tenant by those attempts
    assert AccountRepository().list(other.id) == []


def test_find_by_username_is_the_pipelines_lookup(invoke, accounts):
    tenant, ids = accounts
    repo = AccountRepository()
    found = repo.find_by_username(tenant.id, " ALICE@X.COM")
    assert found is not None and str(found.account_id) == ids["tm"] and found.has_password
    assert str(repo.find_by_username(tenant.id, "alice@x.com", 1008).account_id) == ids["axs"]  # type: ignore[union-attr]
    assert repo.find_by_username(tenant.id, "alice@x.com", 1009) is None
    assert repo.find_by_username("someone-else", "alice@x.com") is None


# --- update ----------------------------------------------------------------------------------------


def test_update_sets_ids_per_pos_the_note_and_leaves_the_rest(invoke, new_tenant):
    tenant = new_tenant()
    account_id = add(invoke, tenant.token, "u@x.com")["accountid"]
    query = {
        "id": account_id,
        "custid_skybox": "123456",
        "creditcardid_skybox": "32266",
        "custid_posnext": "11",
        "creditcardid_ticketutils": "22",
        "custid_ticketnetwork": "33",
        "creditcardid_ticketnetwork": "44",
        "custid_tradedeskpos": "55",
        "custid_builtin": "66",
        "note": "team account",
    }
    (row,) = ok(invoke, tenant.token, "POST", "/v2/accounts/update/", query)
    settings = row["quickpo_settings"]
    assert settings["custid_skybox"] == "123456" and settings["creditcardid_skybox"] == "32266"
    assert settings["custid_posnext"] == "11" and settings["creditcardid_posnext"] == ""
    assert settings["creditcardid_ticketutils"] == "22" and settings["custid_ticketutils"] == ""
    assert (settings["custid_ticketnetwork"], settings["creditcardid_ticketnetwork"]) == ("33", "44")
    assert settings["custid_tradedeskpos"] == "55" and settings["custid_builtin"] == "66"
    assert row["notes"] == "team account"
    # a second update changes only what it names
    (row,) = ok(invoke, tenant.token, "POST", "/v2/accounts/update", {"id": account_id, "custid_skybox": "9"})
    assert row["quickpo_settings"]["custid_skybox"] == "9"
    assert row["quickpo_settings"]["creditcardid_skybox"] == "32266" and row["notes"] == "team account"
    assert ok(invoke, tenant.token, "GET", "/v2/accounts/list") == [row]


def test_update_v2_sets_one_pos_at_a_time(invoke, new_tenant):
    tenant = new_tenant()
    account_id = add(invoke, tenant.token, "v2@x.com")["accountid"]
    path = "/v2/accounts/update/v2/"
    for posid, custid, card, autopo, after in (
        ("2", "1000", "2001", "true", "1/4/2020"),
        ("18", "3040", "4040", "true", "1/30/2020"),
        ("22", "3000", "4000", "false", "1/8/2020"),
        ("47", "3040", "4040", "false", "01/30/2020"),
        ("62", "3000", "4000", "true", "11/15/2021"),
        ("100", "7", "8", "true", "2/29/2024"),
    ):
        query = {"id": account_id, "posid": posid, "custid": custid, "creditcardid": card}
        ok(invoke, tenant.token, "POST", path, {**query, "autopo": autopo, "autopodateafter": after})
    (row,) = ok(invoke, tenant.token, "GET", "/v2/accounts/list")
    settings = row["quickpo_settings"]
    assert {k: v for k, v in settings.items() if k != "autoposettings"} == {
        "custid_skybox": "3000",
        "creditcardid_skybox": "4000",
        "custid_posnext": "3040",
        "creditcardid_posnext": "4040",
        "custid_core": "",
        "creditcardid_core": "",
        "custid_ticketutils": "3040",
        "creditcardid_ticketutils": "4040",
        "custid_ticketnetwork": "1000",
        "creditcardid_ticketnetwork": "2001",
        "custid_tradedeskpos": "3000",
        "creditcardid_tradedeskpos": "4000",
        "custid_builtin": "7",
        "creditcardid_builtin": "8",
    }
    assert settings["autoposettings"] == {
        "autopo_skybox": False,
        "autopo_skybox_dateafter": "1/8/2020",
        "autopo_ticketnetwork": True,
        "autopo_ticketnetwork_dateafter": "1/4/2020",
        "autopo_posnext": False,
        "autopo_posnext_dateafter": "1/30/2020",
        "autopo_ticketutils": True,
        "autopo_ticketutils_dateafter": "1/30/2020",
        "autopo_tradedeskpos": True,
        "autopo_tradedeskpos_dateafter": "11/15/2021",
        "autopo_builtin": True,
        "autopo_builtin_dateafter": "2/29/2024",
    }
    # turning AutoPO off keeps the date; active and note apply without a posid
    (row,) = ok(
        invoke, tenant.token, "POST", path, {"id": account_id, "posid": "2", "autopo": "false", "note": "n"}
    )
    auto = row["quickpo_settings"]["autoposettings"]
    assert auto["autopo_ticketnetwork"] is False and auto["autopo_ticketnetwork_dateafter"] == "1/4/2020"
    (row,) = ok(invoke, tenant.token, "POST", path, {"id": account_id, "active": "false"})
    assert row["active"] is False and row["notes"] == "n"
    (row,) = ok(invoke, tenant.token, "POST", path, {"id": account_id, "active": "true"})
    assert row["active"] is True


def test_autopo_without_a_date_starts_today_in_the_tenants_zone(invoke, new_tenant):
    tenant = new_tenant()
    TenantRepository().update_settings(tenant.id, {"timezone": "Pacific/Kiritimati"})
    account_id = add(invoke, tenant.token, "today@x.com")["accountid"]
    (row,) = ok(
        invoke,
        tenant.token,
        "POST",
        "/v2/accounts/update/v2",
        {"id": account_id, "posid": "100", "autopo": "true"},
    )
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert row["quickpo_settings"]["autoposettings"]["autopo_builtin_dateafter"] in {
        f"{today.month}/{today.day}/{today.year}",
        # the date may have turned between the request and this line
        f"{datetime.now(ZoneInfo('Pacific/Kiritimati')).date():%-m/%-d/%Y}",
    }


def test_update_v2_accepts_the_parameters_as_a_json_body(invoke, new_tenant):
    tenant = new_tenant()
    account_id = add(invoke, tenant.token, "body@x.com")["accountid"]
    body = {
        "id": int(account_id),
        "posid": 22,
        "custid": "3000",
        "creditcardid": "4000",
        "autopo": True,
        "autopodateafter": "1/8/2020",
        "note": "from json",
        "password": "Json-pass",
    }
    (row,) = ok(invoke, tenant.token, "POST", "/v2/accounts/update/v2/", body=body)
    assert row["quickpo_settings"]["custid_skybox"] == "3000"
    assert row["quickpo_settings"]["autoposettings"]["autopo_skybox"] is True
    assert row["quickpo_settings"]["autoposettings"]["autopo_skybox_dateafter"] == "1/8/2020"
    assert row["notes"] == "from json" and row["account_password"] == ""
    # strings work too, and a query parameter wins over the body
    (row,) = ok(
        invoke,
        tenant.token,
        "POST",
        "/v2/accounts/update/v2",
        {"custid": "from-query"},
        body={"id": account_id, "posid": "22", "custid": "from-body", "autopo": "false"},
    )
    assert row["quickpo_settings"]["custid_skybox"] == "from-query"
    assert row["quickpo_settings"]["autoposettings"]["autopo_skybox"] is False


@pytest.mark.parametrize(
    ("query", "body", "param"),
    [
        ({}, None, "id"),
        ({"id": "abc"}, None, "id"),
        ({"id": "{id}", "custid": "1"}, None, "posid"),
        ({"id": "{id}", "autopo": "true"}, None, "posid"),
        ({"id": "{id}", "autopodateafter": "1/7/2020"}, None, "posid"),
        ({"id": "{id}", "posid": "5", "custid": "1"}, None, "posid"),
        ({"id": "{id}", "posid": "2", "autopo": "yes please"}, None, "autopo"),
        ({"id": "{id}", "posid": "2", "autopodateafter": "2020-01-07"}, None, "autopodateafter"),
        ({"id": "{id}", "posid": "2", "autopodateafter": "2/30/2020"}, None, "autopodateafter"),
        ({"id": "{id}", "active": "nope"}, None, "active"),
        ({"id": "{id}", "password": ""}, None, "password"),
        ({}, {"id": "{id}", "custid": "1"}, "posid"),
        ({}, {"id": "{id}", "posid": 2, "autopo": "sometimes"}, "autopo"),
    ],
)
def test_update_v2_rejects_malformed_parameters_naming_them(invoke, new_tenant, query, body, param):
    tenant = new_tenant()
    account_id = add(invoke, tenant.token, "bad@x.com")["accountid"]
    query = {k: v.replace("{id}", account_id) for k, v in query.items()}
    body = {
        k: (v.replace("{id}", account_id) if isinstance(v, str) else v) for k, v in (body or {}).items()
    } or None
    message = error(invoke, tenant.token, "POST", "/v2/accounts/update/v2", query, body)
    assert message.startswith(f"E_PARAM {param}:"), message
    if param == "posid":
        assert "22 (skybox)" in message and "100 (builtin)" in message
    (row,) = ok(invoke, tenant.token, "GET", "/v2/accounts/list")
    assert row["notes"] == "" and row["quickpo_settings"]["custid_skybox"] == "" and row["active"] is True


@pytest.mark.parametrize(
    ("query", "param"),
    [({}, "id"), ({"id": "x"}, "id"), ({"id": "{id}", "custid_skybox": "1" * 101}, "custid_skybox")],
)
def test_update_rejects_malformed_parameters_naming_them(invoke, new_tenant, query, param):
    tenant = new_tenant()
    account_id = add(invoke, tenant.token, "bad1@x.com")["accountid"]
    query = {k: v.replace("{id}", account_id) for k, v in query.items()}
    assert error(invoke, tenant.token, "POST", "/v2/accounts/update", query).startswith(f"E_PARAM {param}:")


# --- cost ------------------------------------------------------------------------------------------


def after_auth(calls) -> list[tuple[str, dict]]:
    (first, _), *rest = calls.calls
    assert first == "GetItem"  # the token
    return rest


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"username": "alice@x.com"},
        {"username": "alice@x.com", "marketplacename": "axs"},
        {"marketplaceid": "1"},
        {"marketplacename": "ticketmaster", "accountstatus": "error", "active": "true"},
        {"accountstatus": "locked"},  # errors shown: the tenant's time zone is read
    ],
)
def test_listing_is_one_query_and_at_most_two_round_trips(invoke, accounts, dynamodb_calls, query):
    tenant, _ = accounts
    dynamodb_calls.calls.clear()
    listed(invoke, tenant.token, query)
    calls = after_auth(dynamodb_calls)
    assert len(calls) <= 2 and "Scan" not in dynamodb_calls.operations
    queries = [params for name, params in calls if name == "Query"]
    assert len(queries) == 1
    assert queries[0].get("IndexName") == ("by_username" if "username" in query else None)
    if "username" in query and "marketplacename" in query:
        assert "marketplace_id = :m" in queries[0]["KeyConditionExpression"]


def test_add_and_update_cost_at_most_two_round_trips(invoke, new_tenant, dynamodb_calls):
    tenant = new_tenant()
    dynamodb_calls.calls.clear()
    account_id = add(invoke, tenant.token, "cost@x.com")["accountid"]
    assert [name for name, _ in after_auth(dynamodb_calls)] == ["UpdateItem", "TransactWriteItems"]
    for path, query in (
        ("/v2/accounts/update", {"id": account_id, "custid_skybox": "1", "note": "n", "password": "p"}),
        ("/v2/accounts/update/v2", {"id": account_id, "posid": "22", "autopo": "true", "active": "true"}),
        ("/v2/accounts/update/v2", {"id": account_id, "posid": "22", "autopodateafter": "1/1/2020"}),
        ("/v2/accounts/update/v2", {"id": "999999999", "posid": "22", "custid": "1"}),
    ):
        dynamodb_calls.calls.clear()
        call(invoke, tenant.token, "POST", path, query)
        operations = [name for name, _ in after_auth(dynamodb_calls)]
        # at most two round trips to the update; then, for an account that exists, one Query
        # for its parked or failed purchases (none here), which would run again
        update = operations.index("UpdateItem") + 1
        assert update <= 2 and operations[update:] in ([], ["Query"]), operations
    dynamodb_calls.calls.clear()
    error(
        invoke,
        tenant.token,
        "POST",
        "/v2/accounts/add",
        {"username": "cost@x.com", "password": "p"},
        status=409,
    )
    assert "Scan" not in dynamodb_calls.operations


def test_ciphertexts_survive_the_local_stacks_snapshot_and_restore(invoke, new_tenant, tmp_path):
    from infra.local import state

    tenant = new_tenant()
    account_id = add(invoke, tenant.token, "kept@x.com")["accountid"]
    before = raw_item(tenant.id, account_id)["password_ciphertext"]["B"]
    settings, dynamodb, s3 = get_settings(), aws.client("dynamodb"), aws.client("s3")
    state.snapshot(settings, dynamodb, s3, tmp_path)
    assert before not in (tmp_path / state.STATE_FILE).read_bytes()  # stored as base64
    state.restore(settings, dynamodb, s3, tmp_path)
    assert raw_item(tenant.id, account_id)["password_ciphertext"]["B"] == before


def test_update_v2_accepts_the_account_document_the_reference_example_posts(invoke, new_tenant):
    tenant = new_tenant()
    account_id = add(invoke, tenant.token, "support@x.com")["accountid"]
    (document,) = ok(invoke, tenant.token, "GET", "/v2/accounts/list")
    quickpo = {
        "custid_skybox": "3000",
        "creditcardid_skybox": "4000",
        "custid_posnext": "3040",
        "creditcardid_posnext": "4040",
        "custid_core": "",
        "creditcardid_core": "",
        "custid_ticketutils": "3040",
        "creditcardid_ticketutils": "4040",
        "custid_ticketnetwork": "1000",
        "creditcardid_ticketnetwork": "2001",
        "custid_tradedeskpos": "3000",
        "creditcardid_tradedeskpos": "4000",
        "autoposettings": {
            "autopo_skybox": False,
            "autopo_skybox_dateafter": "1/8/2020",
            "autopo_ticketnetwork": True,
            "autopo_ticketnetwork_dateafter": "1/4/2020",
            "autopo_posnext": False,
            "autopo_posnext_dateafter": "1/30/2020",
            "autopo_ticketutils": True,
            "autopo_ticketutils_dateafter": "1/30/2020",
            "autopo_tradedeskpos": True,
            "autopo_tradedeskpos_dateafter": "11/15/2021",
        },
    }
    body = {
        "result": {"status": "success", "message": "", "messageid": ""},
        "output": [{**document, "notes": "from the example", "quickpo_settings": quickpo}],
    }
    (row,) = ok(invoke, tenant.token, "POST", "/v2/accounts/update/v2/", body=body)
    assert row["accountid"] == account_id and row["notes"] == "from the example"
    expected = {
        **quickpo,
        "custid_builtin": "",
        "creditcardid_builtin": "",
        "autoposettings": {
            **quickpo["autoposettings"],
            "autopo_builtin": False,
            "autopo_builtin_dateafter": "",
        },
    }
    assert row["quickpo_settings"] == expected
    assert ok(invoke, tenant.token, "GET", "/v2/accounts/list") == [row]
    # the password in the list shape is "" (unchanged); a real one is encrypted like any other
    before = raw_item(tenant.id, account_id)["password_ciphertext"]["B"]
    body["output"][0]["account_password"] = "Doc-pass"
    _, _, text = call(invoke, tenant.token, "POST", "/v2/accounts/update/v2", body=body)
    assert "Doc-pass" not in text
    assert raw_item(tenant.id, account_id)["password_ciphertext"]["B"] != before
    # query parameters win over the document
    (row,) = ok(
        invoke, tenant.token, "POST", "/v2/accounts/update/v2", {"posid": "22", "custid": "q"}, body=body
    )
    assert row["quickpo_settings"]["custid_skybox"] == "q"
    assert row["quickpo_settings"]["creditcardid_skybox"] == "4000"


@pytest.mark.parametrize(
    ("document", "param"),
    [
        ({"output": [{"accountid": "{id}"}, {"accountid": "{id}"}]}, "output:"),
        (
            {
                "output": [
                    {"accountid": "{id}", "quickpo_settings": {"autoposettings": {"autopo_skybox": "x"}}}
                ]
            },
            "output.0",
        ),
        (
            {
                "output": [
                    {
                        "accountid": "{id}",
                        "quickpo_settings": {"autoposettings": {"autopo_skybox_dateafter": "1.8.20"}},
                    }
                ]
            },
            "output.0.quickpo_settings.autoposettings.autopo_skybox_dateafter:",
        ),
    ],
)
def test_a_malformed_account_document_is_a_400_naming_the_field(invoke, new_tenant, document, param):
    tenant = new_tenant()
    account_id = add(invoke, tenant.token, "doc@x.com")["accountid"]
    body = json.loads(json.dumps(document).replace("{id}", account_id))
    assert error(invoke, tenant.token, "POST", "/v2/accounts/update/v2", body=body).startswith(
        f"E_PARAM {param}"
    )
