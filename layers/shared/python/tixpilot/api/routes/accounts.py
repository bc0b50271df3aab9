"""GET /v2/accounts/list, POST /v2/accounts/add, /v2/accounts/update/ and /v2/accounts/update/v2/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BeforeValidator, Field

from tixpilot.api.account_schemas import (
    POSID_DESCRIPTION,
    AccountOut,
    AccountUpdateV2Body,
    IdText,
    LegacyBool,
    LegacyDate,
    Status,
    blank_is_none,
    pos_id_changes,
    with_pos_id_params,
)
from tixpilot.api.app import tenant_id
from tixpilot.api.mapping.accounts import account_to_legacy
from tixpilot.api.mapping.common import DEFAULT_TIMEZONE
from tixpilot.api.schemas import Envelope
from tixpilot.errors import InvalidParameter
from tixpilot.models.accounts import Account
from tixpilot.services import accounts as service
from tixpilot.wiring.accounts import account_deps

router = Router()


def _now() -> datetime:
    return datetime.now(UTC)


class _TenantZone:
    """The tenant's time zone, read at most once per request and only when something needs it."""

    def __init__(self, deps: service.AccountDeps, owner: str) -> None:
        self.deps, self.owner, self._zone = deps, owner, ""

    def get(self) -> str:
        if not self._zone:
            tenant = self.deps.tenants.get(self.owner)
            self._zone = tenant.settings.timezone if tenant else DEFAULT_TIMEZONE
        return self._zone


def _out(deps: service.AccountDeps, zone: _TenantZone, accounts: list[Account]) -> Envelope[AccountOut]:
    # The time zone only matters for error times: read it only when one is shown.
    timezone = zone.get() if any(a.error for a in accounts) else DEFAULT_TIMEZONE
    return Envelope(
        output=[
            AccountOut.model_validate(account_to_legacy(a, deps.catalog.name_of(a.marketplace_id), timezone))
            for a in accounts
        ]
    )


def _news(account: Account) -> None:
    """A fixed account is news for its parked and failed purchases: they run again."""
    from tixpilot.services.pipeline import rerun_after_account_fix
    from tixpilot.wiring import components
    from tixpilot.wiring.pipeline import pipeline_runs

    rerun_after_account_fix(pipeline_runs(), components.purchases(), account)


# --- routes --------------------------------------------------------------------------------------


@router.get("/v2/accounts/list", summary="List your marketplace accounts", tags=["accounts"])
def list_accounts(
    username: Annotated[
        Annotated[str, Field(max_length=254)] | None,
        BeforeValidator(blank_is_none),
        Query(description="marketplace username (generally an e-mail address)"),
    ] = None,
    marketplaceid: Annotated[
        Annotated[int, Field(ge=1)] | None,
        BeforeValidator(blank_is_none),
        Query(description="buying marketplace ID (see /v2/marketplaces)"),
    ] = None,
    marketplacename: Annotated[
        Annotated[str, Field(max_length=100)] | None,
        BeforeValidator(blank_is_none),
        Query(description="name of the marketplace (ticketmaster, telecharge, axs, ...)"),
    ] = None,
    accountstatus: Annotated[
        Status | None,
        BeforeValidator(blank_is_none),
        Query(
            description="locked, badpassword (incorrect password), phone (phone number required), "
            "error (any error)"
        ),
    ] = None,
    active: Annotated[
        LegacyBool | None, BeforeValidator(blank_is_none), Query(description="true or false")
    ] = None,
) -> Envelope[AccountOut]:
    owner = tenant_id()
    deps = account_deps()
    wanted = service.account_filter(
        deps.catalog,
        username=username,
        marketplace_id=marketplaceid,
        marketplace_name=marketplacename,
        status=accountstatus,
        active=active,
    )
    return _out(deps, _TenantZone(deps, owner), service.list_accounts(deps.accounts, owner, wanted))


