"""Run our Lambda handlers in-process, as Lambda would: one module import per function, a
context object, and the function's name in the environment."""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from infra.definitions.functions import FUNCTIONS, FunctionDef


@dataclass
class LocalContext:
    """The attributes of the Lambda context object our handlers (and powertools) read."""

    function: FunctionDef
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def function_name(self) -> str:
        return f"tixpilot-local-{self.function.id}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def memory_limit_in_mb(self) -> int:
        return self.function.memory_mb

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.function.timeout_s - (time.monotonic() - self.started)) * 1000))


class LocalLambdas:
    """Imports each function's handler module on first use and invokes it."""

    def __init__(self) -> None:
        self._handlers: dict[str, Any] = {}
        self._lock = threading.Lock()

    def handler(self, function_id: str) -> Any:
        with self._lock:
            if function_id not in self._handlers:
                module = importlib.import_module(FUNCTIONS[function_id].module)
                self._handlers[function_id] = module.lambda_handler
            return self._handlers[function_id]

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        return self.handler(function_id)(event, LocalContext(FUNCTIONS[function_id]))
