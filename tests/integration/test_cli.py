"""The admin CLI against the emulator: each command prints one JSON object."""

from __future__ import annotations

import json

import pytest

from infra import cli
from tests.events import api_event


def run(capsys, moto_server, *argv: str) -> tuple[int, dict]:
    # Only what the CLI prints: a handler the test invoked before may have printed its metrics
    # (the cold-start EMF line of the first invocation in this process) into the same capture.
    capsys.readouterr()
    code = cli.main(["--env", "test", "--endpoint-url", moto_server, *argv])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return code, json.loads(out[0])


def test_tenant_create_prints_a_token_that_works(capsys, moto_server, invoke):
    code, created = run(capsys, moto_server, "tenant", "create", "--name", "Acme Tix")
    assert code == 0 and set(created) == {"tenant_id", "name", "api_token"}
    response = invoke("api_reference", api_event("GET", "/v2/verify", token=created["api_token"]))
    assert json.loads(response["body"])["output"][0]["company_name"] == "Acme Tix"


def test_domain_add_prints_the_row_and_refuses_a_second_owner(capsys, moto_server):
    _, tenant = run(capsys, moto_server, "tenant", "create", "--name", "Domain Owner")
    domain = f"owner-{tenant['tenant_id']}.com"
    code, row = run(
        capsys, moto_server, "domain", "add", "--tenant-id", tenant["tenant_id"], "--domain", domain
    )
    assert code == 0
    assert row["domain"] == domain and row["owned_by"] == tenant["tenant_id"] and row["domain_id"].isdigit()
    _, other = run(capsys, moto_server, "tenant", "create", "--name", "Someone Else")
    code, error = run(
        capsys, moto_server, "domain", "add", "--tenant-id", other["tenant_id"], "--domain", domain
    )
    assert code == 1 and error["error"] == "E_CONFLICT"


@pytest.mark.parametrize("bad", ["not a domain", "x", "-bad-.com"])
def test_domain_add_rejects_a_malformed_domain(capsys, moto_server, bad):
    _, tenant = run(capsys, moto_server, "tenant", "create", "--name", "Typo Tix")
    code, error = run(
        capsys, moto_server, "domain", "add", "--tenant-id", tenant["tenant_id"], f"--domain={bad}"
    )
    assert code == 1 and error["error"] == "E_PARAM"


def test_marketplace_key_create_for_a_resale_marketplace(capsys, moto_server):
    _, tenant = run(capsys, moto_server, "tenant", "create", "--name", "Keys Inc")
    args = ["marketplace-key", "create", "--tenant-id", tenant["tenant_id"]]
    code, key = run(capsys, moto_server, *args, "--marketplace-id", "4")
    assert (
        code == 0 and key["credid"].isdigit() and key["key"].startswith("tpm_") and key["marketplace_id"] == 4
    )
    code, error = run(capsys, moto_server, *args, "--marketplace-id", "99999")
    assert code == 1 and error["error"] == "E_PARAM"


def test_an_unknown_tenant_is_reported(capsys, moto_server):
    code, error = run(capsys, moto_server, "domain", "add", "--tenant-id", "nope", "--domain", "a.com")
    assert code == 1 and error["error"] == "E_NOT_FOUND"


def test_forwarder_add_trusts_an_address_once(capsys, moto_server):
    from tixpilot.repositories.domains import DomainRepository
    from tixpilot.repositories.forwarders import ForwarderRepository

    _, tenant = run(capsys, moto_server, "tenant", "create", "--name", "Forwarding Tix")
    args = ["forwarder", "add", "--tenant-id", tenant["tenant_id"]]
    code, row = run(capsys, moto_server, *args, "--address", " Jane@Gmail.com ")
    assert code == 0 and set(row) == {"tenant_id", "address", "added"}
    assert (row["tenant_id"], row["address"]) == (tenant["tenant_id"], "jane@gmail.com")
    code, again = run(capsys, moto_server, *args, "--address", "jane@gmail.com")
    assert code == 0 and again == row  # adding it again changes nothing
    assert ForwarderRepository().is_trusted(tenant["tenant_id"], "JANE@gmail.com")
    assert not ForwarderRepository().is_trusted("someone-else", "jane@gmail.com")
    # the forwarder lives beside the domains but is never listed as one
    assert DomainRepository().list_for_tenant(tenant["tenant_id"]) == []


