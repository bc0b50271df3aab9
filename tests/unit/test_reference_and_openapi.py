"""The reference data is consistent, and the committed OpenAPI document matches the code."""

from __future__ import annotations

import json
from pathlib import Path

from infra.definitions.functions import FUNCTIONS
from infra.definitions.tables import TABLES
from tixpilot.api.openapi import ROUTER_MODULES, openapi_document
from tixpilot.data import reference

ROOT = Path(__file__).resolve().parents[2]


def test_reference_data_is_valid():
    reference.validate()
    buying = {m["id"]: m for m in reference.BUYING_MARKETPLACES}
    assert buying[1]["name"] == "Ticketmaster" and buying[359]["password_required"] is True


def test_the_committed_openapi_document_is_current():
    assert (ROOT / "docs" / "openapi.json").read_text() == openapi_document(), "run `make openapi`"


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


def test_every_function_folder_exists_and_every_table_a_function_uses_is_defined():
    for function in FUNCTIONS.values():
        assert (ROOT / "functions" / function.id / "handler.py").exists()
        assert set(function.tables) <= set(TABLES)
