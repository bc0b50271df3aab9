"""The queue workers: every function of `infra.definitions.FUNCTIONS` that `consumes` a queue,
each invoked by its queues' event source mappings (partial batch failures reported)."""

from __future__ import annotations

from constructs import Construct

from infra.cdk.config import EnvConfig
from infra.cdk.functions import SharedLayers, TixPilotFunction
from infra.definitions.functions import FUNCTIONS


def worker_ids() -> list[str]:
    return sorted(f.id for f in FUNCTIONS.values() if f.consumes)


class QueueWorkers(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvConfig, layers: SharedLayers
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions = {
            function_id: TixPilotFunction(
                self, function_id, definition=FUNCTIONS[function_id], config=config, layers=layers
            )
            for function_id in worker_ids()
        }
