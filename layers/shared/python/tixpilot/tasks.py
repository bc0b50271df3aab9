"""The `lambda_handler` of each purchase-pipeline task and of intake, defined once.

The services behind them (and pydantic, the repositories, the POS adapters) are imported on the
first invocation (`tixpilot.deferred`): a task's module costs little more than boto3 to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from tixpilot.deferred import deferred, run_later
from tixpilot.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

Event = dict[str, Any]
Handler = Callable[[Event, "LambdaContext"], Event]
Step = Literal["crawl", "evaluate", "autopo", "record"]


def _step(step: Step) -> Callable[[Event], Event]:
    from tixpilot.services import pipeline as tasks
    from tixpilot.wiring.pipeline import backoff, pipeline_deps

    deps = pipeline_deps()
    if step == "crawl":
        return lambda event: tasks.crawl_step(deps, event)
    if step == "evaluate":
        return lambda event: tasks.evaluate_step(deps, event, backoff())
    if step == "autopo":
        return lambda event: tasks.autopo_step(deps, event)
    # record: how an execution ended (parked awaiting QuickPO, or failed)
    return lambda event: (tasks.park_step if event.get("action") == "park" else tasks.fail_step)(deps, event)


def pipeline_task(step: Step) -> Handler:
    """The handler of one task of the purchase pipeline's state machine."""
    run = deferred(lambda: _step(step))

    @logger.inject_lambda_context
    def lambda_handler(event: Event, context: LambdaContext) -> Event:
        try:
            return run()(event)
        finally:
            run_later()

    return lambda_handler


def _intake() -> Callable[[Event], Event]:
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.data_classes import SESEvent

    from tixpilot.adapters.ses import RAW_PREFIX, inbound_mail
    from tixpilot.services.intake import receive_mail
    from tixpilot.wiring import components
    from tixpilot.wiring.intake import intake_repos

    repos, raw_store = intake_repos(), components.raw_mail()

    def receive(raw_event: Event) -> Event:
        recorded = []
        for record in SESEvent(raw_event).records:
            mail = inbound_mail(record.ses.mail, record.ses.receipt)
            raw_key = RAW_PREFIX + mail.transport_id
            for receipt in receive_mail(repos, mail, raw_key, raw_store.get(raw_key)):
                metrics.add_metric(name=f"Receipts_{receipt.status}", unit=MetricUnit.Count, value=1)
                recorded.append(
                    {"tenant_id": receipt.tenant_id, "status": receipt.status, "rid": receipt.rid}
                )
        return {"recorded": recorded}

    return receive


def intake_function() -> Handler:
    """The handler of SES inbound: the raw message is already in S3 (the rule's first action)."""
    receive = deferred(_intake)

    @logger.inject_lambda_context
    @metrics.log_metrics
    def lambda_handler(event: Event, context: LambdaContext) -> Event:
        try:
            return receive()(event)
        finally:
            run_later()  # name-cap raises: after the purchases are recorded and their pipelines started

    return lambda_handler
