"""complete-sale's second half: a sale whose order TixPilot placed in the POS (Order Integration,
Instant Notification) is completed there too (SkyBox: its invoice's fulfillment COMPLETE), and
the sale's `complete` step says how that went. A sale the broker recorded (`/v2/sales/add`) is
the broker's to complete in the POS: its step stays pending."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol

from tixpilot.adapters.pos.base import PosContext, PosError
from tixpilot.errors import TixPilotError
from tixpilot.models.pos import BY_POSUSED
from tixpilot.models.sales import Sale, Step, StepResult
from tixpilot.services.pos_orders import InventoryPorts


class SaleSteps(Protocol):
    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> Sale | None: ...

    def record_steps(
        self, tenant_id: str, marketplace_id: int, order_id: str, steps: dict[Step, StepResult]
    ) -> Sale | None: ...


def complete_in_pos(
    ports: InventoryPorts,
    sales: SaleSteps,
    tenant_id: str,
    orders: Iterable[tuple[int, str]],
    now: dt.datetime,
) -> None:
    """Complete each (marketplace id, order id) sale's order in the POS that holds it."""
    for marketplace_id, order_id in orders:
        sale = sales.get(tenant_id, marketplace_id, order_id)
        if sale is None or sale.source == "api":
            continue
        pos = BY_POSUSED[sale.pos]
        adapter = ports.adapter(pos.name)
        if adapter is None:
            continue
        try:
            context = PosContext(tenant_id, now, ports.credentials(tenant_id, pos.name) or {})
            order = adapter.complete(context, marketplace_id, order_id)
        except PosError as exc:
            status = "pending" if exc.transient else "error"
            step = StepResult(status=status, message=f"{pos.title}: {exc.message}", at=now)
        except TixPilotError as exc:  # the POS credentials could not be read
            step = StepResult(status="error", message=f"{pos.title}: {exc.message}", at=now)
        else:
            invoice = f" (invoice {order.invoice_id})" if order.invoice_id else ""
            step = StepResult(status="success", message=f"completed in {pos.title}{invoice}", at=now)
        sales.record_steps(tenant_id, marketplace_id, order_id, {"complete": step})
