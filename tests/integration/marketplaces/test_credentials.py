"""Marketplace credentials over moto (DynamoDB and KMS) and the simulator: encrypted at rest, found
by account key, one tenant per account, and `tixpilot marketplace-credentials set`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra import cli
from tests.integration.conftest import TenantWithToken
from tests.integration.marketplaces.conftest import Sim
from tixpilot import aws
from tixpilot.adapters.kms import MARKETPLACE_CREDENTIALS_KEY
from tixpilot.adapters.marketplaces import registry
from tixpilot.adapters.marketplaces.base import account_key_of
from tixpilot.errors import Conflict
from tixpilot.repositories.marketplace_credentials import encryption_context
from tixpilot.settings import get_settings
from tixpilot.wiring import components

NewTenant = Callable[..., TenantWithToken]


def stored_item(tenant_id: str, marketplace_id: int) -> dict[str, Any]:
    item = aws.dynamodb().get_item(
        TableName=get_settings().table_name("marketplace_credentials"),
        Key={"tenant_id": {"S": tenant_id}, "marketplace_id": {"N": str(marketplace_id)}},
    )["Item"]
    return dict(item)


def run_cli(capsys: pytest.CaptureFixture[str], endpoint: str, *argv: str) -> tuple[int, str, dict]:
    code = cli.main(["--env", "test", "--endpoint-url", endpoint, *argv])
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1, out
    return code, out, json.loads(out)


def test_credentials_are_encrypted_at_rest_and_bound_to_their_row(moto_server: str, new_tenant: NewTenant):
    tenant = new_tenant()
    repo = components.marketplace_credentials()
    credentials = {"token": "tevo-clear-token-1234", "secret": "tevo-clear-secret-5678", "reviewer_id": "9"}
    repo.put(tenant.id, 1001, credentials, account_key_of(credentials["token"]))

    item = stored_item(tenant.id, 1001)
    text = json.dumps({k: str(v) for k, v in item.items() if k != "ciphertext"})
    ciphertext = bytes(item["ciphertext"]["B"])
    for secret in (credentials["token"], credentials["secret"]):
        assert secret not in text and secret.encode() not in ciphertext
    assert set(item) == {
        "tenant_id",
        "marketplace_id",
        "ciphertext",
        "marketplace_account",
        "account_key",
        "updated",
    }

    assert repo.get(tenant.id, 1001) == credentials
    kms = aws.client("kms")
    alias = get_settings().key_alias(MARKETPLACE_CREDENTIALS_KEY)
    plain = kms.decrypt(
        KeyId=alias, CiphertextBlob=ciphertext, EncryptionContext=encryption_context(tenant.id, 1001)
    )
    assert json.loads(plain["Plaintext"]) == credentials
    with pytest.raises(kms.exceptions.InvalidCiphertextException):  # copied onto another tenant's row
        kms.decrypt(
            KeyId=alias, CiphertextBlob=ciphertext, EncryptionContext=encryption_context("other", 1001)
        )


def test_lookups_by_account_key_and_by_marketplace(moto_server: str, new_tenant: NewTenant):
    alice, bob = new_tenant("Alice Tix"), new_tenant("Bob Tix")
    repo = components.marketplace_credentials()
    repo.put(alice.id, 4, {"api_token": f"vivid-{alice.id}"}, account_key_of(f"vivid-{alice.id}"))
    repo.put(bob.id, 4, {"api_token": f"vivid-{bob.id}"}, account_key_of(f"vivid-{bob.id}"))
    repo.put(bob.id, 1001, {"token": f"tevo-{bob.id}", "secret": "s"}, account_key_of(f"tevo-{bob.id}"))

    found = repo.find_by_account(4, account_key_of(f"vivid-{bob.id}"))
    assert found is not None
    assert (found.tenant_id, found.marketplace_id, dict(found.credentials)) == (
        bob.id,
        4,
        {"api_token": f"vivid-{bob.id}"},
    )
    # a key is looked up within its marketplace only
    assert repo.find_by_account(1001, account_key_of(f"vivid-{bob.id}")) is None
    assert repo.find_by_account(4, account_key_of("nobody")) is None

    assert {alice.id, bob.id} <= set(repo.tenants_of(4))
    assert bob.id in repo.tenants_of(1001) and alice.id not in repo.tenants_of(1001)
    assert repo.get(alice.id, 1001) is None


def test_an_account_belongs_to_one_tenant_until_it_is_replaced(moto_server: str, new_tenant: NewTenant):
    alice, bob = new_tenant("Alice Tix"), new_tenant("Bob Tix")
    repo = components.marketplace_credentials()
    token = f"shared-{alice.id}-{bob.id}"
    repo.put(alice.id, 4, {"api_token": token}, account_key_of(token))
    with pytest.raises(Conflict):
        repo.put(bob.id, 4, {"api_token": token}, account_key_of(token))
    assert repo.get(bob.id, 4) is None

    repo.put(alice.id, 4, {"api_token": token}, account_key_of(token))  # her own again: an update
    repo.put(alice.id, 4, {"api_token": f"{token}-new"}, account_key_of(f"{token}-new"))
    repo.put(bob.id, 4, {"api_token": token}, account_key_of(token))  # released by alice's change
    found = repo.find_by_account(4, account_key_of(token))
    assert found is not None and found.tenant_id == bob.id


# -- the CLI ---------------------------------------------------------------------------------------


def test_cli_sets_vivid_credentials_and_never_prints_them(capsys, moto_server: str, new_tenant: NewTenant):
    tenant = new_tenant()
    token = f"vivid-cli-token-{tenant.id}"
    args = ["marketplace-credentials", "set", "--tenant-id", tenant.id, "--marketplace-id", "4"]
    code, out, printed = run_cli(capsys, moto_server, *args, "--json", json.dumps({"api_token": token}))
    assert code == 0 and printed == {"tenant_id": tenant.id, "marketplace_id": 4, "set": True}
    assert token not in out
    assert components.marketplace_credentials().get(tenant.id, 4) == {"api_token": token}

    code, out, error = run_cli(capsys, moto_server, *args, "--json", json.dumps({"api_tokn": token}))
    assert code == 1 and error["error"] == "E_PARAM" and "need api_token" in error["message"]
    assert token not in out
    code, _, error = run_cli(capsys, moto_server, *args, "--json", "{api_token: x}")
    assert code == 1 and error["error"] == "E_PARAM" and "not a JSON object" in error["message"]
    code, _, error = run_cli(capsys, moto_server, *args[:3], "404404", *args[4:], "--json", "{}")
    assert code == 1 and error["error"] == "E_NOT_FOUND"


@pytest.fixture
def adapters_at(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The registry's adapters pointed at the simulator, and a webhook base URL, as the CLI's
    environment would set them; the cached settings and adapters are rebuilt around the test."""
    monkeypatch.setenv("TIXPILOT_STUBHUB_URL", f"{sim.url}/stubhub")
    monkeypatch.setenv("TIXPILOT_WEBHOOK_BASE_URL", "https://hooks.tixpilot.example/dev/")
    get_settings.cache_clear()
    registry.adapter_for.cache_clear()
    yield "https://hooks.tixpilot.example/dev"
    monkeypatch.undo()
    get_settings.cache_clear()
    registry.adapter_for.cache_clear()


