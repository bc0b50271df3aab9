"""GET /v2/accounts/list, POST /v2/accounts/add, /v2/accounts/update/ and /v2/accounts/update/v2/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from tixpilot.adapters.kms import KmsCipher
from tixpilot.api.app import tenant_id
from tixpilot.api.mapping import (
    ACCOUNT_AUTOPO_POS,
    ACCOUNT_QUICKPO_POS,
    DEFAULT_TIMEZONE,
    account_pos_from_legacy,
    account_to_legacy,
)
from tixpilot.api.schemas import Envelope
from tixpilot.errors import InvalidParameter
from tixpilot.legacy import parse_bool, parse_date
from tixpilot.models.accounts import POS_NAMES, Account, PosChanges, PosName
from tixpilot.repositories.accounts import AccountRepository
from tixpilot.repositories.sequences import SequenceRepository
from tixpilot.repositories.tenants import TenantRepository
from tixpilot.services import accounts as service

router = Router()


# --- parameter types -------------------------------------------------------------------------------


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _bool(value: Any) -> Any:
    return parse_bool(value) if isinstance(value, str) else value


def _date(value: Any) -> Any:
    return parse_date(value) if isinstance(value, str) else value


LegacyBool = Annotated[bool, BeforeValidator(_bool)]
LegacyDate = Annotated[date, BeforeValidator(_date)]
Status = Literal["locked", "badpassword", "phone", "error"]
IdText = Annotated[str, Field(max_length=100)]

# --- output shapes (legacy field names, exactly) -------------------------------------------------


class MarketplaceRefOut(BaseModel):
    id: str
    name: str


class AccountErrorOut(BaseModel):
    error_datetime: str
    error_id: str = Field(description="locked, badpassword, phone, or a primary's own code; '' when none")
    error_description: str


class AutoPoSettingsOut(BaseModel):
    autopo_skybox: bool
    autopo_skybox_dateafter: str
    autopo_ticketnetwork: bool
    autopo_ticketnetwork_dateafter: str
    autopo_posnext: bool
    autopo_posnext_dateafter: str
    autopo_ticketutils: bool
    autopo_ticketutils_dateafter: str
    autopo_tradedeskpos: bool
    autopo_tradedeskpos_dateafter: str
    autopo_builtin: bool = Field(description="TixPilot extension: the builtin POS (posid 100)")
    autopo_builtin_dateafter: str = Field(description="TixPilot extension: the builtin POS (posid 100)")


class QuickPoSettingsOut(BaseModel):
    custid_skybox: str
    creditcardid_skybox: str
    custid_posnext: str
    creditcardid_posnext: str
    custid_core: str
    creditcardid_core: str
    custid_ticketutils: str
    creditcardid_ticketutils: str
    custid_ticketnetwork: str
    creditcardid_ticketnetwork: str
    custid_tradedeskpos: str
    creditcardid_tradedeskpos: str
    custid_builtin: str = Field(description="TixPilot extension: the builtin POS (posid 100)")
    creditcardid_builtin: str = Field(description="TixPilot extension: the builtin POS (posid 100)")
    autoposettings: AutoPoSettingsOut


class AccountOut(BaseModel):
    accountid: str
    userid: str
    notes: str
    active: bool
    account_username: str
    account_password: Literal[""] = Field(description="write-only: always empty")
    marketplace: MarketplaceRefOut
    error: AccountErrorOut
    quickpo_settings: QuickPoSettingsOut


OptionalDate = Annotated[LegacyDate | None, BeforeValidator(_blank_is_none)]

# The list shape as input (every field optional), for the body the reference's update/v2 example posts.
_AUTOPO_FIELDS: dict[str, Any] = {
    name: (kind | None, None)
    for pos in ACCOUNT_AUTOPO_POS
    for name, kind in ((f"autopo_{pos}", LegacyBool), (f"autopo_{pos}_dateafter", OptionalDate))
}
AutoPoSettingsIn = create_model("AutoPoSettingsIn", __config__=ConfigDict(extra="ignore"), **_AUTOPO_FIELDS)
_QUICKPO_FIELDS: dict[str, Any] = {
    f"{kind}_{pos}": (IdText | None, None)
    for pos in ACCOUNT_QUICKPO_POS
    for kind in ("custid", "creditcardid")
}
QuickPoSettingsIn = create_model(
    "QuickPoSettingsIn",
    __config__=ConfigDict(extra="ignore"),
    autoposettings=(AutoPoSettingsIn | None, None),
    **_QUICKPO_FIELDS,
)


class AccountDocumentIn(BaseModel):
    """An account in the list shape; `account_password` "" (as the list writes it) = unchanged."""

    model_config = ConfigDict(extra="ignore")

    accountid: int | None = Field(default=None, ge=1)
    notes: str | None = Field(default=None, max_length=2000)
    active: LegacyBool | None = None
    account_password: str | None = Field(default=None, repr=False)
    quickpo_settings: QuickPoSettingsIn | None = None


class AccountUpdateV2Body(BaseModel):
    """The parameters of /v2/accounts/update/v2/ as a JSON body (a query parameter wins), or
    the account in the list shape under `output` as the reference's example posts it."""

    model_config = ConfigDict(extra="ignore")

    id: int | None = Field(default=None, ge=1)
    posid: int | None = None
    custid: IdText | None = None
    creditcardid: IdText | None = None
    autopo: LegacyBool | None = None
    autopodateafter: LegacyDate | None = None
    active: LegacyBool | None = None
    password: str | None = Field(default=None, repr=False)
    note: str | None = Field(default=None, max_length=2000)
    output: list[AccountDocumentIn] | None = Field(
        default=None, max_length=1, description="one account in the /v2/accounts/list shape"
    )

    def flat(self) -> AccountUpdateV2Body:
        """The body with an `output` document folded into the flat parameters it does not set."""
        if not self.output:
            return self
        doc = self.output[0]
        return self.model_copy(
            update={
                "id": self.id if self.id is not None else doc.accountid,
                "active": self.active if self.active is not None else doc.active,
                "note": self.note if self.note is not None else doc.notes,
                "password": self.password if self.password is not None else (doc.account_password or None),
            }
        )

    def document_pos(self) -> dict[PosName, PosChanges]:
        if not self.output or self.output[0].quickpo_settings is None:
            return {}
        return account_pos_from_legacy(self.output[0].quickpo_settings.model_dump(exclude_none=True))


