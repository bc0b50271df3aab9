"""`tixpilot pos-credentials set` against the emulator: stored encrypted with the pos-credentials
KMS key on the tenant, never printed, read back only by decrypting for that tenant and POS."""

from __future__ import annotations

import json

import pytest

from infra import cli
from tests.events import api_event
from tixpilot import aws
from tixpilot.adapters.kms import POS_CREDENTIALS_KEY, KmsCipher
from tixpilot.errors import Unprocessable
from tixpilot.repositories.pos_credentials import PosCredentialRepository
from tixpilot.settings import get_settings

SECRETS = ["--account", "4711", "--api-token", "api-secret-1", "--application-token", "app-secret-1"]


def vault() -> PosCredentialRepository:
    return PosCredentialRepository(KmsCipher(POS_CREDENTIALS_KEY))


def run(capsys, moto_server, *argv: str) -> tuple[int, dict, str]:
    code = cli.main(["--env", "test", "--endpoint-url", moto_server, *argv])
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert len(lines) == 1, lines
    return code, json.loads(lines[0]), out


def tenant(capsys, moto_server) -> str:
    return new_tenant(capsys, moto_server)[0]


def new_tenant(capsys, moto_server) -> tuple[str, str]:
    _, created, _ = run(capsys, moto_server, "tenant", "create", "--name", "SkyBox Broker")
    return str(created["tenant_id"]), str(created["api_token"])


def test_set_stores_them_encrypted_and_never_prints_them(capsys, moto_server, invoke):
    tenant_id, token = new_tenant(capsys, moto_server)
    code, answer, printed = run(
        capsys, moto_server, "pos-credentials", "set", "--tenant-id", tenant_id, "--pos", "skybox", *SECRETS
    )
    assert code == 0 and answer == {"tenant_id": tenant_id, "pos": "skybox", "set": True}
    assert "secret" not in printed and "4711" not in printed

    item = aws.client("dynamodb").get_item(
        TableName=get_settings().table_name("tenants"), Key={"tenant_id": {"S": tenant_id}}
    )["Item"]
    ciphertext = bytes(item["pos_credentials_skybox"]["B"])
    assert b"api-secret-1" not in ciphertext and b"4711" not in ciphertext
    assert vault().get(tenant_id, "skybox") == {
        "account": "4711",
        "api_token": "api-secret-1",
        "application_token": "app-secret-1",
    }
    # the tenant as the API shows it knows nothing of them
    settings = invoke("api_settings", api_event("GET", "/v2/settings", token=token))
    assert (
        settings["statusCode"] == 200
        and "secret" not in settings["body"]
        and "pos_cred" not in settings["body"]
    )


def test_set_again_replaces_them_and_a_cached_reader_sees_the_new_ones(capsys, moto_server):
    tenant_id = tenant(capsys, moto_server)
    args = ["pos-credentials", "set", "--tenant-id", tenant_id, "--pos", "skybox"]
    run(capsys, moto_server, *args, *SECRETS)
    reader = vault()
    assert reader.get(tenant_id, "skybox")["api_token"] == "api-secret-1"  # type: ignore[index]
    changed = [*SECRETS[:3], "api-secret-2", *SECRETS[4:]]
    assert run(capsys, moto_server, *args, *changed)[0] == 0
    assert reader.get(tenant_id, "skybox")["api_token"] == "api-secret-2"  # type: ignore[index]
    assert reader.get(tenant_id, "posnext") is None


@pytest.mark.parametrize(
    ("argv", "missing"),
    [
        (["--account", "4711", "--api-token", "t"], "--application-token"),
        (["--account", " ", "--api-token", "t", "--application-token", "p"], "--account"),
    ],
)
def test_set_refuses_incomplete_credentials(capsys, moto_server, argv, missing):
    tenant_id = tenant(capsys, moto_server)
    code, answer, _ = run(
        capsys, moto_server, "pos-credentials", "set", "--tenant-id", tenant_id, "--pos", "skybox", *argv
    )
    assert code == 1 and answer["error"] == "E_PARAM"
    assert answer["message"] == f"SkyBox needs {missing}"
    assert vault().get(tenant_id, "skybox") is None


def test_set_for_an_unknown_tenant_is_not_found(capsys, moto_server):
    code, answer, _ = run(
        capsys, moto_server, "pos-credentials", "set", "--tenant-id", "nope", "--pos", "skybox", *SECRETS
    )
    assert code == 1 and answer["error"] == "E_NOT_FOUND"


def test_only_a_pos_that_takes_credentials_is_accepted(capsys, moto_server):
    with pytest.raises(SystemExit) as exited:
        cli.main(
            ["--env", "test", "pos-credentials", "set", "--tenant-id", "1", "--pos", "builtin", *SECRETS]
        )
    assert exited.value.code == 2
    assert "invalid choice: 'builtin'" in capsys.readouterr().err


def test_a_ciphertext_copied_to_another_tenant_does_not_decrypt(capsys, moto_server):
    owner, thief = tenant(capsys, moto_server), tenant(capsys, moto_server)
    run(capsys, moto_server, "pos-credentials", "set", "--tenant-id", owner, "--pos", "skybox", *SECRETS)
    client, table = aws.client("dynamodb"), get_settings().table_name("tenants")
    stolen = client.get_item(TableName=table, Key={"tenant_id": {"S": owner}})["Item"][
        "pos_credentials_skybox"
    ]
    client.update_item(
        TableName=table,
        Key={"tenant_id": {"S": thief}},
        UpdateExpression="SET pos_credentials_skybox = :c",
        ExpressionAttributeValues={":c": stolen},
    )
    with pytest.raises(Unprocessable, match=r"cannot be decrypted .*pos-credentials set"):
        vault().get(thief, "skybox")
    assert vault().get(owner, "skybox") is not None
