"""The `lambda_handler` of each purchase-pipeline task, of intake, of the sales worker and of the
fulfillment worker, defined once.

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
Step = Literal["crawl", "autopo", "record"]


def _step(step: Step) -> Handler:
    from tixpilot.services import pipeline as tasks
    from tixpilot.wiring.pipeline import backoff, pipeline_deps

    deps = pipeline_deps()
    if step == "crawl":  # and evaluate: one task, one transition
        return lambda event, _: tasks.crawl_and_evaluate_step(deps, event, backoff())
    if step == "autopo":
        return lambda event, _: tasks.autopo_step(deps, event)
    # record: how an execution ended (parked awaiting QuickPO, or failed)
    return lambda event, _: (tasks.park_step if event.get("action") == "park" else tasks.fail_step)(
        deps, event
    )


def task_handler(load: Callable[[], Handler], *, with_metrics: bool = True) -> Handler:
    """A function's `lambda_handler`: the invocation's context in the logs (and metrics
    flushed), the code `load` returns loaded on first use (`tixpilot.deferred`), and the work
    queued for after the invocation run at its end, also when the invocation failed."""
    run = deferred(load)

    def lambda_handler(event: Event, context: LambdaContext) -> Event:
        try:
            return run()(event, context)
        finally:
            run_later()

    handler: Handler = metrics.log_metrics(lambda_handler) if with_metrics else lambda_handler
    return logger.inject_lambda_context(handler)


def pipeline_task(step: Step) -> Handler:
    """The handler of one task of the purchase pipeline's state machine."""
    return task_handler(lambda: _step(step), with_metrics=False)


def _recrawl() -> Callable[[Event, LambdaContext], Event]:
    import json

    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from tixpilot.services import pipeline as tasks
    from tixpilot.wiring import components
    from tixpilot.wiring.pipeline import backoff, pipeline_deps

    deps, queue, callbacks = pipeline_deps(), components.recrawl_queue(), components.task_callbacks()
    processor = BatchProcessor(event_type=EventType.SQS)

    def handle(record: SQSRecord) -> str:
        body = json.loads(record.body)
        token = body["token"]
        try:
            state = tasks.crawl_and_evaluate_step(deps, body["state"], backoff())
        except Exception as exc:  # the execution's RecordFailure records it on the purchase
            callbacks.fail(token, type(exc).__name__, str(exc))
            return "failed"
        if state.get("decision") == "wait":
            queue.send(json.dumps({"token": token, "state": state}), delay_s=int(state["wait_s"]))
        else:
            callbacks.succeed(token, state)
        return str(state.get("decision"))

    def run(event: Event, context: LambdaContext) -> Event:
        return dict(
            process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
        )

    return run


def recrawl_function() -> Handler:
    """The handler of the pipeline's recrawl queue: each message is a purchase whose wait is over
    (partial batch failures: a message whose SQS or Step Functions call failed comes back)."""
    return task_handler(_recrawl, with_metrics=False)


def _intake() -> Handler:
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.data_classes import SESEvent

    from tixpilot.adapters.ses import RAW_PREFIX, inbound_mail
    from tixpilot.services.intake import receive_mail
    from tixpilot.wiring import components
    from tixpilot.wiring.intake import intake_repos

    repos, raw_store = intake_repos(), components.raw_mail()

    def receive(raw_event: Event, _: LambdaContext) -> Event:
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
    # run_later at its end: the name-cap raises, after the purchases are recorded and their
    # pipelines started
    return task_handler(_intake)


def _ion_worker() -> Callable[[Event, LambdaContext], Event]:
    import datetime as dt
    import json

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from tixpilot.models.ion import IonTask, SaleMessage
    from tixpilot.services import ion
    from tixpilot.settings import get_settings
    from tixpilot.wiring import components
    from tixpilot.wiring.ion import ion_deps

    deps, settings = ion_deps(), get_settings()
    queues = {queue.name: queue for queue in (components.ion_sales(), components.ion_tasks())}
    # A batch whose every message failed (a marketplace down) is reported like any other partial
    # failure rather than raised: the messages come back all the same, without a function error.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def handle(record: SQSRecord) -> str:
        now = dt.datetime.now(dt.UTC)
        body = json.loads(record.body)
        # The message id is the same on every delivery of one message: the lease it takes on its
        # order is its own again when the message comes back after a failure.
        owner = record.message_id
        try:
            if "notification" in body:
                message = SaleMessage.model_validate(body)
                sent = int(record.attributes.sent_timestamp or 0) / 1000 or now.timestamp()
                queued = dt.datetime.fromtimestamp(sent, dt.UTC)
                outcome = ion.handle_notification(deps, message, owner, now, received_at=queued)
            else:
                outcome = ion.handle_task(deps, IonTask.model_validate(body), owner, now)
        except Exception as exc:
            attempt = int(record.attributes.approximate_receive_count or 1)
            delay = retry_delay(settings.ion_retry_s, attempt, busy=isinstance(exc, ion.Busy))
            queue = queues.get(record.event_source_arn.rsplit(":", 1)[-1])
            if queue is not None:
                queue.retry_later(record.receipt_handle, delay)
            logger.warning(
                "ion message failed", extra={"attempt": attempt, "retry_in_s": delay, "error": str(exc)}
            )
            raise
        # one metric per kind of outcome ("confirmed", "unavailable", "duplicate", ...), not per message
        kind = outcome.split(":", 1)[0].strip().replace(" ", "_")
        metrics.add_metric(name=f"Ion_{kind}", unit=MetricUnit.Count, value=1)
        return outcome

    def run(event: Event, context: LambdaContext) -> Event:
        response = process_partial_response(
            event=event, record_handler=handle, processor=processor, context=context
        )
        return dict(response)

    return run