# --- wiring --------------------------------------------------------------------------------------


@cache
def _catalog() -> service.MarketplaceCatalog:
    return service.MarketplaceCatalog.builtin()


def _deps() -> service.AccountDeps:
    return service.AccountDeps(
        accounts=AccountRepository(),
        sequences=SequenceRepository(),
        cipher=KmsCipher(),
        catalog=_catalog(),
        tenants=TenantRepository(),
    )


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


# --- routes --------------------------------------------------------------------------------------


@router.get("/v2/accounts/list", summary="List your marketplace accounts", tags=["accounts"])
def list_accounts(
    username: Annotated[
        Annotated[str, Field(max_length=254)] | None,
        BeforeValidator(_blank_is_none),
        Query(description="marketplace username (generally an e-mail address)"),
    ] = None,
    marketplaceid: Annotated[
        Annotated[int, Field(ge=1)] | None,
        BeforeValidator(_blank_is_none),
        Query(description="buying marketplace ID (see /v2/marketplaces)"),
    ] = None,
    marketplacename: Annotated[
        Annotated[str, Field(max_length=100)] | None,
        BeforeValidator(_blank_is_none),
        Query(description="name of the marketplace (ticketmaster, telecharge, axs, ...)"),
    ] = None,
    accountstatus: Annotated[
        Status | None,
        BeforeValidator(_blank_is_none),
        Query(
            description="locked, badpassword (incorrect password), phone (phone number required), "
            "error (any error)"
        ),
    ] = None,
    active: Annotated[
        LegacyBool | None, BeforeValidator(_blank_is_none), Query(description="true or false")
    ] = None,
) -> Envelope[AccountOut]:
    owner = tenant_id()
    deps = _deps()
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
    deps = _deps()
    account = service.add_account(deps, owner, username, marketplaceid, password, _now())
    return _out(deps, _TenantZone(deps, owner), [account])


