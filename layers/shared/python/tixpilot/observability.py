"""One Logger, Tracer and Metrics per container, shared by every handler."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "tixpilot"

logger = Logger(service=SERVICE)
# Only botocore is patched: every outside call we make goes through it, and patch_all would
# import and patch a dozen libraries we never use (~90 ms of every cold start, measured by
# bench/cold_start.py).
tracer = Tracer(service=SERVICE, patch_modules=("botocore",))
metrics = Metrics(namespace="TixPilot", service=SERVICE)
