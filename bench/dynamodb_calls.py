"""Recording the DynamoDB calls a request makes, for the benchmarks and the tests that bound them.

A botocore event hook on a client notes every call: operation, table, index, items examined
(`ScannedCount` for Query/Scan, items read by Get/BatchGet), consumed capacity when asked for, and
when it ran. Calls in flight at the same time count as one round trip: they run side by side, so
the client waits for them once. Auth's token lookup is not counted as data access.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

_READS = ("Query", "GetItem", "BatchGetItem", "Scan")


def _examined(operation: str, parsed: dict[str, Any]) -> int:
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", 0))
    if operation == "GetItem":
        return 1 if parsed.get("Item") else 0
    if operation == "BatchGetItem":
        return sum(len(v) for v in parsed.get("Responses", {}).values())
    return 0


def _capacity(parsed: dict[str, Any]) -> float:
    capacity = parsed.get("ConsumedCapacity")
    if isinstance(capacity, list):
        return float(sum(c.get("CapacityUnits", 0) for c in capacity))
    return float((capacity or {}).get("CapacityUnits", 0) or 0)


@dataclass
class DynamoCalls:
    """`attach(client)`, run the request, read the figures; `calls.clear()` between requests.
    `capacity=True` asks DynamoDB for the consumed capacity of every read; `active=False`
    pauses recording (e.g. while seeding)."""

    capacity: bool = False
    active: bool = True
    calls: list[dict[str, Any]] = field(default_factory=list)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-parameter-build.dynamodb", self._before)
        client.meta.events.unregister("after-call.dynamodb", self._after)

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if self.capacity and model.name in _READS:
            params["ReturnConsumedCapacity"] = "TOTAL"
        context["tixpilot_call"] = {"params": params, "start": time.perf_counter()}

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self.active:
            return
        info = context.get("tixpilot_call", {})
        params = info.get("params", {})
        self.calls.append(
            {
                "op": model.name,
                "table": str(params.get("TableName") or next(iter(params.get("RequestItems") or {"": None}))),
                "index": params.get("IndexName"),
                "examined": _examined(model.name, parsed),
                "capacity": _capacity(parsed),
                "start": info.get("start", 0.0),
                "end": time.perf_counter(),
            }
        )

    def data_calls(self) -> list[dict[str, Any]]:
        """Every call but auth's token lookup."""
        return [c for c in self.calls if not c["table"].endswith("-tokens")]

    def examined(self) -> int:
        return sum(c["examined"] for c in self.data_calls())

    def round_trips(self) -> int:
        """Calls in flight at the same time count once: the latency a client waits for."""
        trips, horizon = 0, -1.0
        for call in sorted(self.data_calls(), key=lambda c: c["start"]):
            if call["start"] > horizon:
                trips += 1
                horizon = call["end"]
            else:
                horizon = max(horizon, call["end"])
        return trips