def retry_delay(first_s: int, attempt: int, *, busy: bool = False) -> int:
    """How long a failed message waits before it comes back: `first_s` doubling per attempt, up to
    SQS's 15 minutes; a message whose order another worker holds comes back in a second or two."""
    if busy:
        return min(2, max(1, first_s))
    return max(1, min(900, first_s * 2 ** max(0, attempt - 1)))


def ion_worker_function() -> Handler:
    """The handler of the sales worker: both Instant Notification queues, partial batch failures
    (a message that failed stays on its queue, the others are done)."""
    return task_handler(_ion_worker)


def _fulfillment_worker() -> Callable[[Event, LambdaContext], Event]:
    import datetime as dt

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from pydantic import ValidationError

    from tixpilot.models.fulfillment import FulfillmentMessage
    from tixpilot.services import fulfillment
    from tixpilot.services.ion import Busy
    from tixpilot.settings import get_settings
    from tixpilot.wiring import components
    from tixpilot.wiring.fulfillment import fulfillment_deps

    # The dependencies come from the cached builders on every record, not once: one call of a
    # cached function each, and a process whose environment changes (the local stack's tests clear
    # the caches when they shorten the schedule) is seen by the next message.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def handle(record: SQSRecord) -> str:
        try:
            message = FulfillmentMessage.model_validate_json(record.body)
        except ValidationError:  # never readable, however often it comes back: dropped, logged
            logger.error("unreadable fulfillment message", extra={"body": record.body[:500]})
            metrics.add_metric(name="Fulfillment_unreadable", unit=MetricUnit.Count, value=1)
            return "unreadable"
        try:
            # the message id is the same on every delivery of one message: its lease is its own again
            outcome = fulfillment.handle(
                fulfillment_deps(), message, record.message_id, dt.datetime.now(dt.UTC)
            )
        except Exception as exc:
            # A passing failure (another worker on the sale, a POS down): the message comes back
            # soon. Delivery attempts that fail are not this: they are recorded and rescheduled.
            attempt = int(record.attributes.approximate_receive_count or 1)
            delay = retry_delay(get_settings().ion_retry_s, attempt, busy=isinstance(exc, Busy))
            components.fulfillment_queue().retry_later(record.receipt_handle, delay)
            logger.warning(
                "fulfillment message failed",
                extra={"attempt": attempt, "retry_in_s": delay, "error": str(exc)},
            )
            raise
        metrics.add_metric(name=f"Fulfillment_{outcome}", unit=MetricUnit.Count, value=1)
        return outcome

    def run(event: Event, context: LambdaContext) -> Event:
        response = process_partial_response(
            event=event, record_handler=handle, processor=processor, context=context
        )
        return dict(response)

    return run


def fulfillment_worker_function() -> Handler:
    """The handler of the fulfillment worker: the `fulfillment` queue (deliveries and their
    retries, completions in the POS), partial batch failures."""
    return task_handler(_fulfillment_worker)


# A poll run stops starting tenants when less than this is left of the function's time.
POLL_RESERVE_MS = 15_000


def _poller() -> Callable[[Event, LambdaContext], Event]:
    from aws_lambda_powertools.metrics import MetricUnit

    from tixpilot.services.sales_inbound import poll_marketplaces
    from tixpilot.wiring.marketplaces import poll_deps

    deps = poll_deps()

    def run(event: Event, context: LambdaContext) -> Event:
        report = poll_marketplaces(
            deps, out_of_time=lambda: context.get_remaining_time_in_millis() < POLL_RESERVE_MS
        )
        metrics.add_metric(name="PollRequests", unit=MetricUnit.Count, value=report.polled)
        metrics.add_metric(name="PollNotifications", unit=MetricUnit.Count, value=report.sent)
        metrics.add_metric(name="PollErrors", unit=MetricUnit.Count, value=len(report.errors))
        summary = {
            "polled": report.polled,
            "not_due": report.not_due,
            "sent": report.sent,
            "already_sent": report.already_sent,
            "errors": report.errors,
            "tenants_left": report.tenants_left,
        }
        if report.errors:
            logger.warning("some feeds could not be polled", extra=summary)
        for crash in report.crashes:
            logger.error("a tenant's poll failed", exc_info=crash)
        if report.crashes:  # the function's error alarm; the other tenants were polled
            raise RuntimeError(f"{len(report.crashes)} tenants' polls failed: {report.crashes[0]!r}")
        return summary

    return run


def marketplace_poller_function() -> Handler:
    """The handler of the marketplace poller (EventBridge schedule; a loop in the local stack)."""
    return task_handler(_poller)
