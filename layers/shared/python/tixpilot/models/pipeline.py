"""The state of one purchase-pipeline execution, as the state machine passes it between tasks.

Shared by the adapter that starts executions (adapters.stepfunctions) and the steps that read
and return it (services.pipeline).
"""

from __future__ import annotations

from typing import Any

# What every step keeps of the state; each adds what it decided (`decision`, `wait_s`, ...).
# `generation`: which run of the purchase this execution is (Purchase.run_generation).
STATE_KEYS = ("tenant_id", "rid", "generation", "attempt", "waited_s")


def execution_input(tenant_id: str, rid: int, generation: int) -> dict[str, Any]:
    """The input of a purchase's execution: its first crawl, nothing waited yet."""
    return {"tenant_id": tenant_id, "rid": rid, "generation": generation, "attempt": 0, "waited_s": 0}