@router.post("/v2/accounts/add", summary="Add a marketplace account", tags=["accounts"])
def add_account(
    username: Annotated[
        str, Query(min_length=1, max_length=254, description="account username (generally an e-mail address)")
    ],
    marketplaceid: Annotated[
        int, Query(ge=1, description="buying marketplace ID (see /v2/marketplaces); 1 = Ticketmaster")
    ] = 1,
    password: Annotated[
        str | None,
        Query(
            description="password of the account (required where the marketplace needs one, e.g. "
            "Ticketmaster); stored encrypted, never shown"
        ),
    ] = None,
) -> Envelope[AccountOut]:
    owner = tenant_id()
    deps = account_deps()
    account = service.add_account(deps, owner, username, marketplaceid, password, _now())
    return _out(deps, _TenantZone(deps, owner), [account])


@router.post("/v2/accounts/update", summary="Update a marketplace account", tags=["accounts"])
@with_pos_id_params
def update_account(
    account_id: Annotated[int, Query(alias="id", ge=1, description="account ID (see /v2/accounts/list)")],
    note: Annotated[
        str | None, Query(max_length=2000, description="note field as viewed on the accounts page")
    ] = None,
    password: Annotated[
        str | None, Query(description="password to log into the marketplace account (stored encrypted)")
    ] = None,
    **pos_ids: str | None,
) -> Envelope[AccountOut]:
    owner = tenant_id()
    deps = account_deps()
    pos = pos_id_changes(pos_ids)
    update = service.AccountUpdate(note=note, password=password, pos=pos)
    account = service.update_account(deps, owner, account_id, update, _now())
    _news(account)
    return _out(deps, _TenantZone(deps, owner), [account])


@router.post(
    "/v2/accounts/update/v2",
    summary="Update a marketplace account, one POS's settings at a time (posid)",
    tags=["accounts"],
)
def update_account_v2(
    account_id: Annotated[
        int | None, Query(alias="id", ge=1, description="ID of the account (see /v2/accounts/list)")
    ] = None,
    posid: Annotated[
        int | None,
        Query(description=POSID_DESCRIPTION),
    ] = None,
    custid: Annotated[IdText | None, Query(description="customer/vendor ID in the POS")] = None,
    creditcardid: Annotated[IdText | None, Query(description="credit card ID in the POS")] = None,
    autopo: Annotated[LegacyBool | None, Query(description="true/false: should AutoPO be on?")] = None,
    autopodateafter: Annotated[
        LegacyDate | None,
        Query(description="m/d/yyyy: AutoPO purchases made AFTER this date (default: today, with autopo)"),
    ] = None,
    active: Annotated[LegacyBool | None, Query(description="true/false (false = deleted)")] = None,
    password: Annotated[
        str | None, Query(description="password to log into the marketplace account (stored encrypted)")
    ] = None,
    note: Annotated[str | None, Query(max_length=2000, description="note field")] = None,
    body: Annotated[
        AccountUpdateV2Body | None, Body(description="the same parameters as JSON; a query parameter wins")
    ] = None,
) -> Envelope[AccountOut]:
    owner = tenant_id()
    deps = account_deps()
    b = (body or AccountUpdateV2Body()).flat()
    account_id = account_id if account_id is not None else b.id
    if account_id is None:
        raise InvalidParameter("id", "id: required; the account ID from /v2/accounts/list")
    autopo = autopo if autopo is not None else b.autopo
    autopodateafter = autopodateafter if autopodateafter is not None else b.autopodateafter
    now, zone = _now(), _TenantZone(deps, owner)
    # AutoPO switched on without a date starts from today, in the tenant's time zone.
    today = service.local_date(now, zone.get()) if autopo and autopodateafter is None else None
    pos = service.pos_changes_v2(
        posid if posid is not None else b.posid,
        custid=custid if custid is not None else b.custid,
        creditcardid=creditcardid if creditcardid is not None else b.creditcardid,
        autopo=autopo,
        autopodateafter=autopodateafter,
        today=today,
    )
    document = b.document_pos()
    if document:
        if any(c.autopo and c.autopo_after is None for c in document.values()):
            today = today or service.local_date(now, zone.get())
        pos = service.merge_pos_changes(document, pos, today)
    update = service.AccountUpdate(
        active=active if active is not None else b.active,
        note=note if note is not None else b.note,
        password=password if password is not None else b.password,
        pos=pos,
    )
    account = service.update_account(deps, owner, account_id, update, now)
    _news(account)
    return _out(deps, zone, [account])
