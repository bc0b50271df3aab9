"""Settings shared by every test level: no real AWS, ever."""

from __future__ import annotations

import os

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
