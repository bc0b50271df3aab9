"""The reference data is consistent, and the committed OpenAPI document matches the code."""

from __future__ import annotations

import json
from pathlib import Path

from infra.definitions.functions import FUNCTIONS
from infra.definitions.tables import TABLES
from infra.local.lambdas import LocalContext
from tests.events import api_event
from tixpilot.api.openapi import ROUTER_MODULES, openapi_document
from tixpilot.data import reference

ROOT = Path(__file__).resolve().parents[2]


def test_reference_data_is_valid():
    reference.validate()
    buying = {m["id"]: m for m in reference.BUYING_MARKETPLACES}
    assert buying[1]["name"] == "Ticketmaster" and buying[359]["password_required"] is True


def test_the_committed_openapi_document_is_current():
    committed = ROOT / "docs" / "openapi.json"
    assert committed.read_text() == openapi_document(), "run `make openapi`"


def test_the_openapi_function_serves_the_committed_document_and_nothing_else():
    from functions.api_openapi import handler

    lambda_context = LocalContext(FUNCTIONS["api_openapi"])

    answer = handler.lambda_handler(api_event("GET", "/openapi.json"), lambda_context)
    assert answer["statusCode"] == 200
    assert answer["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert json.loads(answer["body"]) == json.loads(openapi_document())
    for method, path in (("GET", "/openapi.yaml"), ("POST", "/openapi.json")):
        answer = handler.lambda_handler(api_event(method, path), lambda_context)
        assert answer["statusCode"] == 404, (method, path)
        assert json.loads(answer["body"])["result"]["messageid"] == "E_NOT_FOUND"


def test_every_api_route_is_in_the_openapi_document_and_vice_versa():
    document = json.loads(openapi_document())
    routed = {
        (r.method.lower(), r.path) for f in FUNCTIONS.values() for r in f.routes if r.path != "/openapi.json"
    }
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert routed == documented
    # ... and no router module of the package is left out of the document's list.
    routes = ROOT / "layers" / "shared" / "python" / "tixpilot" / "api" / "routes"
    assert set(ROUTER_MODULES) == {f"tixpilot.api.routes.{m.stem}" for m in routes.glob("[!_]*.py")}


def test_every_route_is_served_by_the_group_its_function_loads_for_it():
    """A function may split its routers in groups by path prefix (tixpilot.api.handler): each route
    the API sends it must be in the group its handler picks for that route, else it would be a 404."""
    import importlib

    from tixpilot.api.handler import group_for

    checked = 0
    for function in FUNCTIONS.values():
        module = importlib.import_module(function.module)
        groups = getattr(module, "ROUTES", None) or (
            {"": module.routers} if hasattr(module, "routers") else None
        )
        if groups is None:  # served without routers (the OpenAPI document, the public webhooks)
            continue
        served = set()
        for route in function.routes:
            routers = groups[group_for(groups, route.path)]()
            rule = route.path.replace("{", "<").replace("}", ">")
            assert any(
                rule == key[0] and route.method in key[1] for router in routers for key in router._routes
            ), (function.id, route)
            served.add((route.method, rule))
        everything = {
            (m, key[0]) for load in groups.values() for r in load() for key in r._routes for m in key[1]
        }
        assert everything == served, function.id  # and nothing the API does not send it
        checked += len(served)
    assert checked > 30


def test_every_function_folder_exists_and_every_table_a_function_uses_is_defined():
    for function in FUNCTIONS.values():
        assert (ROOT / "functions" / function.id / "handler.py").exists()
        assert set(function.tables) <= set(TABLES)
