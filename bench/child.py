"""Benchmarks that measure in a child process of their own (its own emulator, nothing leaking into
or from the other benchmarks of `make bench`): the parent's side and the child's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import save

ROOT = Path(__file__).resolve().parents[1]


def measure_in_child(module: str, what: str, *args: object) -> dict[str, Any]:
    """Run `python -m <module> --measure <args>` without this process's AWS/TixPilot/Powertools
    settings; write its figures (the last line it prints) to bench/results/<name>.json and return
    them. `what` names the benchmark in the error when the child fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TIXPILOT_", "POWERTOOLS_"))}
    child = subprocess.run(
        [sys.executable, "-m", module, "--measure", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"the {what} benchmark failed:\n{child.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    save(module.rsplit(".", 1)[-1], result)
    return result


def main(measure: Callable[[int, int], dict[str, Any]], run: Callable[[], dict[str, Any]]) -> None:
    """A benchmark module run as a script: the child's `--measure a b`, or the whole run."""
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]), int(sys.argv[3]))), flush=True)
    else:
        print(json.dumps(run(), indent=2))
