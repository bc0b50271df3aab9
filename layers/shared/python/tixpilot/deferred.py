"""Loading a function's code on its first invocation instead of at import.

A Lambda function's module is imported at init, before any request; for an on-demand cold start
that time is on the first request's clock either way, but only the work the request needs should
be on it. So a handler module imports just what every invocation needs (logging, metrics) and
names the rest in a loader: `deferred(load)` runs `load` once, on the first call, and keeps its
result for the container's life.

Where init happens before any request is waiting — provisioned concurrency and SnapStart, which
Lambda tells the function in `AWS_LAMBDA_INITIALIZATION_TYPE` — the loader runs at import
instead, so those containers answer their first request warm.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

# Lambda's values for an init that runs ahead of any request (the other one is "on-demand").
PREINITIALIZED = frozenset({"provisioned-concurrency", "snap-start"})


class Deferred(Generic[T]):
    """`load()` once, on first call (thread-safe); `loaded` says whether that has happened."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._value: T | None = None
        self.loaded = False
        self.__doc__ = load.__doc__

    def __call__(self) -> T:
        if not self.loaded:
            with self._lock:
                if not self.loaded:
                    self._value = self._load()
                    self.loaded = True
        return self._value  # type: ignore[return-value]


def deferred(load: Callable[[], T]) -> Deferred[T]:
    """Decorator: `load` runs on the first call, or now if this container is pre-initialized."""
    loader = Deferred(load)
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") in PREINITIALIZED:
        loader()
    return loader
