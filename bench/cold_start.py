"""Cold start: each handler's import-and-init time vs `import boto3; boto3.client("dynamodb")`.

Each sample is a fresh interpreter (as a Lambda cold start is), measured from inside it so the
interpreter's own start-up is excluded; every handler sample is paired with a baseline sample
taken right before or after it, so load that comes and goes hits both sides alike. A figure is
the median of those per-pair ratios over the rounds, with their spread beside it and the fastest
handler sample over the fastest baseline (`*_fastest`, an extreme value: one lucky baseline
sample moves it; it moved 15% between two runs where the medians moved a few percent). Never
absolute targets.

Two figures per function, from the same interpreter:
- `init` (the issue's `cold_start_ratio_max`): importing the handler module — Lambda's init —
  and creating the DynamoDB client, vs the bare boto3 baseline;
- `first_request` (API functions): init plus one authenticated request against a local moto
  server, vs the baseline plus one GetItem (the least a function reading DynamoDB does). Our
  handlers load their routes, pydantic and the resolver on the first request (tixpilot.deferred),
  so this is where that work shows; it is reported next to `init` so none of it is hidden.

Both sides run with bytecode, as deployed (both layers and the handlers ship it), compiled into a
temporary cache by a warm-up round. The handlers hold garbage collection until their first
invocation ends (tixpilot.deferred); `first_request_ratio_max_collecting` is the same figure
with collection running as usual, so that lever shows apart from the others.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import save
from bench.local_aws import emulator_environment
from bench.stats import paired_ratio
from infra.cdk.constants import RUNTIME_ENVIRONMENT
from infra.definitions.functions import API_REFERENCE, FUNCTIONS, FunctionDef

_PROBE = """
import json, sys, time
from types import SimpleNamespace
request = json.loads(sys.stdin.read())
t0 = time.perf_counter()
{init}
t1 = time.perf_counter()
context = SimpleNamespace(function_name="bench", function_version="$LATEST", memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:bench",
    aws_request_id="bench", log_group_name="/aws/lambda/bench", log_stream_name="bench")
t2 = time.perf_counter()
{request}
t3 = time.perf_counter()
print(json.dumps({{"init": t1 - t0, "first_request": (t1 - t0) + (t3 - t2), "status": status}}))
"""

BASELINE_INIT = "import boto3; client = boto3.client('dynamodb')"
BASELINE_REQUEST = (
    "client.get_item(TableName=request['table'], Key={'token_hash': {'S': 'bench'}}); status = 200"
)
# Import the handler module (what Lambda's init does) and create the clients its first request
# needs; nothing else.
HANDLER_INIT = (
    "import importlib; module = importlib.import_module({module!r}); from tixpilot import aws; aws.dynamodb()"
)
# The same with garbage collection running as usual through the cold start (tixpilot.deferred
# holds it from the handler's import to the end of its first invocation): to show that lever apart.
HANDLER_INIT_COLLECTING = "from tixpilot import deferred; deferred.release_collection(); " + HANDLER_INIT
# The least any API function on this stack does (docs/decision-log.md 61): Powertools' logger and
# metrics at init; on the first request a REST resolver with validation, one route with one
# query parameter answering a one-field pydantic model, after one GetItem (the token's). Garbage
# collection as usual: compare it with `first_request_ratio_max_collecting`.
FLOOR_INIT = (
    "from aws_lambda_powertools import Logger, Metrics; import boto3; client = boto3.client('dynamodb')"
)
FLOOR_REQUEST = """
from typing import Annotated
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel
class Out(BaseModel):
    status: str
app = APIGatewayRestResolver(enable_validation=True)
@app.get(request['path'])
def route(limit: Annotated[int, Query()] = 10) -> Out:
    return Out(status='ok')
client.get_item(TableName=request['table'], Key={'token_hash': {'S': 'bench'}})
status = app.resolve(request['event'], context)['statusCode']
"""
HANDLER_REQUEST = "status = module.lambda_handler(request['event'], context)['statusCode'] if request else 0"


def _sample(init: str, request_code: str, request: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    code = _PROBE.format(init=init, request=request_code)
    out = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(request), capture_output=True, text=True, env=env
    )
    if out.returncode != 0:
        raise RuntimeError(f"cold start probe failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def lambda_like_env(endpoint: str, pycache: str) -> dict[str, str]:
    """What a deployed function sees: region, credentials, metrics switched on, the environment
    every function is deployed with (`RUNTIME_ENVIRONMENT`); the endpoint of the
    local emulator the first requests go to (baseline and handlers alike); bytecode, as both
    layers ship it (infra/cdk/dependency_layer.py), kept in `pycache` rather than beside the
    sources (a warm-up round writes it before any sample is taken)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_ENDPOINT_URL=endpoint,
        TIXPILOT_ENV="bench",
        POWERTOOLS_SERVICE_NAME="tixpilot",
        POWERTOOLS_METRICS_NAMESPACE="TixPilot",
        POWERTOOLS_LOG_LEVEL="WARNING",
        AWS_LAMBDA_INITIALIZATION_TYPE="on-demand",
        # Powertools treats a process with this variable as running in Lambda.
        LAMBDA_TASK_ROOT=str(Path(__file__).resolve().parent.parent),
        **RUNTIME_ENVIRONMENT,
    )
    env.pop("POWERTOOLS_METRICS_DISABLED", None)
    return env


