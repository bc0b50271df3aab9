"""Native marketplace adapters by resale marketplace id.

A new marketplace is a new module in this package whose adapter class is decorated with
`@register`. A marketplace without one (adapter_for answers None) uses the generic v1 endpoints.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from tixpilot.adapters.marketplaces.base import MarketplaceAdapter
from tixpilot.settings import Settings, get_settings

_FACTORIES: dict[int, Callable[[Settings], MarketplaceAdapter]] = {}
_SKIP = {"base", "registry", "http"}

F = TypeVar("F", bound=Callable[[Settings], MarketplaceAdapter])


def register(factory: F) -> F:
    """Class decorator: the adapter class (built from Settings) serves its `marketplace_id`."""
    _FACTORIES[factory.marketplace_id] = factory  # type: ignore[attr-defined]
    return factory


@cache
def _load() -> None:
    import tixpilot.adapters.marketplaces as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _SKIP:
            importlib.import_module(f"{package.__name__}.{module.name}")


def registered() -> frozenset[int]:
    """The resale marketplace ids that have a native adapter."""
    _load()
    return frozenset(_FACTORIES)


@cache
def adapter_for(marketplace_id: int) -> MarketplaceAdapter | None:
    """The native adapter of a resale marketplace (configured from Settings), or None."""
    _load()
    factory = _FACTORIES.get(marketplace_id)
    return factory(get_settings()) if factory else None
