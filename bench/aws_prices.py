"""AWS list prices the cost model (bench/cost.py) multiplies its counts by: us-east-1, on-demand,
no free tier, in USD.

Source: the public pricing pages of each service (aws.amazon.com/<service>/pricing), as they
stood on 2025-06-01 — DynamoDB on-demand after its 2024-11-01 price cut, Lambda for Arm
(Graviton), which is what infra/cdk deploys. Written down by hand: the benchmark never fetches
prices (no network), so check the pages before quoting a figure to anyone, and change the date
below with any number.
"""

from __future__ import annotations

PRICES_AS_OF = "2025-06-01"
REGION = "us-east-1"

PRICES: dict[str, float] = {
    # Step Functions Standard: per state transition ($0.025 per 1,000; retries count)
    "sfn_standard_transition": 0.025 / 1_000,
    # Step Functions Express: per request, and per GB-second (64 MB steps, 100 ms rounding)
    "sfn_express_request": 1.00 / 1_000_000,
    "sfn_express_gb_s": 0.00001667,
    # Lambda on Arm: per request, per GB-second of duration (1 ms rounding)
    "lambda_request": 0.20 / 1_000_000,
    "lambda_arm_gb_s": 0.0000133334,
    # DynamoDB on-demand, Standard table class: per write / read request unit
    "dynamodb_wru": 0.625 / 1_000_000,
    "dynamodb_rru": 0.125 / 1_000_000,
    # S3 Standard requests
    "s3_put": 0.005 / 1_000,  # PUT, COPY, POST, LIST
    "s3_get": 0.0004 / 1_000,  # GET, HEAD and the rest
    # SQS standard queues: per request (each 64 KB of a payload is one request)
    "sqs_request": 0.40 / 1_000_000,
    # SES inbound: per message received, and per 256 KB chunk of it
    "ses_inbound_message": 0.10 / 1_000,
    "ses_inbound_chunk": 0.09 / 1_000,
    # API Gateway REST API: per request (first 333 million a month)
    "apigw_rest_request": 3.50 / 1_000_000,
    # KMS: per API request (Encrypt, Decrypt, GenerateDataKey, ...)
    "kms_request": 0.03 / 10_000,
}
