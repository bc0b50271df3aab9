"""The one way tests load the real-shaped sample events under events/."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parent.parent / "events"


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())  # type: ignore[no-any-return]


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of events/<name> (e.g. "api/get_verify.json")."""
    return copy.deepcopy(_load(name))


def api_event(
    method: str,
    path: str,
    *,
    token: str | None = None,
    query: dict[str, str] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """A REST API proxy event shaped like events/api/get_verify.json for another request."""
    event = load_event("api/get_verify.json")
    event.update(httpMethod=method, path=path, resource=path.rstrip("/") or "/", body=body)
    event["requestContext"].update(httpMethod=method, resourcePath=event["resource"], path=f"/prod{path}")
    for headers in (event["headers"], event["multiValueHeaders"]):
        headers.pop("x-api-token")
    if token is not None:
        event["headers"]["x-api-token"] = token
        event["multiValueHeaders"]["x-api-token"] = [token]
    event["queryStringParameters"] = query or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    return event
