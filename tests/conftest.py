"""Settings shared by every test level: no real AWS, ever."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

# Before anything imports boto3: fake credentials so nothing can reach a real account, and
# powertools quiet (no EMF on stdout).
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "TIXPILOT_ENV": "test",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "TixPilot",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_PROFILE", None)

# Hypothesis's per-example deadline (200 ms) measures the machine, not the code: on a shared,
# loaded CI machine a correct property test fails with DeadlineExceeded. Tests do not time things.
from hypothesis import settings as _hypothesis_settings

_hypothesis_settings.register_profile("tixpilot", deadline=None)
_hypothesis_settings.load_profile("tixpilot")


@pytest.fixture
def interleaved() -> Iterator[None]:
    """Threads switch every 10 µs instead of 5 ms, so threads racing each other interleave inside
    the code, not only where they wait for I/O, and a race shows up in most runs of a test
    instead of one in many."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)
