"""POS adapters by name (and by posid, through the POS table). A new POS is a row in
`tixpilot.models.pos` and a new module in this package that calls `register`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache

from tixpilot.adapters.pos.base import PosAdapter
from tixpilot.models.pos import BY_NAME, BY_POSID, PosName

_FACTORIES: dict[PosName, Callable[[], PosAdapter]] = {}
_SKIP = {"base", "registry"}


def register(name: PosName) -> Callable[[Callable[[], PosAdapter]], Callable[[], PosAdapter]]:
    if name not in BY_NAME:
        raise ValueError(f"no POS named {name!r} in tixpilot.models.pos.POS_TABLE; add its row first")

    def add(factory: Callable[[], PosAdapter]) -> Callable[[], PosAdapter]:
        _FACTORIES[name] = factory
        return factory

    return add


@cache
def _load() -> None:
    import tixpilot.adapters.pos as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _SKIP:
            importlib.import_module(f"{package.__name__}.{module.name}")


def registered() -> dict[str, int | None]:
    """POS name -> posid of every adapter there is."""
    _load()
    return {name: BY_NAME[name].posid for name in _FACTORIES}


@cache
def adapter_by_name(name: str) -> PosAdapter | None:
    _load()
    factory = _FACTORIES.get(name)
    return factory() if factory else None


def adapter_for(posid: int) -> PosAdapter | None:
    pos = BY_POSID.get(posid)
    return adapter_by_name(pos.name) if pos else None
