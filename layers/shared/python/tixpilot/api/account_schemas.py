"""The accounts endpoints' parameter types and answer shapes, with the legacy field names exactly.

The per-POS fields (`custid_<pos>`, `creditcardid_<pos>`, `autopo_<pos>`, `autopo_<pos>_dateafter`)
and the per-POS query parameters of /v2/accounts/update are generated from the POS table
(tixpilot.models.pos), in its order: a POS added there appears here with no edit.
"""

import inspect
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BeforeValidator, ConfigDict, Field, create_model

from tixpilot.api.mapping.accounts import account_pos_from_legacy
from tixpilot.legacy import parse_bool, parse_date
from tixpilot.models.accounts import PosChanges
from tixpilot.models.base import Model
from tixpilot.models.pos import AUTOPO_POS, BY_POSID, POS_TABLE, Pos, PosName

# --- parameter types -------------------------------------------------------------------------------


def blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _bool(value: Any) -> Any:
    return parse_bool(value) if isinstance(value, str) else value


def _date(value: Any) -> Any:
    return parse_date(value) if isinstance(value, str) else value


LegacyBool = Annotated[bool, BeforeValidator(_bool)]
LegacyDate = Annotated[date, BeforeValidator(_date)]
OptionalDate = Annotated[LegacyDate | None, BeforeValidator(blank_is_none)]
Status = Literal["locked", "badpassword", "phone", "error"]
IdText = Annotated[str, Field(max_length=100)]

POSID_DESCRIPTION = "POS whose settings to update: " + ", ".join(
    f"{posid}={pos.title}" for posid, pos in BY_POSID.items()
)


def _extension(pos: Pos) -> dict[str, Any]:
    """The description of a field of a POS the legacy API does not have."""
    return {"description": f"TixPilot extension: {pos.title} (posid {pos.posid})"} if pos.extension else {}


# --- output shapes ---------------------------------------------------------------------------------


class MarketplaceRefOut(Model):
    id: str
    name: str


class AccountErrorOut(Model):
    error_datetime: str
    error_id: str = Field(description="locked, badpassword, phone, or a primary's own code; '' when none")
    error_description: str


def _autopo_fields(bool_type: Any, date_type: Any, default: Any) -> dict[str, Any]:
    return {
        name: (kind, default(pos))
        for pos in AUTOPO_POS
        for name, kind in ((f"autopo_{pos.name}", bool_type), (f"autopo_{pos.name}_dateafter", date_type))
    }


_ID_KINDS = ("custid", "creditcardid")


def _id_fields(id_type: Any, default: Any) -> dict[str, Any]:
    return {f"{kind}_{pos.name}": (id_type, default(pos)) for pos in POS_TABLE for kind in _ID_KINDS}


def _required(pos: Pos) -> Any:
    return Field(**_extension(pos))


AutoPoSettingsOut = create_model("AutoPoSettingsOut", __base__=Model, **_autopo_fields(bool, str, _required))
QuickPoSettingsOut = create_model(
    "QuickPoSettingsOut",
    __base__=Model,
    **_id_fields(str, _required),
    autoposettings=(AutoPoSettingsOut, ...),
)


class AccountOut(Model):
    accountid: str
    userid: str
    notes: str
    active: bool
    account_username: str
    account_password: Literal[""] = Field(description="write-only: always empty")
    marketplace: MarketplaceRefOut
    error: AccountErrorOut
    quickpo_settings: QuickPoSettingsOut


# --- input shapes ----------------------------------------------------------------------------------

# The list shape as input (every field optional), for the body the reference's update/v2 example posts.
AutoPoSettingsIn = create_model(
    "AutoPoSettingsIn",
    __config__=ConfigDict(extra="ignore", defer_build=True),
    **_autopo_fields(LegacyBool | None, OptionalDate | None, lambda pos: None),
)
QuickPoSettingsIn = create_model(
    "QuickPoSettingsIn",
    __config__=ConfigDict(extra="ignore", defer_build=True),
    autoposettings=(AutoPoSettingsIn | None, None),
    **_id_fields(IdText | None, lambda pos: None),
)


class AccountDocumentIn(Model):
    """An account in the list shape; `account_password` "" (as the list writes it) = unchanged."""

    model_config = ConfigDict(extra="ignore")

    accountid: int | None = Field(default=None, ge=1)
    notes: str | None = Field(default=None, max_length=2000)
    active: LegacyBool | None = None
    account_password: str | None = Field(default=None, repr=False)
    quickpo_settings: QuickPoSettingsIn | None = None


class AccountUpdateV2Body(Model):
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

    def flat(self) -> "AccountUpdateV2Body":
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


# --- the per-POS query parameters of /v2/accounts/update ------------------------------------------

Route = TypeVar("Route", bound=Callable[..., Any])


def _id_descriptions(pos: Pos) -> tuple[str, str]:
    if pos.legacy_update:
        return f"customer/vendor ID in {pos.title}", f"credit card ID in {pos.title}"
    return (
        f"TixPilot extension: customer ID in {pos.title}",
        f"TixPilot extension: credit card ID in {pos.title}",
    )


def with_pos_id_params(route: Route) -> Route:
    """Give `route` a `custid_<pos>` and a `creditcardid_<pos>` query parameter per POS of the
    table, after its first parameter; it receives them in its `**pos_ids`. Powertools reads the
    parameters (validation, OpenAPI) from the signature, so they are declared there."""
    signature = inspect.signature(route)
    own = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in signature.parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    added = []
    for pos in POS_TABLE:
        for kind, description in zip(_ID_KINDS, _id_descriptions(pos), strict=True):
            annotation = Annotated[IdText | None, Query(description=description)]
            added.append(
                inspect.Parameter(
                    f"{kind}_{pos.name}", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
                )
            )
    route.__signature__ = signature.replace(parameters=[*own[:1], *added, *own[1:]])  # type: ignore[attr-defined]
    return route


def pos_id_changes(given: dict[str, str | None]) -> dict[PosName, PosChanges]:
    """The POS settings the `custid_<pos>`/`creditcardid_<pos>` parameters give, per POS."""
    changes: dict[PosName, PosChanges] = {}
    for pos in POS_TABLE:
        custid, creditcardid = (given.get(f"{kind}_{pos.name}") for kind in _ID_KINDS)
        if custid is not None or creditcardid is not None:
            changes[pos.name] = PosChanges(customer_id=custid, creditcard_id=creditcardid)
    return changes
