"""The accounts routes' dependencies."""

from __future__ import annotations

from functools import cache

from tixpilot.services.accounts import AccountDeps, MarketplaceCatalog
from tixpilot.wiring import components


@cache
def account_deps() -> AccountDeps:
    return AccountDeps(
        accounts=components.accounts(),
        sequences=components.sequences(),
        cipher=components.password_cipher(),
        catalog=MarketplaceCatalog.builtin(),
        tenants=components.tenants(),
    )
