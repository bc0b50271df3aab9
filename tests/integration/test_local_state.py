"""TIXPILOT_STATE_DIR: a snapshot restores every table item and stored message."""

from __future__ import annotations

import pytest

from infra.definitions.tables import TABLES
from infra.local import state
from infra.local.moto_serial import free_port, start_emulator
from infra.local.resources import ensure_resources
from tixpilot.settings import Settings


@pytest.fixture
def second_emulator():
    import boto3

    port = free_port()
    server = start_emulator("127.0.0.1", port)
    session = boto3.session.Session(region_name="us-east-1")
    url = f"http://127.0.0.1:{port}"
    yield session.client("dynamodb", endpoint_url=url), session.client("s3", endpoint_url=url)
    server.stop()


def test_the_cursor_key_is_kept_with_the_state(tmp_path, moto_server):
    """Cursors handed out before a restart stay valid after it: the key comes back too."""
    from tixpilot import aws
    from tixpilot.settings import get_settings

    settings = get_settings()
    dynamodb, s3, secrets = aws.client("dynamodb"), aws.client("s3"), aws.client("secretsmanager")
    name = settings.secret_name("cursor-key")
    kept = secrets.get_secret_value(SecretId=name)["SecretString"]
    assert len(kept) >= 32
    state.snapshot(settings, dynamodb, s3, tmp_path, secrets)
    try:
        # a restarted emulator starts without it (moto's backends are this process's: delete it)
        secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        ensure_resources(settings, dynamodb, s3, secretsmanager=secrets)
        assert secrets.get_secret_value(SecretId=name)["SecretString"] != kept  # a new one of its own
    finally:
        state.restore(settings, dynamodb, s3, tmp_path, secrets)
    assert secrets.get_secret_value(SecretId=name)["SecretString"] == kept


def test_snapshot_then_restore_into_an_empty_emulator(tmp_path, admin, new_tenant, second_emulator):
    from tixpilot import aws
    from tixpilot.settings import get_settings

    settings = get_settings()
    new_tenant("Persisted Tickets")
    aws.client("s3").put_object(Bucket=settings.raw_email_bucket, Key="inbound/kept", Body=b"raw \xff bytes")
    counts = state.snapshot(settings, aws.client("dynamodb"), aws.client("s3"), tmp_path)
    assert counts["tenants"] >= 1 and counts["bucket:raw-email"] >= 1

    dynamodb, s3 = second_emulator
    fresh = Settings(env=settings.env)
    ensure_resources(fresh, dynamodb, s3)
    assert state.restore(fresh, dynamodb, s3, tmp_path) == counts
    for table in TABLES.values():
        assert (
            dynamodb.scan(TableName=fresh.table_name(table.id), Select="COUNT")["Count"] == counts[table.id]
        )
    assert (
        s3.get_object(Bucket=fresh.raw_email_bucket, Key="inbound/kept")["Body"].read() == b"raw \xff bytes"
    )


def test_restore_without_a_snapshot_does_nothing(tmp_path, second_emulator):
    dynamodb, s3 = second_emulator
    assert state.restore(Settings(env="test"), dynamodb, s3, tmp_path) is None
