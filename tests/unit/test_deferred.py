"""Deferred loading: a function's code is imported on its first invocation, or at init when the
container is pre-initialized; importing a handler module never loads the heavy parts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from infra.definitions.functions import FUNCTIONS
from tixpilot.deferred import Deferred, deferred

ROOT = Path(__file__).resolve().parents[2]
# What a handler's first request needs but its import must not load.
HEAVY = (
    "pydantic",
    "aws_lambda_powertools.event_handler",
    "aws_xray_sdk",
    "tixpilot.models",
    "tixpilot.services",
)


def test_the_loader_runs_once_however_many_threads_ask_first():
    calls: list[int] = []
    started = threading.Event()

    def load() -> object:
        calls.append(1)
        started.wait(0.05)  # let the other threads pile up on the lock
        return object()

    loader = Deferred(load)
    assert not loader.loaded
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(loader())) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and loader.loaded
    assert len({id(r) for r in results}) == 1


@pytest.mark.parametrize(
    ("initialization", "loaded_at_import"),
    [(None, False), ("on-demand", False), ("provisioned-concurrency", True), ("snap-start", True)],
)
def test_pre_initialized_containers_load_at_init(monkeypatch, initialization, loaded_at_import):
    if initialization is None:
        monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    else:
        monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", initialization)
    loads: list[int] = []
    loader = deferred(lambda: loads.append(1) or "app")
    assert loader.loaded is loaded_at_import and len(loads) == int(loaded_at_import)
    assert loader() == "app" and len(loads) == 1


def _modules_after_import(module: str, initialization: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_INITIALIZATION_TYPE"}
    env.update(AWS_DEFAULT_REGION="us-east-1", TIXPILOT_ENV="test")
    if initialization:
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = initialization
    code = (
        f"import importlib, json, sys; importlib.import_module({module!r}); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_importing_a_handler_loads_none_of_what_only_requests_need(function_id):
    loaded = _modules_after_import(FUNCTIONS[function_id].module, None)
    assert [m for m in loaded if m.startswith(HEAVY)] == []


def test_a_provisioned_container_has_its_routes_loaded_before_the_first_request():
    loaded = _modules_after_import(FUNCTIONS["api_purchases"].module, "provisioned-concurrency")
    assert "tixpilot.api.routes.purchases" in loaded
    assert "aws_lambda_powertools.event_handler" in loaded


def test_work_queued_for_later_runs_once_in_order_and_a_failure_does_not_stop_the_rest(caplog):
    from tixpilot.deferred import later, run_later

    ran: list[str] = []

    def fail() -> None:
        ran.append("fail")
        raise RuntimeError("cap raise failed")

    later(lambda: ran.append("first"))
    later(fail)
    later(lambda: ran.append("last"))
    run_later()
    run_later()  # nothing left
    assert ran == ["first", "fail", "last"]


@pytest.mark.parametrize("kind", ["api", "task", "recrawl", "intake", "ion", "fulfillment", "poller"])
def test_every_handler_runs_the_queued_work_after_its_own(kind):
    """Every kind of handler ends by running what `later` queued (the name-cap raises), also when
    its own work failed: that is also where a cold start's hold on garbage collection ends."""
    from types import SimpleNamespace

    from tixpilot import deferred as module
    from tixpilot.api.handler import api_function
    from tixpilot.tasks import (
        fulfillment_worker_function,
        intake_function,
        ion_worker_function,
        marketplace_poller_function,
        pipeline_task,
        recrawl_function,
    )

    ran: list[str] = []

    def work() -> object:
        module.later(lambda: ran.append("later"))
        raise LookupError("the invocation's own work failed")

    handler = {
        "api": lambda: api_function(lambda: []),
        "task": lambda: pipeline_task("crawl"),
        "recrawl": recrawl_function,
        "intake": intake_function,
        "ion": ion_worker_function,
        "fulfillment": fulfillment_worker_function,
        "poller": marketplace_poller_function,
    }[kind]()
    context = SimpleNamespace(
        function_name="f",
        function_version="1",
        memory_limit_in_mb=128,
        aws_request_id="r",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
    )
    with pytest.MonkeyPatch.context() as patch:
        if kind == "api":
            patch.setattr("tixpilot.api.app.resolve", lambda *a, **k: work())
        else:
            patch.setattr(Deferred, "__call__", lambda self: lambda *args: work())
        with pytest.raises(LookupError):
            handler({}, context)
    assert ran == ["later"]


def test_a_lambda_cold_start_holds_garbage_collection_until_its_first_invocation_ends():
    """In a Lambda container the handler's import holds collection; the first invocation's end
    freezes what the cold start made and lets collection run again (a fresh interpreter, so
    this test's own process keeps its collector)."""
    code = """
import gc, importlib, json
module = importlib.import_module("functions.api_openapi.handler")
held = not gc.isenabled()
from infra.local.lambdas import LocalContext
from infra.definitions.functions import FUNCTIONS
from tests.events import api_event
context = LocalContext(FUNCTIONS["api_openapi"])
status = module.lambda_handler(api_event("GET", "/openapi.json"), context)["statusCode"]
print(json.dumps([held, status, gc.isenabled(), gc.get_freeze_count() > 1000]))
"""
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_INITIALIZATION_TYPE"}
    env.update(AWS_DEFAULT_REGION="us-east-1", TIXPILOT_ENV="test", POWERTOOLS_METRICS_DISABLED="1")
    for task_root, expected in ((str(ROOT), [True, 200, True, True]), (None, [False, 200, True, False])):
        env.pop("LAMBDA_TASK_ROOT", None)
        if task_root:
            env["LAMBDA_TASK_ROOT"] = task_root
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        assert json.loads(out.stdout.strip().splitlines()[-1]) == expected, task_root


def test_under_snapstart_the_aws_clients_are_made_anew_after_each_restore(monkeypatch):
    """The routes load before the snapshot; the clients made then are dropped after a restore
    (the runtime's snapshot_restore_py hook), so no container reuses the snapshot's connections."""
    import types

    from tixpilot import aws
    from tixpilot import deferred as module

    hooks: list[object] = []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_after_restore = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    monkeypatch.setattr(module, "_registered", [])
    loads: list[int] = []
    loader = deferred(lambda: loads.append(1))
    deferred(lambda: loads.append(2))
    assert loader.loaded and loads == [1, 2]  # at init, before the snapshot
    assert hooks == [aws.reset]  # once, however many loaders
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    before = aws.client("sqs")
    hooks[0]()
    assert aws.client("sqs") is not before


def test_modules_defining_pydantic_models_do_not_postpone_their_annotations():
    """A postponed annotation is a string pydantic evaluates again for every field of every model
    (decision log 63): about a third of the cost of defining the models a first request loads.
    Route modules do postpone theirs: Powertools then evaluates a route's signature (its
    `Envelope[...]` specializations) for the routes called only, which saves more than their few
    models cost. Services keep theirs (they name classes defined further down)."""
    from pydantic import BaseModel

    shared = ROOT / "layers" / "shared" / "python"
    postponing = []
    for path in sorted((shared / "tixpilot").rglob("*.py")):
        module_name = ".".join(path.relative_to(shared).with_suffix("").parts)
        source = path.read_text()
        if "from __future__ import annotations" not in source or module_name.startswith(
            ("tixpilot.services", "tixpilot.api.routes")
        ):
            continue
        module = __import__(module_name, fromlist=["_"])
        defines_models = any(
            isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module_name
            for value in vars(module).values()
        )
        if defines_models:
            postponing.append(module_name)
    assert postponing == []
