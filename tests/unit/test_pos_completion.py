"""complete-sale's second half, with in-memory fakes: which sales are completed in the POS, and
what their `complete` step says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tixpilot.adapters.pos.base import OrderConflict, PosContext, PosError, PosOrder
from tixpilot.errors import Unprocessable
from tixpilot.models.sales import Sale, Step, StepResult
from tixpilot.services.pos_completion import complete_in_pos
from tixpilot.services.pos_orders import InventoryPorts, sale_from_order

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def order(**changes: Any) -> PosOrder:
    values: dict[str, Any] = {
        "marketplace_id": 25,
        "order_id": "9001",
        "ticketgroupid": "100021",
        "seats": ("5", "6"),
        "price_per_seat": Decimal("120.00"),
        "state": "invoiced",
        "binding": True,
        "held_at": NOW,
        "expires_at": None,
        "invoice_id": "100031",
        **changes,
    }
    return PosOrder(**values)


def sale(source: str = "oi", pos: str = "skybox") -> Sale:
    made = sale_from_order(
        order(),
        tenant_id="t1",
        pos=pos,
        source=source,
        credential_id="7",
        now=NOW,
        steps={},  # type: ignore[arg-type]
    )
    return made


class Sales:
    def __init__(self, found: Sale | None) -> None:
        self.found = found
        self.steps: dict[Step, StepResult] = {}

    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> Sale | None:
        return self.found

    def record_steps(
        self, tenant_id: str, marketplace_id: int, order_id: str, steps: dict[Step, StepResult]
    ) -> Sale | None:
        self.steps.update(steps)
        return self.found


class Pos:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.contexts: list[PosContext] = []

    def complete(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder:
        self.contexts.append(context)
        if self.error is not None:
            raise self.error
        return order(completed=True)


def ports(pos: Pos, credentials: Any = None) -> InventoryPorts:
    lookup = credentials or (lambda tenant_id, name: {"account": "1001"} if name == "skybox" else None)
    return InventoryPorts(tenants=None, adapter=lambda name: pos, credentials=lookup)  # type: ignore[arg-type]


def test_an_order_tixpilot_placed_is_completed_in_its_pos() -> None:
    pos, sales = Pos(), Sales(sale())
    complete_in_pos(ports(pos), sales, "t1", [(25, "9001")], NOW)
    assert sales.steps["complete"] == StepResult(
        status="success", message="completed in SkyBox (invoice 100031)", at=NOW
    )
    (context,) = pos.contexts
    assert (context.tenant_id, dict(context.credentials)) == ("t1", {"account": "1001"})


def test_a_sale_the_broker_recorded_is_left_to_the_broker() -> None:
    pos, sales = Pos(), Sales(sale(source="api"))
    complete_in_pos(ports(pos), sales, "t1", [(25, "9001")], NOW)
    assert pos.contexts == [] and sales.steps == {}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (PosError("SkyBox is unavailable, TixPilot will try again (503)", transient=True), "pending"),
        (OrderConflict("order 9001 is held; only an invoiced order is completed"), "error"),
        (PosError("SkyBox refused the credentials (401)"), "error"),
    ],
)
def test_a_pos_failure_is_the_steps_message(error: Exception, status: str) -> None:
    sales = Sales(sale())
    complete_in_pos(ports(Pos(error)), sales, "t1", [(25, "9001")], NOW)
    step = sales.steps["complete"]
    assert step.status == status and step.message == f"SkyBox: {error}"


def test_unreadable_credentials_are_an_error_step() -> None:
    def unreadable(tenant_id: str, name: str) -> None:
        raise Unprocessable("the stored skybox credentials cannot be decrypted; set them again")

    sales = Sales(sale())
    complete_in_pos(ports(Pos(), unreadable), sales, "t1", [(25, "9001")], NOW)
    assert sales.steps["complete"].status == "error"
    assert "set them again" in sales.steps["complete"].message
