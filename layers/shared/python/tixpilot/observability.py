"""One Logger and Metrics per container, shared by every handler.

No X-Ray SDK tracer: every function runs with Lambda's active tracing (infra/cdk/functions.py),
which records each invocation (init, invocation, overhead) and joins it to API Gateway's and Step
Functions' traces. The SDK would add a subsegment per AWS call, at ~40 ms of every cold start
(its import alone; bench/cold_start.py) — docs/decision-log.md.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "tixpilot"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="TixPilot", service=SERVICE)
