"""The benchmarks of `make bench` (README.md, Performance); each writes its figures to
bench/results/<name>.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def save(name: str, figures: dict[str, Any]) -> None:
    """Write a benchmark's figures to bench/results/<name>.json."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
