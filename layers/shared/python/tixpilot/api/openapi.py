"""The OpenAPI document of the whole API, generated from every router's definitions.

`make openapi` writes it to docs/openapi.json, the file GET /openapi.json serves (the function's
asset carries a copy, FunctionDef.files); `--check` (in `make lint`) fails when that file no
longer matches the code.
"""

from __future__ import annotations

import importlib
import json
from functools import lru_cache
from typing import Any

from tixpilot.api.app import build_app
from tixpilot.api.schemas import ErrorEnvelope

# Every router module of the API; a new resource group is added here and in the definitions.
ROUTER_MODULES = (
    "tixpilot.api.routes.reference",
    "tixpilot.api.routes.domains",
    "tixpilot.api.routes.purchases",
    "tixpilot.api.routes.receipts",
    "tixpilot.api.routes.sales",
    "tixpilot.api.routes.sales_decisions",
    "tixpilot.api.routes.crawl",
    "tixpilot.api.routes.accounts",
    "tixpilot.api.routes.settings",
    "tixpilot.api.routes.inventory",
    "tixpilot.api.routes.purchases_actions",
    "tixpilot.api.routes.marketplace_oi",
    "tixpilot.api.routes.marketplace_oi_tickets",
    "tixpilot.api.routes.marketplace_ion",
    "tixpilot.api.routes.marketplace_ion_reads",
    "tixpilot.api.routes.webhooks",
)

TITLE = "TixPilot API (1Ticket compatible)"
VERSION = "2.0.0"
DESCRIPTION = (
    "Every endpoint of the legacy 1Ticket API, same paths, parameters and envelope, plus TixPilot "
    "extensions. Authenticate with the `x-api-token` header."
)


@lru_cache(maxsize=1)
def openapi_document() -> str:
    """The whole API's OpenAPI document as JSON (built once per container)."""
    routers = [importlib.import_module(name).router for name in ROUTER_MODULES]
    # include_router points each router at the app including it; put them back afterwards so
    # the functions' own apps (in the same process locally) keep their routers.
    owners = [router.api_resolver for router in routers]
    app = build_app(*routers)
    for router, owner in zip(routers, owners, strict=True):
        router.api_resolver = owner
    document = app.get_openapi_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes={
            "apiToken": {"type": "apiKey", "in": "header", "name": "x-api-token"},  # type: ignore[dict-item]
            "marketplaceKey": {"type": "apiKey", "in": "header", "name": "x-marketplace-key"},  # type: ignore[dict-item]
        },
        security=[{"apiToken": []}],
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(_legacy_errors(document), indent=2, sort_keys=True) + "\n"


_ERRORS = {
    "400": "Malformed parameter (E_PARAM): the message names it and the accepted form",
    "401": "Missing or invalid x-api-token (E_AUTH)",
    "404": "Not found (E_NOT_FOUND)",
    "500": "Internal error (E_INTERNAL), with a request id to quote",
}


def _legacy_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools documents validation failures as FastAPI-style 422s; TixPilot answers every
    error in the legacy envelope instead, so the document says that."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["ErrorEnvelope"] = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schemas["ErrorEnvelope"].pop("$defs", {}))
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, description in _ERRORS.items():
                responses.setdefault(status, {"description": description, "content": ref})
    return document


def main(argv: list[str] | None = None) -> int:
    """`--write PATH` regenerates the committed document; `--check PATH` fails when it drifted."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path)
    mode.add_argument("--check", type=Path)
    args = parser.parse_args(argv)
    document = openapi_document()
    if args.write:
        args.write.write_text(document)
        return 0
    if not args.check.exists() or args.check.read_text() != document:
        print(f"{args.check} is out of date with the code; run `make openapi` and commit it")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