def test_cli_registers_the_stubhub_webhook(
    capsys, moto_server: str, new_tenant: NewTenant, sim: Sim, adapters_at: str
):
    tenant = new_tenant()
    sim.seller("stubhub", "sh-cli-token")
    args = ["marketplace-credentials", "set", "--tenant-id", tenant.id, "--marketplace-id", "1"]
    code, out, printed = run_cli(capsys, moto_server, *args, "--json", '{"access_token": "sh-cli-token"}')
    assert code == 0 and printed == {"tenant_id": tenant.id, "marketplace_id": 1, "set": True}

    [call] = sim.calls("stubhub", operation="register_webhook")
    assert call["status"] == 201 and call["body"]["url"] == f"{adapters_at}/webhooks/stubhub"
    echoed = call["body"]["authorization_header"]
    assert echoed and echoed not in out
    stored = components.marketplace_credentials().get(tenant.id, 1)
    assert stored is not None and stored["webhook_authorization"] == echoed
    found = components.marketplace_credentials().find_by_account(1, account_key_of(echoed))
    assert found is not None and found.tenant_id == tenant.id

    # a renewed token keeps the webhook; --register-webhook registers a new one
    run_cli(capsys, moto_server, *args, "--json", '{"access_token": "sh-cli-token"}')
    assert len(sim.calls("stubhub", operation="register_webhook")) == 1
    run_cli(capsys, moto_server, *args, "--register-webhook", "--json", '{"access_token": "sh-cli-token"}')
    assert len(sim.calls("stubhub", operation="register_webhook")) == 2

    # StubHub refusing the token stores nothing new
    other = new_tenant()
    refused = ["marketplace-credentials", "set", "--tenant-id", other.id, "--marketplace-id", "1"]
    code, _, error = run_cli(
        capsys, moto_server, *refused, "--json", '{"access_token": "unknown-to-stubhub"}'
    )
    assert code == 1 and error["error"] == "E_PARAM" and "refused to register" in error["message"]
    assert components.marketplace_credentials().get(other.id, 1) is None
