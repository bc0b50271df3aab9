"""One thin stack set per environment: Data, Api, Intake (email, pipeline, marketplace poller),
Monitoring.

Everything stateful (tables, buckets, queues, keys) lives in Data and is never referenced through
CloudFormation exports: the other stacks address it by its derived name (`constants`), so a
FunctionDef may gain or lose a table without the cross-stack export lock that would otherwise
block the deploy, and Api/Intake/Monitoring can be replaced without touching any data.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Environment, Stack, Tags
from constructs import Construct

from infra.cdk import constants
from infra.cdk.api import Api
from infra.cdk.config import EnvConfig
from infra.cdk.functions import SharedLayers
from infra.cdk.intake import EmailIntake, ses_delivery_statement
from infra.cdk.keys import Keys
from infra.cdk.marketplaces import MarketplacePoller
from infra.cdk.monitoring import Monitoring
from infra.cdk.pipeline import PurchasePipeline
from infra.cdk.queues import Queues
from infra.cdk.secrets import Secrets
from infra.cdk.storage import Storage
from infra.cdk.tables import Tables
from infra.cdk.workers import QueueWorkers
from infra.definitions.functions import FUNCTIONS
from infra.definitions.tables import QUEUES


class _TixPilotStack(Stack):
    def __init__(self, scope: Construct, concern: str, *, config: EnvConfig, description: str) -> None:
        super().__init__(
            scope,
            constants.stack_name(config.name, concern),
            env=Environment(account=config.account, region=config.region),
            description=f"TixPilot {config.name}: {description}",
            termination_protection=config.retain,
            analytics_reporting=False,
        )
        Tags.of(self).add("project", constants.PROJECT)
        Tags.of(self).add("environment", config.name)


class DataStack(_TixPilotStack):
    def __init__(self, scope: Construct, *, config: EnvConfig) -> None:
        super().__init__(scope, "Data", config=config, description="tables, buckets, queues and keys")
        self.tables = Tables(self, "Tables", config=config)
        self.storage = Storage(self, "Storage", config=config)
        self.queues = Queues(self, "Queues", config=config)
        self.keys = Keys(self, "Keys", config=config)
        self.secrets = Secrets(self, "Secrets", config=config)
        raw_email = self.storage.buckets[constants.RAW_EMAIL_BUCKET]
        raw_email.add_to_resource_policy(ses_delivery_statement(raw_email.bucket_arn, self, config))


class ApiStack(_TixPilotStack):
    def __init__(self, scope: Construct, *, config: EnvConfig) -> None:
        super().__init__(scope, "Api", config=config, description="API Gateway and the API functions")
        layers = SharedLayers(self, "Layers")
        self.api = Api(self, "Api", config=config, layers=layers)
        CfnOutput(self, "ApiUrl", value=self.api.url)


class IntakeStack(_TixPilotStack):
    def __init__(self, scope: Construct, *, config: EnvConfig) -> None:
        super().__init__(
            scope,
            "Intake",
            config=config,
            description="SES inbound email, intake, purchase pipeline, marketplace sales (poller, workers)",
        )
        layers = SharedLayers(self, "Layers")
        self.intake = EmailIntake(self, "EmailIntake", config=config, layers=layers)
        self.pipeline = PurchasePipeline(self, "PurchasePipeline", config=config, layers=layers)
        self.workers = QueueWorkers(self, "QueueWorkers", config=config, layers=layers)
        self.poller = MarketplacePoller(self, "MarketplacePoller", config=config, layers=layers)


class MonitoringStack(_TixPilotStack):
    def __init__(self, scope: Construct, *, config: EnvConfig, api: ApiStack, intake: IntakeStack) -> None:
        super().__init__(scope, "Monitoring", config=config, description="alarms and their SNS topic")
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            function_ids=sorted(FUNCTIONS),
            dead_letter_queue_names=[
                constants.queue_name(config.name, constants.INTAKE_DLQ),
                *(constants.dead_letter_queue_name(config.name, queue_id) for queue_id in QUEUES),
            ],
            api_name=constants.api_name(config.name),
            api_stage=api.api.stage_name,
        )


@dataclass(frozen=True)
class TixPilotStacks:
    data: DataStack
    api: ApiStack
    intake: IntakeStack
    monitoring: MonitoringStack

    def all(self) -> list[Stack]:
        return [self.data, self.api, self.intake, self.monitoring]


def build_stacks(scope: Construct, config: EnvConfig) -> TixPilotStacks:
    data = DataStack(scope, config=config)
    api = ApiStack(scope, config=config)
    intake = IntakeStack(scope, config=config)
    monitoring = MonitoringStack(scope, config=config, api=api, intake=intake)
    # Name-based references carry no implicit ordering: tables before the functions that use
    # them, alarms after what they watch.
    api.add_stack_dependency(data)
    intake.add_stack_dependency(data)
    monitoring.add_stack_dependency(api)
    monitoring.add_stack_dependency(intake)
    return TixPilotStacks(data=data, api=api, intake=intake, monitoring=monitoring)
