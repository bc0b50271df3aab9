"""Accounts and their POS settings, in the legacy API's fields and formats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tixpilot.api.mapping.common import DEFAULT_TIMEZONE, local
from tixpilot.legacy import format_date, format_datetime
from tixpilot.models.accounts import Account, PosChanges
from tixpilot.models.pos import AUTOPO_POS, POS_TABLE, PosName


def account_to_legacy(a: Account, marketplace_name: str, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """An account as `GET /v2/accounts/list` writes it. `account_password` is always empty."""
    quickpo: dict[str, Any] = {}
    for pos in POS_TABLE:
        settings = a.pos_settings(pos.name)
        quickpo[f"custid_{pos.name}"] = settings.customer_id
        quickpo[f"creditcardid_{pos.name}"] = settings.creditcard_id
    autopo: dict[str, Any] = {}
    for pos in AUTOPO_POS:
        settings = a.pos_settings(pos.name)
        autopo[f"autopo_{pos.name}"] = settings.autopo
        autopo[f"autopo_{pos.name}_dateafter"] = format_date(settings.autopo_after)
    quickpo["autoposettings"] = autopo
    error = a.error
    return {
        "accountid": str(a.account_id),
        "userid": a.tenant_id,
        "notes": a.note,
        "active": a.active,
        "account_username": a.username,
        "account_password": "",
        "marketplace": {"id": str(a.marketplace_id), "name": marketplace_name},
        "error": {
            "error_datetime": format_datetime(local(error.at, timezone)) if error else "",
            "error_id": (error.code or error.kind) if error else "",
            "error_description": error.description if error else "",
        },
        "quickpo_settings": quickpo,
    }


def account_pos_from_legacy(quickpo: Mapping[str, Any]) -> dict[PosName, PosChanges]:
    """The POS settings of an account posted in the list shape (`quickpo_settings`), per POS;
    only the fields present count. Values are already validated (strings, booleans, dates)."""
    autopo = quickpo.get("autoposettings") or {}
    changes: dict[PosName, PosChanges] = {}
    for pos in POS_TABLE:
        given = PosChanges(
            customer_id=quickpo.get(f"custid_{pos.name}"),
            creditcard_id=quickpo.get(f"creditcardid_{pos.name}"),
            autopo=autopo.get(f"autopo_{pos.name}"),
            autopo_after=autopo.get(f"autopo_{pos.name}_dateafter"),
        )
        if given.given():
            changes[pos.name] = given
    return changes
