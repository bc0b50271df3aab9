"""What the API gateway answers on its own, without running a function: a path no route has
(404) and a method a path does not take (405). The CDK app declares these as gateway responses
and mock methods, the local gateway answers them itself; both take the words from here, and
the error envelope is the one the functions answer with."""

from __future__ import annotations

import json
from collections.abc import Iterable

from infra.definitions.functions import FunctionDef, api_functions


def allowed_methods(functions: Iterable[FunctionDef] | None = None) -> dict[str, tuple[str, ...]]:
    """Route path -> the methods it takes, sorted (what a 405's Allow header lists)."""
    paths: dict[str, set[str]] = {}
    for function in api_functions() if functions is None else functions:
        for route in function.routes:
            paths.setdefault(route.path, set()).add(route.method)
    return {path: tuple(sorted(methods)) for path, methods in paths.items()}


def envelope(messageid: str, message: str) -> str:
    """The API's error envelope as JSON text."""
    result = {"status": "error", "message": message, "messageid": messageid}
    return json.dumps({"result": result, "output": []})


def no_endpoint(path: str) -> str:
    return f"no endpoint {path}; see /openapi.json"


def method_not_allowed(path: str, allowed: Iterable[str], method: str) -> str:
    """`path` is the route's path as declared (`/oi/v1/orders/{order_id}/release`)."""
    return f"{path} accepts {', '.join(allowed)}, not {method}; see /openapi.json"


NOT_FOUND_ID = "E_NOT_FOUND"
NOT_ALLOWED_ID = "E_METHOD"
