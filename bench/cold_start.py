"""Cold start: each handler's import-and-init time vs `import boto3; boto3.client("dynamodb")`.

Each sample is a fresh interpreter (as a Lambda cold start is), measured from inside it so the
interpreter's own start-up is excluded; baseline and handlers are interleaved round by round so
machine noise hits both alike. Figures are medians and ratios, never absolute targets.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.definitions.functions import FUNCTIONS

RESULTS = Path(__file__).resolve().parent / "results"

BASELINE = "import boto3; boto3.client('dynamodb')"
# Import the handler module (what Lambda's init does) and create the clients its first request
# needs; nothing else.
HANDLER = "import importlib; importlib.import_module({module!r}); from tixpilot import aws; aws.dynamodb()"

_PROBE = """
import time
t = time.perf_counter()
{code}
print(time.perf_counter() - t)
"""


def _sample(code: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code)], capture_output=True, text=True, env=env, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def lambda_like_env() -> dict[str, str]:
    """What a deployed function sees: region, credentials, tracing and metrics switched on."""
    env = dict(os.environ)
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        TIXPILOT_ENV="bench",
        POWERTOOLS_SERVICE_NAME="tixpilot",
        POWERTOOLS_METRICS_NAMESPACE="TixPilot",
        # Powertools switches tracing on only inside Lambda; without this the X-Ray patching a
        # deployed function pays would not be measured.
        LAMBDA_TASK_ROOT=str(Path(__file__).resolve().parent.parent),
    )
    for key in ("POWERTOOLS_TRACE_DISABLED", "POWERTOOLS_METRICS_DISABLED", "AWS_ENDPOINT_URL"):
        env.pop(key, None)
    return env


def run(rounds: int = 5) -> dict[str, Any]:
    env = lambda_like_env()
    samples: dict[str, list[float]] = {"baseline": []}
    for _ in range(rounds):
        samples["baseline"].append(_sample(BASELINE, env))
        for function in FUNCTIONS.values():
            code = HANDLER.format(module=function.module)
            samples.setdefault(function.id, []).append(_sample(code, env))
    baseline = statistics.median(samples["baseline"])
    handlers = {
        fid: {
            "median_ms": round(statistics.median(s) * 1000, 1),
            "ratio": round(statistics.median(s) / baseline, 3),
        }
        for fid, s in samples.items()
        if fid != "baseline"
    }
    result = {
        "rounds": rounds,
        "baseline_median_ms": round(baseline * 1000, 1),
        "handlers": handlers,
        "cold_start_ratio_max": max(h["ratio"] for h in handlers.values()),
        "slowest": max(handlers, key=lambda k: handlers[k]["ratio"]),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cold_start.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
