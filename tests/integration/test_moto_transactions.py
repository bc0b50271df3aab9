"""The emulator's transactions roll back exactly what they changed (infra/local/moto_serial.py
replaces moto's whole-table snapshots, which leaked, with per-item ones), and racing ones are
isolated as in DynamoDB."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

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


def test_racing_transactions_over_http_commit_one_and_undo_nothing_of_it(client, interleaved):
    """Threads race transactions for overlapping seats, each claiming 3 of 4 and writing its own
    order item: exactly one commits per round, and the losers' rollbacks (which restore the seats
    they named) leave the winner's seats and order as it wrote them."""
    ledger, threads = get_settings().table_name("ledger"), 8

    def key(entity: str) -> dict[str, Any]:
        return {"tenant_id": {"S": "race"}, "entity": {"S": entity}}

    def claim(round_no: int, n: int, start: Barrier) -> bool:
        seats = [f"SEAT#{round_no}#{(n + i) % 4}" for i in range(3)]
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": ledger,
                    "Item": {**key(f"ORDER#{round_no}#{n}"), "seats": {"SS": seats}},
                    "ConditionExpression": "attribute_not_exists(entity)",
                }
            }
        ]
        for seat in seats:
            items.append(
                {
                    "Update": {
                        "TableName": ledger,
                        "Key": key(seat),
                        "UpdateExpression": "SET #s = :held, held_by = :n",
                        "ConditionExpression": "#s = :available",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":held": {"S": "held"},
                            ":available": {"S": "available"},
                            ":n": {"N": str(n)},
                        },
                    }
                }
            )
        start.wait()
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException:
            return False
        return True

    with ThreadPoolExecutor(threads) as pool:
        for round_no in range(30):
            for seat in range(4):
                client.put_item(
                    TableName=ledger, Item={**key(f"SEAT#{round_no}#{seat}"), "status": {"S": "available"}}
                )
            start = Barrier(threads)
            won = list(pool.map(lambda n, r=round_no, b=start: claim(r, n, b), range(threads)))
            assert won.count(True) == 1, (round_no, won)
            winner = won.index(True)
            holders = {
                seat: client.get_item(
                    TableName=ledger, Key=key(f"SEAT#{round_no}#{seat}"), ConsistentRead=True
                )["Item"].get("held_by", {"N": ""})["N"]
                for seat in range(4)
            }
            assert holders == {seat: str(winner) if (seat - winner) % 4 < 3 else "" for seat in range(4)}, (
                round_no,
                winner,
                holders,
            )
            orders = [
                n
                for n in range(threads)
                if "Item"
                in client.get_item(TableName=ledger, Key=key(f"ORDER#{round_no}#{n}"), ConsistentRead=True)
            ]
            assert orders == [winner], (round_no, orders)
