"""POS adapters by posid. A new POS is a new module in this package that calls `register`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache

from tixpilot.adapters.pos.base import PosAdapter

_FACTORIES: dict[int, Callable[[], PosAdapter]] = {}
_NAMES: dict[str, int] = {}
_SKIP = {"base", "registry"}


def register(posid: int, name: str) -> Callable[[Callable[[], PosAdapter]], Callable[[], PosAdapter]]:
    def add(factory: Callable[[], PosAdapter]) -> Callable[[], PosAdapter]:
        _FACTORIES[posid] = factory
        _NAMES[name] = posid
        return factory

    return add


@cache
def _load() -> None:
    import tixpilot.adapters.pos as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _SKIP:
            importlib.import_module(f"{package.__name__}.{module.name}")


def registered() -> dict[str, int]:
    """POS name -> posid of every adapter there is."""
    _load()
    return dict(_NAMES)


@cache
def adapter_for(posid: int) -> PosAdapter | None:
    _load()
    factory = _FACTORIES.get(posid)
    return factory() if factory else None


def adapter_by_name(name: str) -> PosAdapter | None:
    _load()
    posid = _NAMES.get(name)
    return adapter_for(posid) if posid is not None else None
