"""Marketplace accounts: list with the legacy filters, add, update (both legacy update forms).

Passwords are write-only: a password is encrypted (KMS in AWS) before it reaches a repository,
bound to its tenant and account by the encryption context, and no answer ever contains it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from tixpilot.errors import Conflict, InvalidParameter, NotFound
from tixpilot.models.accounts import (
    Account,
    AccountChanges,
    AccountFilter,
    PosChanges,
    normalize_username,
)
from tixpilot.models.pos import BY_POSID, PosName
from tixpilot.models.reference import BuyingMarketplace
from tixpilot.models.tenants import Tenant

MAX_PASSWORD_LENGTH = 1024  # far above any primary's limit, far below KMS's 4 KiB plaintext limit


class AccountStore(Protocol):
    def list(
        self, tenant_id: str, username: str | None = None, marketplace_id: int | None = None
    ) -> list[Account]: ...

    def get(self, tenant_id: str, account_id: int) -> Account | None: ...

    def create_unique(self, account: Account, password_ciphertext: bytes | None) -> int | None: ...

    def update(
        self, tenant_id: str, account_id: int, changes: AccountChanges, now: datetime
    ) -> Account | None: ...

    def password_ciphertext(self, tenant_id: str, account_id: int) -> bytes | None: ...


class Sequences(Protocol):
    def next(self, name: str) -> int: ...


class Cipher(Protocol):
    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes: ...

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str: ...


class TenantSource(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class MarketplaceCatalog:
    """The buying marketplaces, looked up by id or by name (case, spaces and punctuation ignored)."""

    def __init__(self, marketplaces: Iterable[BuyingMarketplace]) -> None:
        self.by_id = {m.id: m for m in marketplaces}
        self._by_name = {_name_key(m.name): m for m in self.by_id.values()}

    @classmethod
    def builtin(cls) -> MarketplaceCatalog:
        """From `tixpilot.data.reference`, the data the reference table is seeded with: no read."""
        from tixpilot.data.reference import BUYING_MARKETPLACES

        return cls(BuyingMarketplace.model_validate(m) for m in BUYING_MARKETPLACES)

    def get(self, marketplace_id: int) -> BuyingMarketplace | None:
        return self.by_id.get(marketplace_id)

    def named(self, name: str) -> BuyingMarketplace | None:
        return self._by_name.get(_name_key(name))

    def name_of(self, marketplace_id: int) -> str:
        market = self.by_id.get(marketplace_id)
        return market.name if market else ""


@dataclass(frozen=True)
class AccountDeps:
    accounts: AccountStore
    sequences: Sequences
    cipher: Cipher
    catalog: MarketplaceCatalog
    tenants: TenantSource


def password_context(tenant_id: str, account_id: int) -> dict[str, str]:
    """The KMS encryption context of an account's password: it decrypts only for that account."""
    return {"purpose": "account-password", "tenant_id": tenant_id, "account_id": str(account_id)}


def account_filter(
    catalog: MarketplaceCatalog,
    *,
    username: str | None = None,
    marketplace_id: int | None = None,
    marketplace_name: str | None = None,
    status: str | None = None,
    active: bool | None = None,
) -> AccountFilter:
    """The filters of `/v2/accounts/list`; an unknown marketplace name is an InvalidParameter."""
    ids: set[int] | None = None
    if marketplace_id is not None:
        ids = {marketplace_id}
    if marketplace_name is not None:
        market = catalog.named(marketplace_name)
        if market is None:
            raise InvalidParameter(
                "marketplacename",
                f"marketplacename: no buying marketplace named '{marketplace_name}'; use a name "
                "from GET /v2/marketplaces (e.g. ticketmaster, telecharge, axs) or marketplaceid",
            )
        ids = {market.id} if ids is None else ids & {market.id}
    return AccountFilter.model_validate(
        {
            "username": username,
            "marketplace_ids": frozenset(ids) if ids is not None else None,
            "status": status,
            "active": active,
        }
    )


def list_accounts(accounts: AccountStore, tenant_id: str, wanted: AccountFilter) -> list[Account]:
    """The tenant's accounts matching every filter given. One Query: by username when the
    filter names one (then the marketplace too, when it names exactly one), else the partition."""
    marketplace = (
        next(iter(wanted.marketplace_ids))
        if wanted.username is not None and wanted.marketplace_ids and len(wanted.marketplace_ids) == 1
        else None
    )
    if wanted.marketplace_ids is not None and not wanted.marketplace_ids:
        return []  # marketplaceid and marketplacename name different marketplaces
    rows = accounts.list(tenant_id, wanted.username, marketplace)
    return [a for a in rows if a.tenant_id == tenant_id and wanted.matches(a)]


