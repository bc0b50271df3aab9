"""SES inbound: the raw message is already in S3 (the rule's first action); read it, record it."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SESEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.adapters.ses import RAW_PREFIX, inbound_mail
from tixpilot.adapters.stepfunctions import StepFunctionsPipeline
from tixpilot.observability import logger, metrics, tracer
from tixpilot.repositories.domains import DomainRepository
from tixpilot.repositories.purchases import PurchaseRepository
from tixpilot.repositories.receipts import RawMailStore, ReceiptRepository
from tixpilot.repositories.sequences import SequenceRepository
from tixpilot.services.intake import IntakeRepos, receive_mail
from tixpilot.services.purchases import PurchaseRepos


def _repos() -> IntakeRepos:
    # Cheap: repositories create no client; the boto3 clients are cached per container (tixpilot.aws).
    return IntakeRepos(
        domains=DomainRepository(),
        receipts=ReceiptRepository(),
        purchases=PurchaseRepos(purchases=PurchaseRepository(), sequences=SequenceRepository()),
        pipeline=StepFunctionsPipeline(),
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=SESEvent)
def lambda_handler(event: SESEvent, context: LambdaContext) -> dict[str, Any]:
    repos, raw_store = _repos(), RawMailStore()
    recorded = []
    for record in event.records:
        mail = inbound_mail(record.ses.mail)
        raw_key = RAW_PREFIX + mail.transport_id
        for receipt in receive_mail(repos, mail, raw_key, raw_store.get(raw_key)):
            metrics.add_metric(name=f"Receipts_{receipt.status}", unit=MetricUnit.Count, value=1)
            recorded.append({"tenant_id": receipt.tenant_id, "status": receipt.status, "rid": receipt.rid})
    return {"recorded": recorded}
