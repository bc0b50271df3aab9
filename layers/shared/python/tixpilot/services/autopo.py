"""AutoPO and QuickPO: push a purchase into the POSes as purchase orders (docs/safeguard.md).

AutoPO runs per account and POS where `autopo_<pos>` is on and the purchase was made after
`autopo_<pos>_dateafter`, never for a $0 purchase. QuickPO pushes now, whatever the Safeguard
says, and records that it was overridden. Either way a purchase gets at most one PO per POS:
the adapters guarantee it (base.PosAdapter), and the PO numbers are recorded on the purchase
(`purchaseorders`), its failures with the POS's message (`errors`, `pipeline_state=failed`). A
failure that may pass (the POS unreachable or rate-limiting) is recorded too, without `failed`:
the outcome names that POS in `retry`, and the pipeline tries again (services/pipeline.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol

from tixpilot.adapters.pos.base import PoInProgress, PoRequest, PosAdapter, PosError
from tixpilot.errors import NotFound, TixPilotError
from tixpilot.models.accounts import Account, PosSettings
from tixpilot.models.pos import POS_NAMES, PosName
from tixpilot.models.purchases import PipelineState, Purchase
from tixpilot.models.tenants import Tenant, TenantSettings
from tixpilot.services.purchases import PurchaseWriter, update_purchase
from tixpilot.services.safeguard import po_delivery

Trigger = Literal["autopo", "quickpo"]

ZERO_COST = "AutoPO never POs a $0 purchase; use QuickPO to push it"
AUTOPO_OFF = "AutoPO is off for this account and purchase date in every POS; use QuickPO to push it"


class TenantStore(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...


class CredentialLookup(Protocol):
    def __call__(self, tenant_id: str, pos: str) -> Mapping[str, str] | None: ...


class AccountStore(Protocol):
    def find_by_username(self, tenant_id: str, username: str, marketplace_id: int = 1) -> Account | None: ...


@dataclass(frozen=True)
class PoDeps:
    purchases: PurchaseWriter
    tenants: TenantStore
    accounts: AccountStore
    adapter: Callable[[str], PosAdapter | None]  # by POS name (adapters.pos.adapter_by_name)
    # the tenant's credentials for a POS's API (wiring.marketplaces.pos_credentials)
    credentials: CredentialLookup = lambda tenant_id, pos: None


@dataclass(frozen=True)
class PoOutcome:
    purchase: Purchase
    created: dict[str, str]  # POS name -> PO number made by this call
    errors: list[str]
    # POSes that failed in a way a later attempt may not (outage, rate limit), or whose PO another
    # run is making right now: worth trying again
    retry: list[str] = field(default_factory=list)


def is_zero_cost(purchase: Purchase) -> bool:
    money = purchase.money
    return Decimal(0) in (money.cost_perseat, money.cost_group)


def _purchase_day(purchase: Purchase) -> dt.date:
    return purchase.purchase_date or purchase.datefirstseen.date()


def target_poses(purchase: Purchase, account: Account | None, trigger: Trigger) -> list[PosName]:
    """The POSes to PO in: AutoPO's where it is on for the purchase date; QuickPO's where the
    account has AutoPO or a vendor set up, else the builtin POS."""
    if trigger == "autopo":
        if account is None:
            return []
        day = _purchase_day(purchase)
        return [pos for pos in POS_NAMES if account.autopo_enabled(pos, day)]
    configured: list[PosName] = []
    if account is not None:
        configured = [
            pos
            for pos in POS_NAMES
            if account.pos_settings(pos).autopo or account.pos_settings(pos).customer_id
        ]
    return configured or ["builtin"]


def _append(existing: list[str], new: list[str]) -> list[str]:
    return existing + [e for e in new if e not in existing]


def push_po(deps: PoDeps, tenant_id: str, rid: int, trigger: Trigger) -> PoOutcome:
    purchase = deps.purchases.get(tenant_id, rid, consistent=True)
    if purchase is None:
        raise NotFound(f"no purchase with rid {rid} in your account")
    tenant = deps.tenants.get(tenant_id)
    settings = tenant.settings if tenant else TenantSettings()
    account = deps.accounts.find_by_username(tenant_id, purchase.account_username, purchase.marketplace_id)

    def park(reason: str) -> PoOutcome:
        def change(p: Purchase) -> dict[str, object] | None:
            if p.purchaseorders:
                return None
            return {"pipeline_state": "awaiting_quickpo", "errors": _append(p.errors, [reason])}

        return PoOutcome(update_purchase(deps.purchases, tenant_id, rid, change), {}, [reason])

    if trigger == "autopo" and is_zero_cost(purchase):
        return park(ZERO_COST)
    targets = target_poses(purchase, account, trigger)
    if not targets:
        return park(AUTOPO_OFF)

    delivery = po_delivery(purchase, settings.mobile_po_as)
    made: dict[str, str] = {}
    errors: list[str] = []
    retry: list[str] = []
    for pos in targets:
        if pos in purchase.purchaseorders:
            continue
        adapter = deps.adapter(pos)
        if adapter is None:
            errors.append(
                f"{pos}: TixPilot cannot PO in {pos} yet; record its PO with /v2/purchases/recordpo"
            )
            continue
        pos_settings = account.pos_settings(pos) if account else PosSettings()
        try:
            credentials = deps.credentials(tenant_id, pos) or {}
            result = adapter.create_po(
                PoRequest(
                    purchase=purchase, stock=delivery.stock, settings=pos_settings, credentials=credentials
                )
            )
        except PoInProgress:  # not a failure: the other run records the PO
            retry.append(pos)
            continue
        except PosError as exc:
            errors.append(f"{pos}: {exc.message}")
            if exc.transient:
                retry.append(pos)
            continue
        except TixPilotError as exc:  # the stored credentials could not be read
            errors.append(f"{pos}: {exc.message}")
            continue
        made[pos] = result.poid

    def record(p: Purchase) -> dict[str, object] | None:
        orders = {**p.purchaseorders, **made}
        state: PipelineState = p.pipeline_state
        if orders:
            state = "po_created"
        elif errors and not retry:
            state = "failed"
        fields: dict[str, object] = {
            "purchaseorders": orders,
            "pipeline_state": state,
            "errors": _append(p.errors, errors),
        }
        if trigger == "quickpo" and made:
            fields["safeguard_overridden"] = True
        if delivery.flag and made:
            fields["flags"] = _append(p.flags, [delivery.flag])
        if all(getattr(p, k) == v for k, v in fields.items()):
            return None
        return fields

    updated = update_purchase(deps.purchases, tenant_id, rid, record)
    return PoOutcome(updated, made, errors, retry)
