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