# Resale marketplaces whose keys the first requests carry: one per integration (its endpoints
# refuse the other's keys with a 403 before doing any work).
OI_MARKETPLACE = 16  # TickPick
ION_MARKETPLACE = 27  # SeatSmart, generic v1


def _first_request(function: FunctionDef, token: str, keys: dict[str, str]) -> dict[str, Any] | None:
    """An authenticated request to the function's first GET route (else its first route, with an
    empty JSON body), answered through the resolver past authentication: a 400 or 404 is as good
    as a 200 for this purpose, a 401 or 403 is not (`_check_status`). /oi/v1 and /ion/v1 carry a
    key of a marketplace integrating that way. The webhook route's proof is the marketplace's own
    (a registered Authorization value): its request is a StubHub delivery from an account no
    tenant connected, refused with a 401 after the lookup, the most an unconnected stack serves."""
    from tests.events import api_event

    if not function.routes:
        return None
    route = next((r for r in function.routes if r.method == "GET"), function.routes[0])
    path = route.path.replace("{order_id}", "1").replace("{marketplace}", "stubhub")
    body = None if route.method == "GET" else "{}"
    if function.id == "marketplace_webhooks":
        event = api_event(route.method, path, body=body)
        event["headers"]["Authorization"] = "Bearer bench"
        event["multiValueHeaders"]["Authorization"] = ["Bearer bench"]
        return event
    integration = {"marketplace_oi": "oi", "marketplace_ion": "ion"}.get(function.id)
    if integration:
        event = api_event(route.method, path, body=body)
        event["headers"]["x-marketplace-key"] = keys[integration]
        event["multiValueHeaders"]["x-marketplace-key"] = [keys[integration]]
        return event
    return api_event(route.method, path, token=token, body=body)


def _check_status(function: FunctionDef, status: int) -> None:
    """A first request must reach the route's own work: served (2xx) or refused by the route (4xx),
    never stopped at authentication (but the webhook's, see `_first_request`) or failing (5xx)."""
    refused_at_the_door = status in (401, 403) and function.id != "marketplace_webhooks"
    if refused_at_the_door or not 200 <= status < 500:
        raise RuntimeError(f"{function.id}: first request answered {status}")


def _seed() -> tuple[str, dict[str, str], str]:
    """Tables, a tenant with an API token and an OI and an ION marketplace key, in the running
    emulator."""
    from infra.local.resources import ensure_resources
    from infra.local.seed import admin_repos
    from tixpilot import aws
    from tixpilot.services.tenants import create_marketplace_key, create_tenant
    from tixpilot.settings import get_settings

    ensure_resources(get_settings(), aws.client("dynamodb"), aws.client("s3"))
    tenant, issued = create_tenant(admin_repos(), "Cold start bench")
    known = {OI_MARKETPLACE, ION_MARKETPLACE}
    keys = {
        "oi": create_marketplace_key(admin_repos(), tenant.tenant_id, OI_MARKETPLACE, known).secret,
        "ion": create_marketplace_key(admin_repos(), tenant.tenant_id, ION_MARKETPLACE, known).secret,
    }
    return issued.secret, keys, get_settings().table_name("tokens")


