"""The cost benchmark's counting (bench/cost.py): item sizes and request units as DynamoDB bills
them, state transitions from an execution's history, and a measurement split into parts (a sale
and its fulfillment) whose Lambda GB-seconds add up to the whole's."""

from __future__ import annotations

import pytest

from bench.cost import _counts, billed_transitions, item_size, medians, request_units
from infra.definitions.functions import FUNCTIONS
from infra.definitions.tables import TABLES

SALES_TABLE = "tixpilot-test-sales"
INDEXES = {SALES_TABLE: list(TABLES["sales"].indexes)}


def test_item_size_counts_names_and_values_as_dynamodb_does():
    assert item_size({"id": {"S": "abc"}}) == 2 + 3
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 significant digits: 3 bytes, plus 1
    assert item_size({"ok": {"BOOL": True}}) == 2 + 1
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert item_size({"l": {"L": [{"S": "ab"}]}}) == 1 + 3 + (2 + 1)


def _sale(size: int) -> dict[str, dict[str, str]]:
    """A sale item with both index keys, padded to `size` bytes."""
    item = {
        "tenant_id": {"S": "9001"},
        "sale_key": {"S": "25#7000000"},
        "event_date_key": {"S": "2031-07-11T19:00:00"},
        "tenant_order": {"S": "9001#7000000"},
    }
    item["pad"] = {"S": "x" * (size - item_size(item) - len("pad"))}
    assert item_size(item) == size
    return item


@pytest.mark.parametrize(("size", "units"), [(1018, 1), (1024, 1), (1037, 2), (2048, 2), (2049, 3)])
def test_a_write_of_a_sale_is_billed_per_kb_in_the_table_and_in_each_index(size, units):
    update = {
        "service": "dynamodb",
        "op": "UpdateItem",
        "params": {"TableName": SALES_TABLE, "Key": {}},
        "response": {"Attributes": _sale(size)},
    }
    # the item after the write, in the table and in both indexes (projected ALL)
    assert request_units([update], INDEXES) == {"rru": 0.0, "wru": 3.0 * units, "wru_index": 2.0 * units}


def test_an_item_without_index_keys_writes_no_index():
    lease = {"tenant_id": {"S": "9001"}, "sale_key": {"S": "fulfill#25#7000000"}, "lease_owner": {"S": "w"}}
    calls = [
        {
            "service": "dynamodb",
            "op": "UpdateItem",
            "params": {"TableName": SALES_TABLE},
            "response": {"Attributes": lease},
        },
        {
            "service": "dynamodb",
            "op": "DeleteItem",
            "params": {"TableName": SALES_TABLE},
            "response": {"Attributes": lease},
        },
        {"service": "s3", "op": "PutObject", "params": {}},
    ]
    assert request_units(calls, INDEXES) == {"rru": 0.0, "wru": 2.0, "wru_index": 0.0}


def test_reads_are_4_kb_units_halved_when_eventually_consistent():
    calls = [
        {"service": "dynamodb", "op": "GetItem", "params": {}, "response": {"Item": _sale(5000)}},
        {
            "service": "dynamodb",
            "op": "GetItem",
            "params": {"ConsistentRead": True},
            "response": {"Item": _sale(1000)},
        },
        {"service": "dynamodb", "op": "GetItem", "params": {}, "response": {}},  # not found: still a unit
    ]
    assert request_units(calls, INDEXES)["rru"] == 0.5 * 2 + 1.0 + 0.5


def test_transitions_are_states_entered_plus_task_retries():
    timer = [  # the fulfillment timer: Wait, then SQS SendMessage, retried once
        {"type": "ExecutionStarted"},
        {"type": "WaitStateEntered"},
        {"type": "WaitStateExited"},
        {"type": "TaskStateEntered"},
        {"type": "TaskScheduled"},
        {"type": "TaskFailed"},
        {"type": "TaskScheduled"},
        {"type": "TaskSucceeded"},
        {"type": "TaskStateExited"},
        {"type": "ExecutionSucceeded"},
    ]
    assert billed_transitions(timer) == 2 + 1


def test_a_part_priced_at_the_whole_measurements_medians_adds_up_to_the_whole():
    sale = [("marketplace_oi", 0.9), ("marketplace_oi", 0.1)]  # a cold first invocation, then warm
    fulfillment = [("marketplace_oi", 0.1), ("api_sales", 0.05), ("fulfillment_worker", 0.2)]
    whole = sale + fulfillment
    assert medians(whole) == {"marketplace_oi": 0.1, "api_sales": 0.05, "fulfillment_worker": 0.2}

    def gb_s(invocations: list[tuple[str, float]], durations: dict[str, float] | None = None) -> float:
        return float(_counts([], invocations, 0, 0, 1, INDEXES, durations)["gb_s"])

    assert gb_s(sale, medians(whole)) + gb_s(fulfillment, medians(whole)) == pytest.approx(gb_s(whole))
    memory_gb = FUNCTIONS["marketplace_oi"].memory_mb / 1024
    assert gb_s(sale) == pytest.approx(2 * 0.5 * memory_gb)  # alone, its own median: the cold one weighs
    assert _counts([], fulfillment, 2, 0, 1, INDEXES, medians(whole))["invocations_by_function"] == {
        "api_sales": {"count": 1.0, "median_ms": 50.0},
        "fulfillment_worker": {"count": 1.0, "median_ms": 200.0},
        "marketplace_oi": {"count": 1.0, "median_ms": 100.0},
    }