def _pos_fields(**given: str | None) -> dict[PosName, PosChanges]:
    changes: dict[PosName, PosChanges] = {}
    for pos in POS_NAMES:
        custid, creditcardid = given.get(f"custid_{pos}"), given.get(f"creditcardid_{pos}")
        if custid is not None or creditcardid is not None:
            changes[pos] = PosChanges(customer_id=custid, creditcard_id=creditcardid)
    return changes


@router.post("/v2/accounts/update", summary="Update a marketplace account", tags=["accounts"])
def update_account(
    account_id: Annotated[int, Query(alias="id", ge=1, description="account ID (see /v2/accounts/list)")],
    custid_skybox: Annotated[IdText | None, Query(description="customer/vendor ID in SkyBox")] = None,
    creditcardid_skybox: Annotated[IdText | None, Query(description="credit card ID in SkyBox")] = None,
    custid_posnext: Annotated[IdText | None, Query(description="customer/vendor ID in POSNext")] = None,
    creditcardid_posnext: Annotated[IdText | None, Query(description="credit card ID in POSNext")] = None,
    custid_ticketutils: Annotated[
        IdText | None, Query(description="customer/vendor ID in TicketUtils")
    ] = None,
    creditcardid_ticketutils: Annotated[
        IdText | None, Query(description="credit card ID in TicketUtils")
    ] = None,
    custid_ticketnetwork: Annotated[
        IdText | None, Query(description="customer/vendor ID in TicketNetwork POS")
    ] = None,
    creditcardid_ticketnetwork: Annotated[
        IdText | None, Query(description="credit card ID in TicketNetwork POS")
    ] = None,
    custid_core: Annotated[
        IdText | None, Query(description="TixPilot extension: customer ID in Core")
    ] = None,
    creditcardid_core: Annotated[
        IdText | None, Query(description="TixPilot extension: credit card ID in Core")
    ] = None,
    custid_tradedeskpos: Annotated[
        IdText | None, Query(description="TixPilot extension: customer ID in Tradedesk POS")
    ] = None,
    creditcardid_tradedeskpos: Annotated[
        IdText | None, Query(description="TixPilot extension: credit card ID in Tradedesk POS")
    ] = None,
    custid_builtin: Annotated[
        IdText | None, Query(description="TixPilot extension: customer ID in the builtin POS")
    ] = None,
    creditcardid_builtin: Annotated[
        IdText | None, Query(description="TixPilot extension: credit card ID in the builtin POS")
    ] = None,
    note: Annotated[
        str | None, Query(max_length=2000, description="note field as viewed on the accounts page")
    ] = None,
    password: Annotated[
        str | None, Query(description="password to log into the marketplace account (stored encrypted)")
    ] = None,
) -> Envelope[AccountOut]:
    owner = tenant_id()
    deps = _deps()
    pos = _pos_fields(
        custid_skybox=custid_skybox,
        creditcardid_skybox=creditcardid_skybox,
        custid_posnext=custid_posnext,
        creditcardid_posnext=creditcardid_posnext,
        custid_ticketutils=custid_ticketutils,
        creditcardid_ticketutils=creditcardid_ticketutils,
        custid_ticketnetwork=custid_ticketnetwork,
        creditcardid_ticketnetwork=creditcardid_ticketnetwork,
        custid_core=custid_core,
        creditcardid_core=creditcardid_core,
        custid_tradedeskpos=custid_tradedeskpos,
        creditcardid_tradedeskpos=creditcardid_tradedeskpos,
        custid_builtin=custid_builtin,
        creditcardid_builtin=creditcardid_builtin,
    )
    update = service.AccountUpdate(note=note, password=password, pos=pos)
    account = service.update_account(deps, owner, account_id, update, _now())
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
        Query(
            description="POS whose settings to update: 2=TicketNetwork, 18=TicketUtils, 22=SkyBox, "
            "47=POSNext, 62=Tradedesk POS, 100=builtin (TixPilot)"
        ),
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
    deps = _deps()
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
    return _out(deps, zone, [account])
