"""How much of a message intake reads, and for how long.

Every step of reading a message (MIME, HTML, lines, parsers) is linear in what it reads, and what
it reads is capped, so a huge or hostile message costs a bounded amount of work. A message beyond
a cap that matters (too many parts, nested too deep) or one that outlasts the time budget is not
read: it is kept `unparsed` with the reason (docs/intake.md has the figures behind each cap).
"""

from __future__ import annotations

import time
from collections.abc import Callable

# The first MiB of a message is read; a receipt's text comes before any attachment.
READ_BYTES = 1 << 20
# Lines starting with "--" (MIME boundaries) in what is read: the parser's cost grows with parts.
MAX_DELIMITER_LINES = 400
MAX_PARTS = 100
MAX_DEPTH = 12  # multipart and attached-message nesting
MAX_TEXT_CHARS = 512 * 1024  # decoded text (plain and HTML) kept per message
MAX_LINES = 5_000  # non-empty body lines a parser sees
MAX_LINE_CHARS = 1_000  # longer lines are cut: receipt lines are short
MAX_HEADER_CHARS = 4_096  # a header's value, before decoding encoded words or addresses
BUDGET_S = 2.0  # wall-clock time to read one message, checked between steps


class Unreadable(Exception):
    """The message is beyond what intake reads; the message says why, for /v2/receipts."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Budget:
    """A deadline for reading one message. `check` raises Unreadable once it has passed."""

    def __init__(self, seconds: float = BUDGET_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._deadline = clock() + seconds

    def check(self, step: str) -> None:
        if self._clock() > self._deadline:
            raise Unreadable(
                f"reading the message took longer than {self.seconds:g} s (stopped {step}); "
                "the raw message is kept"
            )


class NoBudget(Budget):
    """No deadline (tools and tests that read one trusted message)."""

    def __init__(self) -> None:
        super().__init__(float("inf"))

    def check(self, step: str) -> None:
        return None
