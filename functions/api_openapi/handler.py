"""GET /openapi.json: the OpenAPI document of the whole API, public (no token).

The document is the committed `docs/openapi.json`, generated from every router's definitions by
`make openapi` (`make lint` and a unit test fail when it drifts from the code). The function
serves that file as it is: building the document on a cold start meant importing every router
and pydantic's schema generation for one static answer (bench/cold_start.py). Its asset carries
a copy beside this module (`FunctionDef.files`); run from the repository, it reads docs/.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tixpilot.api.handler import api_handler
from tixpilot.deferred import deferred

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

_HERE = Path(__file__).resolve().parent
DOCUMENT = next(
    (p for p in (_HERE / "openapi.json", _HERE.parents[1] / "docs" / "openapi.json") if p.is_file()),
    _HERE / "openapi.json",
)
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
