"""Starting the purchase pipeline (Step Functions): one execution per purchase.

The execution's name is derived from tenant and rid, so a second start for the same purchase is
a no-op (ExecutionAlreadyExists, or the running execution itself for the same input). The state
machine's ARN comes from the settings (TIXPILOT_PIPELINE_ARN, set by the CDK app and the local
stack); without it nothing is started (the purchase is only stored).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tixpilot import aws
from tixpilot.models.pipeline import execution_input
from tixpilot.models.purchases import Purchase
from tixpilot.observability import logger
from tixpilot.settings import PIPELINE_ARN, get_settings


def execution_name(tenant_id: str, rid: int) -> str:
    """`p-<tenant>-<rid>`: at most 80 characters of [A-Za-z0-9_-]."""
    tenant = re.sub(r"[^A-Za-z0-9_-]", "_", tenant_id)[:60]
    return f"p-{tenant}-{rid}"


class StepFunctionsPipeline:
    def __init__(self, client: Any | None = None, arn: str | None = None) -> None:
        self._client = client
        self._arn = arn

    @property
    def arn(self) -> str | None:
        return self._arn or get_settings().pipeline_arn or None

    def start_execution(self, tenant_id: str, rid: int) -> bool:
        """Start the purchase's execution; False when it already has one (nothing done)."""
        arn = self.arn
        if not arn:
            logger.warning("no purchase pipeline configured", extra={"variable": PIPELINE_ARN})
            return False
        client = self._client or aws.client("stepfunctions")
        try:
            client.start_execution(
                stateMachineArn=arn,
                name=execution_name(tenant_id, rid),
                input=json.dumps(execution_input(tenant_id, rid)),
            )
        except client.exceptions.ExecutionAlreadyExists:
            return False
        return True

    def start(self, purchase: Purchase, created: bool) -> None:
        """intake's PipelineStarter: every recorded purchase gets its execution (once)."""
        self.start_execution(purchase.tenant_id, purchase.rid)
