"""The emulator's transactions roll back exactly what they changed (infra/local/moto_serial.py
replaces moto's whole-table snapshots, which leaked, with per-item ones)."""

from __future__ import annotations

import pytest

from tixpilot import aws
from tixpilot.settings import get_settings

SEAT = {"tenant_id": {"S": "tx"}, "entity": {"S": "SEAT#1"}}


@pytest.fixture
def client(moto_server):
    return aws.dynamodb()


def test_a_failed_transaction_undoes_its_earlier_puts_updates_and_deletes(client):
    claims, ledger = get_settings().table_name("claims"), get_settings().table_name("ledger")
    client.put_item(TableName=claims, Item={"claim": {"S": "tx-keep"}, "v": {"N": "1"}})
    client.put_item(
        TableName=ledger, Item={"tenant_id": {"S": "tx"}, "entity": {"S": "SEAT#1"}, "v": {"N": "1"}}
    )
    client.put_item(TableName=claims, Item={"claim": {"S": "tx-gone"}, "v": {"N": "1"}})
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": claims, "Item": {"claim": {"S": "tx-new"}}}},
                {
                    "Update": {
                        "TableName": ledger,
                        "Key": SEAT,
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Delete": {"TableName": claims, "Key": {"claim": {"S": "tx-gone"}}}},
                {
                    "ConditionCheck": {
                        "TableName": claims,
                        "Key": {"claim": {"S": "tx-keep"}},
                        "ConditionExpression": "v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
            ]
        )
    assert "Item" not in client.get_item(TableName=claims, Key={"claim": {"S": "tx-new"}})
    seat = client.get_item(TableName=ledger, Key={"tenant_id": {"S": "tx"}, "entity": {"S": "SEAT#1"}})[
        "Item"
    ]
    assert seat["v"] == {"N": "1"}
    assert client.get_item(TableName=claims, Key={"claim": {"S": "tx-gone"}})["Item"]["v"] == {"N": "1"}


def test_a_successful_transaction_keeps_everything(client):
    claims = get_settings().table_name("claims")
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": claims, "Item": {"claim": {"S": "ok-1"}}}},
            {"Put": {"TableName": claims, "Item": {"claim": {"S": "ok-2"}}}},
        ]
    )
    assert "Item" in client.get_item(TableName=claims, Key={"claim": {"S": "ok-2"}})
