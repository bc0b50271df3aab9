"""Loading a function's code on its first invocation instead of at import.

A Lambda function's module is imported at init, before any request; for an on-demand cold start
that time is on the first request's clock either way, but only the work the request needs should
be on it. So a handler module imports just what every invocation needs (logging, metrics) and
names the rest in a loader: `deferred(load)` runs `load` once, on the first call, and keeps its
result for the container's life.

Where init happens before any request is waiting — provisioned concurrency and SnapStart, which
Lambda tells the function in `AWS_LAMBDA_INITIALIZATION_TYPE` — the loader runs at import
instead, so those containers answer their first request warm.

Garbage collection waits for the first invocation to end. A cold start creates a few hundred
thousand objects that live as long as the container (modules, classes, botocore's service
models, pydantic's validators) and next to no garbage, yet CPython's cyclic collector would walk
them again and again while they are being made: about a fifth of a cold start's time
(bench/cold_start.py). In a Lambda container (`LAMBDA_TASK_ROOT` set) this module, which every
handler module imports as it starts, holds collection; `run_later()`, at the end of each invocation,
then freezes what the cold start made (`gc.freeze()`: out of the collector's generations, since
it lives as long as the container) and lets collection run as usual for what requests allocate.
"""

from __future__ import annotations

import gc
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
        _after_restore_fresh_clients()
    return loader


def _after_restore_fresh_clients() -> None:
    """Under SnapStart, the AWS clients made before the snapshot are dropped after each restore
    (the Lambda runtime's `snapshot_restore_py` hook): their connections and cached credentials
    belong to the container that took the snapshot. Elsewhere the module does not exist."""
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return
    from tixpilot import aws

    if aws.reset not in _registered:
        _registered.append(aws.reset)
        register_after_restore(aws.reset)


_registered: list[Callable[[], None]] = []


# --- garbage collection during a cold start -------------------------------------------------------

_collection_held = False


def hold_collection() -> None:
    """Hold garbage collection, in a Lambda container, until `release_collection()`."""
    global _collection_held
    if os.environ.get("LAMBDA_TASK_ROOT") and gc.isenabled():
        gc.disable()
        _collection_held = True


def release_collection() -> None:
    """Freeze what exists now and let collection run again, if `hold_collection()` held it."""
    global _collection_held
    if _collection_held:
        _collection_held = False
        gc.freeze()
        gc.enable()


hold_collection()


# --- work that waits until the invocation's own work is done ------------------------------------


class _Queue(threading.local):
    def __init__(self) -> None:
        self.work: list[Callable[[], None]] = []


# One queue per thread: Lambda runs one invocation at a time in a container, and the local stack
# runs each invocation on a thread of its own, so one request never waits for another's work.
_later = _Queue()


def later(work: Callable[[], None]) -> None:
    """Queue `work` to run once the current invocation has done what its caller waits for (the
    receipt recorded and its pipeline started, a task's result computed): bookkeeping a reader
    tolerates being late for, like raising a name's search cap."""
    _later.work.append(work)


def run_later() -> None:
    """Run what `later` queued, oldest first; each runs once. An error is logged, not raised: the
    invocation's own work is done, and queued work must be safe to skip (a name's cap is raised
    again by the next purchase that finds it reached). The first call also ends the cold start's
    hold on garbage collection."""
    release_collection()
    queued, _later.work = _later.work, []
    for work in queued:
        try:
            work()
        except Exception:
            from tixpilot.observability import logger

            logger.exception("work queued for after the invocation failed")
