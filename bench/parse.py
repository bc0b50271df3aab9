"""Receipt parsing: receipts/s through TixPilot's parsers vs a stdlib-only MIME decode of the same
messages (`email.message_from_bytes` with the default policy, then the preferred body's text).

The corpus is every fixture under events/receipts (receipts of each template and encoding, and
noise). Ours and the baseline run interleaved round by round so machine noise hits both alike;
figures are medians and a ratio, never absolute targets. Writes bench/results/parse.json.
"""

from __future__ import annotations

import email
import email.policy
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tixpilot.adapters.receipts import NotParsed, parse_receipt

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "events" / "receipts"
RESULTS = Path(__file__).resolve().parent / "results"


def stdlib_decode(raw: bytes) -> str:
    """The baseline: what decoding a message with nothing but the standard library costs."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    if body is None:
        return ""
    try:
        return body.get_content()  # type: ignore[no-any-return]
    except LookupError:  # a charset Python does not know (one fixture has one): the bytes as UTF-8
        return body.get_payload(decode=True).decode("utf-8", "replace")  # type: ignore[no-any-return]


def _rate(work: Callable[[bytes], object], messages: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in messages:
        work(raw)
    return len(messages) / (time.perf_counter() - started)


def run(rounds: int = 15, copies: int = 20) -> dict[str, Any]:
    corpus = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    messages = corpus * copies
    parsed = sum(not isinstance(parse_receipt(raw), NotParsed) for raw in corpus)
    ours: list[float] = []
    baseline: list[float] = []
    _rate(parse_receipt, corpus), _rate(stdlib_decode, corpus)  # warm both up (regex compile, imports)
    for _ in range(rounds):
        ours.append(_rate(parse_receipt, messages))
        baseline.append(_rate(stdlib_decode, messages))
    figures = {
        "corpus_messages": len(corpus),
        "corpus_parsed": parsed,
        "messages_per_round": len(messages),
        "rounds": rounds,
        "receipts_per_s": round(statistics.median(ours), 1),
        "stdlib_decode_per_s": round(statistics.median(baseline), 1),
        "ratio_vs_stdlib_decode": round(statistics.median(ours) / statistics.median(baseline), 3),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "parse.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
