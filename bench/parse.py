"""Receipt parsing: receipts/s through TixPilot's parsers vs a stdlib-only MIME decode of the same
messages (`email.message_from_bytes` with the default policy, then the preferred body's text).

The corpus is every fixture under events/receipts (receipts of each template and encoding, and
noise). Each message goes through ours and the baseline back to back, round after round, and
counts its fastest round (`run`), so two runs agree within a few percent on a busy machine;
figures are a ratio and its spread, never absolute targets. Writes bench/results/parse.json.
"""

from __future__ import annotations

import email
import email.policy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import save
from bench.stats import paired_ratio
from tixpilot.adapters.receipts import NotParsed, parse_receipt

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "events" / "receipts"


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


def _seconds(work: Callable[[bytes], object], raw: bytes, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        work(raw)
    return (time.perf_counter() - started) / repeat


def run(rounds: int = 25, repeat: int = 5) -> dict[str, Any]:
    """Each message is timed through ours and through the baseline back to back (`repeat` calls
    each, the order alternating by round), `rounds` times. A message's time is its fastest
    round: on a shared machine the slower rounds measure the other processes, and the fastest
    is the work itself, for ours and the baseline alike. The ratio is the corpus's total
    baseline time over ours (receipts/s, ours vs the baseline); its spread is that of the
    same ratio per round."""
    corpus = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    parsed = sum(not isinstance(parse_receipt(raw), NotParsed) for raw in corpus)
    for raw in corpus:  # warm both up (regex compile, imports)
        parse_receipt(raw), stdlib_decode(raw)
    ours = [[0.0] * rounds for _ in corpus]
    baseline = [[0.0] * rounds for _ in corpus]
    for r in range(rounds):
        for i, raw in enumerate(corpus):
            if r % 2:
                baseline[i][r] = _seconds(stdlib_decode, raw, repeat)
                ours[i][r] = _seconds(parse_receipt, raw, repeat)
            else:
                ours[i][r] = _seconds(parse_receipt, raw, repeat)
                baseline[i][r] = _seconds(stdlib_decode, raw, repeat)
    ours_s = sum(min(times) for times in ours)
    baseline_s = sum(min(times) for times in baseline)
    per_round = paired_ratio(
        [sum(times[r] for times in baseline) for r in range(rounds)],
        [sum(times[r] for times in ours) for r in range(rounds)],
    )
    figures = {
        "corpus_messages": len(corpus),
        "corpus_parsed": parsed,
        "rounds": rounds,
        "repeat": repeat,
        "receipts_per_s": round(len(corpus) / ours_s, 1),
        "stdlib_decode_per_s": round(len(corpus) / baseline_s, 1),
        "ratio_vs_stdlib_decode": round(baseline_s / ours_s, 3),
        "ratio_per_round": per_round,
    }
    save("parse", figures)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
