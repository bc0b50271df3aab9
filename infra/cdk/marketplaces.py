"""The marketplace poller: a function EventBridge invokes every POLL_SCHEDULE_MINUTES.

Each run polls every due feed (the feeds' own rate limits are kept in the marketplace_polls
table, so overlapping runs cannot exceed them). A failed run is not retried: the next tick does
the same work, and the function's error alarm reports it. The marketplace webhooks' function is
an API function (infra/cdk/api.py).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.cdk.config import EnvConfig
from infra.cdk.functions import SharedLayers, TixPilotFunction
from infra.definitions.functions import MARKETPLACE_POLLER, POLL_SCHEDULE_MINUTES


class MarketplacePoller(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvConfig, layers: SharedLayers
    ) -> None:
        super().__init__(scope, construct_id)
        definition = MARKETPLACE_POLLER
        self.function = TixPilotFunction(
            self,
            definition.id,
            definition=definition,
            config=config,
            layers=layers,
            retry_attempts=0,
            max_event_age=Duration.minutes(POLL_SCHEDULE_MINUTES),
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"{self.function.function_name} every {POLL_SCHEDULE_MINUTES} min",
            schedule=events.Schedule.rate(Duration.minutes(POLL_SCHEDULE_MINUTES)),
            targets=[
                targets.LambdaFunction(
                    self.function.function,
                    retry_attempts=0,
                    max_event_age=Duration.minutes(POLL_SCHEDULE_MINUTES),
                )
            ],
        )
