"""Sales: POST /v2/sales/add, GET /v2/sales, GET /v2/fulfill; their outcomes, POST
/sales/v1/complete-sale, /v2/sales/confirm and /v2/sales/reject (a group of their own, loaded when
one of them is first asked for)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tixpilot.api.handler import api_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router


def sales() -> Sequence[Router]:
    from tixpilot.api.routes import sales

    return [sales.router]


def decisions() -> Sequence[Router]:
    from tixpilot.api.routes import sales_decisions

    return [sales_decisions.router]


# apart: recording and finding sales needs the sales table; their outcomes load the ION service,
# the marketplaces' adapters and the POS completion
ROUTES = {
    "/sales/v1/complete-sale": decisions,
    "/v2/sales/confirm": decisions,
    "/v2/sales/reject": decisions,
    "": sales,
}
lambda_handler = api_function(ROUTES)
