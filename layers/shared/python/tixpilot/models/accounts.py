"""Marketplace (buying) accounts of a tenant, and their per-POS QuickPO/AutoPO settings.

Clean names inside; `tixpilot.api.mapping.accounts` turns them into the legacy fields (`custid_skybox`,
`autopo_skybox_dateafter`, ...). The password is never part of this model: only its KMS
ciphertext is stored, and only `reveal_password` (for the crawl) ever decrypts it.
"""

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from tixpilot.models.base import Model
from tixpilot.models.pos import PosName

AccountErrorKind = Literal["locked", "badpassword", "phone", "other"]
ACCOUNT_ERROR_KINDS: tuple[AccountErrorKind, ...] = ("locked", "badpassword", "phone", "other")


class PosSettings(Model):
    """What QuickPO/AutoPO use for one POS: the vendor and card to PO with, and whether to AutoPO."""

    customer_id: str = ""
    creditcard_id: str = ""
    autopo: bool = False
    # AutoPO purchases made on a date AFTER this one (the legacy `autopo_<pos>_dateafter`).
    autopo_after: date | None = None


class AccountError(Model):
    """The last sign-in problem the crawl met on the primary (cleared when a crawl succeeds)."""

    kind: AccountErrorKind
    code: str = ""
    description: str = ""
    at: datetime


class Account(Model):
    tenant_id: str
    account_id: int
    username: str = Field(min_length=1, max_length=254)
    marketplace_id: int = 1
    active: bool = True
    note: str = ""
    has_password: bool = False
    error: AccountError | None = None
    pos: dict[PosName, PosSettings] = Field(default_factory=dict)
    created: datetime
    updated: datetime | None = None

    def pos_settings(self, name: PosName) -> PosSettings:
        """The settings for one POS (all empty/off when never set)."""
        return self.pos.get(name) or PosSettings()

    def autopo_enabled(self, name: PosName, purchase_date: date) -> bool:
        """Whether AutoPO applies to a purchase made on `purchase_date` for this POS."""
        settings = self.pos_settings(name)
        if not (self.active and settings.autopo):
            return False
        return settings.autopo_after is None or purchase_date > settings.autopo_after


def normalize_username(username: str) -> str:
    """The form usernames are matched in: trimmed and lower-cased (email addresses, in practice)."""
    return username.strip().lower()


class AccountFilter(Model):
    """The filters of `/v2/accounts/list`, ANDed; None = not filtered."""

    username: str | None = None
    marketplace_ids: frozenset[int] | None = None
    status: Literal["locked", "badpassword", "phone", "error"] | None = None
    active: bool | None = None

    def matches(self, account: Account) -> bool:
        if self.username is not None and normalize_username(account.username) != normalize_username(
            self.username
        ):
            return False
        if self.marketplace_ids is not None and account.marketplace_id not in self.marketplace_ids:
            return False
        if self.active is not None and account.active != self.active:
            return False
        if self.status is not None:
            if account.error is None:
                return False
            if self.status != "error" and account.error.kind != self.status:
                return False
        return True


class PosChanges(Model):
    """The POS fields an update gives; None = leave as is."""

    customer_id: str | None = None
    creditcard_id: str | None = None
    autopo: bool | None = None
    autopo_after: date | None = None

    def given(self) -> dict[str, object]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class AccountChanges(Model):
    """A partial update as the repository applies it: None = leave as is.

    The password arrives here already encrypted; the plaintext never reaches a repository.
    """

    active: bool | None = None
    note: str | None = None
    password_ciphertext: bytes | None = Field(default=None, repr=False)
    pos: dict[PosName, PosChanges] = Field(default_factory=dict)

    def is_empty(self) -> bool:
        return (
            self.active is None
            and self.note is None
            and self.password_ciphertext is None
            and not any(c.given() for c in self.pos.values())
        )
