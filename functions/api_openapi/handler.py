"""GET /openapi.json: the OpenAPI document of the whole API, public (no token).

The document is the committed `openapi.json` beside this module, generated from every router's
definitions by `make openapi` (`make lint` and a unit test fail when it drifts from the code).
The function serves that file as it is: building the document on a cold start meant importing
every router and pydantic's schema generation for one static answer (bench/cold_start.py).
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tixpilot.api.handler import api_handler
from tixpilot.deferred import deferred

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

DOCUMENT = Path(__file__).with_name("openapi.json")
PATH = "/openapi.json"


@deferred
def document() -> str:
    """The committed document, read once per container."""
    return DOCUMENT.read_text(encoding="utf-8")


@api_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if (event.get("path") or "").rstrip("/") != PATH or event.get("httpMethod") != "GET":
        # The gateway sends this function GET /openapi.json only; anything else is answered as
        # the API's other functions answer an unknown path.
        from tixpilot.api.app import not_found

        return not_found(event)
    return {
        "statusCode": HTTPStatus.OK,
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "body": document(),
        "isBase64Encoded": False,
    }
