"""SES inbound: the raw message is already in S3 (the rule's first action); record it."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import SESEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.adapters.ses import RAW_PREFIX, inbound_mail
from tixpilot.observability import logger, metrics, tracer
from tixpilot.repositories.domains import DomainRepository
from tixpilot.repositories.receipts import ReceiptRepository
from tixpilot.services.intake import IntakeRepos, receive_mail


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=SESEvent)
def lambda_handler(event: SESEvent, context: LambdaContext) -> dict[str, Any]:
    repos = IntakeRepos(domains=DomainRepository(), receipts=ReceiptRepository())
    recorded = []
    for record in event.records:
        mail = inbound_mail(record.ses.mail)
        for receipt in receive_mail(repos, mail, RAW_PREFIX + mail.transport_id):
            logger.info("mail recorded", extra={"tenant_id": receipt.tenant_id, "status": receipt.status})
            recorded.append({"tenant_id": receipt.tenant_id, "status": receipt.status})
    return {"recorded": recorded}