def _check_password(password: str) -> str:
    if not password.strip():
        raise InvalidParameter("password", "password: empty; give the account's password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidParameter("password", f"password: longer than {MAX_PASSWORD_LENGTH} characters")
    return password


def add_account(
    deps: AccountDeps,
    tenant_id: str,
    username: str,
    marketplace_id: int,
    password: str | None,
    now: datetime,
) -> Account:
    """Add a marketplace account. Its password (required where the marketplace needs one to
    sign in, e.g. Ticketmaster) is stored only as ciphertext. One account per username and
    marketplace per tenant: a second is a Conflict naming the first."""
    username = username.strip()
    if not username:
        raise InvalidParameter("username", "username: required; the account's username (an email address)")
    market = deps.catalog.get(marketplace_id)
    if market is None:
        raise InvalidParameter(
            "marketplaceid",
            f"marketplaceid: no buying marketplace {marketplace_id}; see GET /v2/marketplaces",
        )
    if password is None or not password.strip():
        if market.password_required:
            raise InvalidParameter(
                "password", f"password: required for {market.name} accounts (it is stored encrypted)"
            )
        password = None
    else:
        _check_password(password)
    account = Account(
        tenant_id=tenant_id,
        account_id=deps.sequences.next("account"),
        username=username,
        marketplace_id=market.id,
        has_password=password is not None,
        created=now,
    )
    ciphertext = (
        deps.cipher.encrypt(password, password_context(tenant_id, account.account_id)) if password else None
    )
    existing = deps.accounts.create_unique(account, ciphertext)
    if existing is not None:
        raise Conflict(
            f"username: {normalize_username(username)} already has an account on {market.name}"
            + (
                f" (accountid {existing}); change it with /v2/accounts/update/?id={existing}"
                if existing
                else ""
            )
        )
    return account


@dataclass(frozen=True)
class AccountUpdate:
    """What a caller asks to change; None = leave as is. `password` is plaintext here only."""

    active: bool | None = None
    note: str | None = None
    password: str | None = None
    pos: dict[PosName, PosChanges] | None = None

    def __repr__(self) -> str:  # never print the password
        return f"AccountUpdate(active={self.active!r}, note={self.note!r}, pos={self.pos!r})"


def pos_changes_v2(
    posid: int | None,
    *,
    custid: str | None = None,
    creditcardid: str | None = None,
    autopo: bool | None = None,
    autopodateafter: date | None = None,
    today: date | None = None,
) -> dict[PosName, PosChanges]:
    """The POS part of `/v2/accounts/update/v2/`: the settings apply to the POS `posid` names.

    `autopo=true` without `autopodateafter` AutoPOs purchases after `today` (the tenant's date).
    """
    given = [
        name
        for name, value in (
            ("custid", custid),
            ("creditcardid", creditcardid),
            ("autopo", autopo),
            ("autopodateafter", autopodateafter),
        )
        if value is not None
    ]
    accepted = ", ".join(f"{i} ({p.name})" for i, p in BY_POSID.items())
    if posid is None:
        if given:
            raise InvalidParameter(
                "posid",
                f"posid: required to apply {', '.join(given)} (POS-specific settings); use one of {accepted}",
            )
        return {}
    if posid not in BY_POSID:
        raise InvalidParameter("posid", f"posid: {posid} is not a POS; use one of {accepted}")
    if autopo and autopodateafter is None:
        autopodateafter = today
    changes = PosChanges(
        customer_id=custid, creditcard_id=creditcardid, autopo=autopo, autopo_after=autopodateafter
    )
    return {BY_POSID[posid].name: changes}


def merge_pos_changes(
    first: dict[PosName, PosChanges], then: dict[PosName, PosChanges], today: date | None
) -> dict[PosName, PosChanges]:
    """`then`'s fields over `first`'s, per POS; AutoPO switched on without a date starts `today`."""
    merged = dict(first)
    for pos, changes in then.items():
        base = merged.get(pos, PosChanges())
        merged[pos] = PosChanges.model_validate({**base.given(), **changes.given()})
    for pos, changes in merged.items():
        if changes.autopo and changes.autopo_after is None and today is not None:
            merged[pos] = changes.model_copy(update={"autopo_after": today})
    return merged


def local_date(now: datetime, timezone: str) -> date:
    """The date it is at `now` in a time zone (the tenant's)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def update_account(
    deps: AccountDeps, tenant_id: str, account_id: int, update: AccountUpdate, now: datetime
) -> Account:
    """Apply an update to one of the tenant's accounts; NotFound for an id the tenant does not
    have (another tenant's included, with the same answer)."""
    ciphertext = None
    if update.password is not None:
        ciphertext = deps.cipher.encrypt(
            _check_password(update.password), password_context(tenant_id, account_id)
        )
    changes = AccountChanges(
        active=update.active, note=update.note, password_ciphertext=ciphertext, pos=update.pos or {}
    )
    updated = deps.accounts.update(tenant_id, account_id, changes, now)
    if updated is None:
        raise NotFound(f"id: no account {account_id} in your account; see /v2/accounts/list")
    return updated


def reveal_password(deps: AccountDeps, account: Account) -> str | None:
    """The account's password in clear, for signing in to the primary (the crawl). Never for an
    API answer or a log line."""
    ciphertext = deps.accounts.password_ciphertext(account.tenant_id, account.account_id)
    if ciphertext is None:
        return None
    return deps.cipher.decrypt(ciphertext, password_context(account.tenant_id, account.account_id))