def run(rounds: int = 11) -> dict[str, Any]:
    from infra.local.moto_serial import free_port, start_emulator

    port = free_port()
    server = start_emulator("127.0.0.1", port)
    endpoint = f"http://127.0.0.1:{port}"
    pycache = tempfile.TemporaryDirectory(prefix="cold-start-pycache-")
    try:
        with emulator_environment(endpoint):
            token, keys, tokens_table = _seed()
        env = lambda_like_env(endpoint, pycache.name)
        requests = {f.id: _first_request(f, token, keys) for f in FUNCTIONS.values()}
        baseline = {"table": tokens_table}
        # Warm-up, not recorded: compiles every module either side imports into the bytecode cache.
        _sample(BASELINE_INIT, BASELINE_REQUEST, baseline, env)
        for function in FUNCTIONS.values():
            event = requests[function.id]
            _sample(
                HANDLER_INIT.format(module=function.module),
                HANDLER_REQUEST,
                {"event": event} if event else {},
                env,
            )
        # (handler, baseline) samples: each function's sample right after (or, every other
        # round, right before) a baseline sample of its own, so a ratio compares two
        # interpreters that ran under the same load
        samples: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        floors: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for r in range(rounds):
            for function in FUNCTIONS.values():
                event = requests[function.id]
                init = HANDLER_INIT.format(module=function.module)
                request = {"event": event} if event else {}
                if r % 2 == 0:
                    base = _sample(BASELINE_INIT, BASELINE_REQUEST, baseline, env)
                    sample = _sample(init, HANDLER_REQUEST, request, env)
                else:
                    sample = _sample(init, HANDLER_REQUEST, request, env)
                    base = _sample(BASELINE_INIT, BASELINE_REQUEST, baseline, env)
                if event:
                    _check_status(function, sample["status"])
                if event:
                    collecting = _sample(
                        HANDLER_INIT_COLLECTING.format(module=function.module), HANDLER_REQUEST, request, env
                    )
                    sample = {**sample, "first_request_collecting": collecting["first_request"]}
                samples.setdefault(function.id, []).append((sample, base))
            floor_event = requests[API_REFERENCE.id]
            floor = {"event": floor_event, "path": floor_event["path"], "table": tokens_table}
            base = _sample(BASELINE_INIT, BASELINE_REQUEST, baseline, env)
            floors.append((_sample(FLOOR_INIT, FLOOR_REQUEST, floor, env), base))
    finally:
        server.stop()
        pycache.cleanup()
    result = _summarize(samples, requests, rounds)
    floor = paired_ratio([a["first_request"] for a, _ in floors], [b["first_request"] for _, b in floors])
    result["floor_first_request_ratio"] = floor["median"]
    result["floor_first_request_ratio_per_pair"] = floor
    save("cold_start", result)
    return result


def _fastest_ratio(pairs: list[tuple[dict[str, Any], dict[str, Any]]], key: str) -> float:
    """The function's fastest sample over the fastest of its paired baselines: on a shared
    machine the slower samples measure the other processes, the fastest the work itself (the
    per-pair ratios' median and spread are reported beside it)."""
    return round(min(a[key] for a, _ in pairs) / min(b[key] for _, b in pairs), 3)


def _median(samples: list[dict[str, Any]], key: str) -> float:
    return statistics.median(s[key] for s in samples)


def _summarize(
    samples: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]], requests: dict[str, Any], rounds: int
) -> dict[str, Any]:
    bases = [base for pairs in samples.values() for _, base in pairs]
    base_init = _median(bases, "init")
    base_first = _median(bases, "first_request")
    handlers: dict[str, dict[str, Any]] = {}
    for fid, pairs in samples.items():
        s = [sample for sample, _ in pairs]
        init_ratio = paired_ratio([a["init"] for a, _ in pairs], [b["init"] for _, b in pairs])
        figures: dict[str, Any] = {
            "init_median_ms": round(_median(s, "init") * 1000, 1),
            "ratio": init_ratio["median"],
            "ratio_fastest": _fastest_ratio(pairs, "init"),
            "ratio_per_pair": init_ratio,
        }
        if requests[fid]:
            first = paired_ratio(
                [a["first_request"] for a, _ in pairs], [b["first_request"] for _, b in pairs]
            )
            figures["first_request_median_ms"] = round(_median(s, "first_request") * 1000, 1)
            figures["first_request_ratio"] = first["median"]
            figures["first_request_ratio_fastest"] = _fastest_ratio(pairs, "first_request")
            figures["first_request_ratio_per_pair"] = first
            figures["first_request_status"] = s[-1]["status"]
            figures["first_request_ratio_collecting"] = paired_ratio(
                [a["first_request_collecting"] for a, _ in pairs], [b["first_request"] for _, b in pairs]
            )["median"]
        handlers[fid] = figures
    with_request = {k: v for k, v in handlers.items() if "first_request_ratio" in v}
    result = {
        "rounds": rounds,
        "baseline_median_ms": round(base_init * 1000, 1),
        "baseline_first_request_median_ms": round(base_first * 1000, 1),
        "handlers": handlers,
        "cold_start_ratio_max": max(h["ratio"] for h in handlers.values()),
        "slowest": max(handlers, key=lambda k: handlers[k]["ratio"]),
        "first_request_ratio_max": max(h["first_request_ratio"] for h in with_request.values()),
        "slowest_first_request": max(with_request, key=lambda k: with_request[k]["first_request_ratio"]),
        # without the cold start's hold on garbage collection (what the hold saves, shown apart)
        "first_request_ratio_max_collecting": max(
            h["first_request_ratio_collecting"] for h in with_request.values()
        ),
    }
    return result


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5), indent=2))