@pytest.mark.parametrize("bad", ["jane", "jane@", "@gmail.com", "jane@not a domain", "a b@gmail.com"])
def test_forwarder_add_rejects_what_is_not_an_address(capsys, moto_server, bad):
    _, tenant = run(capsys, moto_server, "tenant", "create", "--name", "Typo Forwarders")
    code, error = run(
        capsys, moto_server, "forwarder", "add", "--tenant-id", tenant["tenant_id"], f"--address={bad}"
    )
    assert code == 1 and error["error"] == "E_PARAM" and "jane@gmail.com" in error["message"]


def test_forwarder_add_for_an_unknown_tenant_is_not_found(capsys, moto_server):
    code, error = run(
        capsys, moto_server, "forwarder", "add", "--tenant-id", "nobody", "--address", "a@b.com"
    )
    assert code == 1 and error["error"] == "E_NOT_FOUND"


def verify(invoke, token: str) -> int:
    return int(invoke("api_reference", api_event("GET", "/v2/verify", token=token))["statusCode"])


def test_token_rotate_prints_a_new_token_and_every_older_one_stops_working(capsys, moto_server, invoke):
    _, tenant = run(capsys, moto_server, "tenant", "create", "--name", "Rotating Tix")
    _, other = run(capsys, moto_server, "tenant", "create", "--name", "Bystander Tix")
    code, first = run(capsys, moto_server, "token", "rotate", "--tenant-id", tenant["tenant_id"])
    assert code == 0 and first["api_token"].startswith("tpk_") and first["revoked"] == 1
    code, second = run(capsys, moto_server, "token", "rotate", "--tenant-id", tenant["tenant_id"])
    assert code == 0 and second["revoked"] == 1
    assert verify(invoke, tenant["api_token"]) == 401
    assert verify(invoke, first["api_token"]) == 401
    assert verify(invoke, second["api_token"]) == 200
    assert verify(invoke, other["api_token"]) == 200
    code, error = run(capsys, moto_server, "token", "rotate", "--tenant-id", "nobody")
    assert code == 1 and error["error"] == "E_NOT_FOUND"


def test_marketplace_key_revoke_refuses_its_calls_from_then_on(capsys, moto_server, invoke):
    _, tenant = run(capsys, moto_server, "tenant", "create", "--name", "Revoking Tix")
    _, key = run(
        capsys,
        moto_server,
        "marketplace-key",
        "create",
        "--tenant-id",
        tenant["tenant_id"],
        "--marketplace-id",
        "4",
    )

    def hold() -> int:
        event = api_event("POST", "/oi/v1/holds", body=json.dumps({"order_id": "1"}))
        event["headers"]["x-marketplace-key"] = key["key"]
        return int(invoke("marketplace_oi", event)["statusCode"])

    assert hold() == 400  # the key opens the door (the body is incomplete)
    args = ["marketplace-key", "revoke", "--tenant-id", tenant["tenant_id"], "--credid", key["credid"]]
    code, revoked = run(capsys, moto_server, *args)
    assert code == 0 and revoked == {
        "credid": key["credid"],
        "tenant_id": tenant["tenant_id"],
        "marketplace_id": 4,
        "revoked": True,
    }
    assert hold() == 401
    code, error = run(capsys, moto_server, *args)
    assert code == 1 and error["error"] == "E_NOT_FOUND"
    assert verify(invoke, tenant["api_token"]) == 200  # the API token is another credential
