"""Deployed in place of a function whose folder under functions/ does not exist yet.

It answers every call with the API's error envelope, so a half-built stack fails loudly
instead of silently dropping requests or emails.
"""

import json
import os
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "this function")
    message = f"{name} is not deployed yet: its code folder was missing at synth time."
    if "Records" in event:  # SES and other async callers: fail, so the event lands in the DLQ
        raise RuntimeError(message)
    body = {"result": {"status": "error", "message": message, "messageid": "E_INTERNAL"}, "output": []}
    return {"statusCode": 503, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
