"""Accounts and settings logic with in-memory fakes: filters, add, updates, passwords, mapping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.unit.fakes import FakeSequences, FakeTenants
from tixpilot.api.mapping.accounts import account_to_legacy
from tixpilot.data.reference import BUYING_MARKETPLACES
from tixpilot.errors import Conflict, InvalidParameter, NotFound
from tixpilot.models.accounts import (
    Account,
    AccountChanges,
    AccountError,
    AccountFilter,
    PosChanges,
    PosSettings,
    normalize_username,
)
from tixpilot.models.tenants import Tenant, TenantSettings
from tixpilot.services import accounts as svc
from tixpilot.services import settings as settings_svc

NOW = datetime(2026, 5, 4, 3, 30, tzinfo=UTC)


class FakeAccounts:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], Account] = {}
        self.ciphertexts: dict[tuple[str, int], bytes] = {}
        self.claims: dict[tuple[str, str, int], int] = {}
        self.list_calls: list[tuple[str, str | None, int | None]] = []

    def list(
        self, tenant_id: str, username: str | None = None, marketplace_id: int | None = None
    ) -> list[Account]:
        self.list_calls.append((tenant_id, username, marketplace_id))
        return [
            a
            for (t, _), a in sorted(self.rows.items())
            if t == tenant_id
            and (username is None or normalize_username(a.username) == normalize_username(username))
            and (marketplace_id is None or a.marketplace_id == marketplace_id)
        ]

    def get(self, tenant_id: str, account_id: int) -> Account | None:
        return self.rows.get((tenant_id, account_id))

    def create_unique(self, account: Account, password_ciphertext: bytes | None) -> int | None:
        claim = (account.tenant_id, normalize_username(account.username), account.marketplace_id)
        if claim in self.claims:
            return self.claims[claim]
        self.claims[claim] = account.account_id
        self.rows[(account.tenant_id, account.account_id)] = account
        if password_ciphertext is not None:
            self.ciphertexts[(account.tenant_id, account.account_id)] = password_ciphertext
        return None

    def update(
        self, tenant_id: str, account_id: int, changes: AccountChanges, now: datetime
    ) -> Account | None:
        account = self.rows.get((tenant_id, account_id))
        if account is None:
            return None
        data: dict[str, Any] = account.model_dump()
        for name in ("active", "note"):
            if getattr(changes, name) is not None:
                data[name] = getattr(changes, name)
        if changes.password_ciphertext is not None:
            self.ciphertexts[(tenant_id, account_id)] = changes.password_ciphertext
            data["has_password"] = True
        for pos, pos_changes in changes.pos.items():
            data["pos"][pos] = {**data["pos"].get(pos, {}), **pos_changes.given()}
        data["updated"] = now
        self.rows[(tenant_id, account_id)] = updated = Account.model_validate(data)
        return updated

    def password_ciphertext(self, tenant_id: str, account_id: int) -> bytes | None:
        return self.ciphertexts.get((tenant_id, account_id))


class FakeCipher:
    """Reversible and context-bound, like KMS, without being readable at a glance."""

    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes:
        return repr(sorted(context.items())).encode() + b"|" + plaintext.encode()[::-1]

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str:
        prefix, _, body = ciphertext.partition(b"|")
        if prefix != repr(sorted(context.items())).encode():
            raise ValueError("context mismatch")
        return body[::-1].decode()


@pytest.fixture
def deps() -> svc.AccountDeps:
    return svc.AccountDeps(
        accounts=FakeAccounts(),
        sequences=FakeSequences(),
        cipher=FakeCipher(),
        catalog=svc.MarketplaceCatalog.builtin(),
        tenants=FakeTenants(),
    )


def account(**overrides: Any) -> Account:
    values: dict[str, Any] = {"tenant_id": "t1", "account_id": 1, "username": "a@x.com", "created": NOW}
    return Account.model_validate({**values, **overrides})


# --- the catalog and the filters -------------------------------------------------------------------


def test_every_buying_marketplace_name_is_unique_as_matched():
    catalog = svc.MarketplaceCatalog.builtin()
    for market in BUYING_MARKETPLACES:
        assert catalog.named(str(market["name"])).id == market["id"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ticketmaster", 1),
        ("TICKETMASTER", 1),
        ("axs", 1008),
        ("Telecharge", 1009),
        ("oss houston texans", 55),
        ("Ticketmaster Canada", 1001),
        ("MLB.com / Tickets.com", 1020),
        ("mlbcomticketscom", 1020),
        ("ticket", None),
        ("", None),
    ],
)
def test_marketplace_names_match_ignoring_case_and_punctuation(name, expected):
    found = svc.MarketplaceCatalog.builtin().named(name)
    assert (found.id if found else None) == expected


def test_an_unknown_marketplace_name_is_an_invalid_parameter_naming_it():
    with pytest.raises(InvalidParameter) as caught:
        svc.account_filter(svc.MarketplaceCatalog.builtin(), marketplace_name="nosuch")
    assert caught.value.parameter == "marketplacename"
    assert caught.value.message.startswith("marketplacename:") and "'nosuch'" in caught.value.message


def test_marketplace_id_and_name_are_anded():
    catalog = svc.MarketplaceCatalog.builtin()
    assert svc.account_filter(catalog, marketplace_id=1, marketplace_name="ticketmaster").marketplace_ids == {
        1
    }
    assert (
        svc.account_filter(catalog, marketplace_id=2, marketplace_name="ticketmaster").marketplace_ids
        == set()
    )


locked = AccountError(kind="locked", at=NOW)
phone = AccountError(kind="phone", at=NOW)


@pytest.mark.parametrize(
    ("wanted", "acct", "matches"),
    [
        (AccountFilter(), account(), True),
        (AccountFilter(username="A@X.COM "), account(), True),
        (AccountFilter(username="b@x.com"), account(), False),
        (AccountFilter(marketplace_ids=frozenset({1})), account(), True),
        (AccountFilter(marketplace_ids=frozenset({2})), account(), False),
        (AccountFilter(active=True), account(active=False), False),
        (AccountFilter(active=False), account(active=False), True),
        (AccountFilter(status="error"), account(), False),
        (AccountFilter(status="error"), account(error=phone), True),
        (AccountFilter(status="locked"), account(error=locked), True),
        (AccountFilter(status="locked"), account(error=phone), False),
        (AccountFilter(status="badpassword"), account(error=locked), False),
    ],
)
def test_filter_matching(wanted, acct, matches):
    assert wanted.matches(acct) is matches


def test_list_narrows_by_username_and_a_single_marketplace_in_the_store(deps):
    store = deps.accounts
    assert isinstance(store, FakeAccounts)
    catalog = deps.catalog
    svc.list_accounts(store, "t1", svc.account_filter(catalog, username="a@x.com", marketplace_name="axs"))
    svc.list_accounts(store, "t1", svc.account_filter(catalog, marketplace_id=1))
    assert store.list_calls == [("t1", "a@x.com", 1008), ("t1", None, None)]
    # contradictory marketplaces: no read at all
    svc.list_accounts(store, "t1", svc.account_filter(catalog, marketplace_id=2, marketplace_name="axs"))
    assert len(store.list_calls) == 2


# --- add -------------------------------------------------------------------------------------------


def test_add_encrypts_the_password_for_that_account_only(deps):
    new = svc.add_account(deps, "t1", "  Buyer@X.com ", 1, "pw-1", NOW)
    assert new.username == "Buyer@X.com" and new.has_password and new.marketplace_id == 1
    store = deps.accounts
    assert isinstance(store, FakeAccounts)
    ciphertext = store.ciphertexts[("t1", new.account_id)]
    assert b"pw-1" not in ciphertext
    assert svc.reveal_password(deps, new) == "pw-1"
    with pytest.raises(ValueError):
        deps.cipher.decrypt(ciphertext, svc.password_context("t2", new.account_id))
    assert "pw-1" not in repr(new) and "pw-1" not in new.model_dump_json()


@pytest.mark.parametrize(
    ("username", "marketplace_id", "password", "param"),
    [
        ("a@x.com", 1, None, "password"),
        ("a@x.com", 1, "   ", "password"),
        ("a@x.com", 1008, None, "password"),  # AXS needs one too
        ("a@x.com", 1, "x" * 1025, "password"),
        ("   ", 1, "pw", "username"),
        ("a@x.com", 4242, "pw", "marketplaceid"),
    ],
)
def test_add_rejects(deps, username, marketplace_id, password, param):
    with pytest.raises(InvalidParameter) as caught:
        svc.add_account(deps, "t1", username, marketplace_id, password, NOW)
    assert caught.value.parameter == param and caught.value.message.startswith(f"{param}:")
    assert deps.accounts.list("t1") == []


def test_add_without_a_password_where_none_is_needed(deps):
    new = svc.add_account(deps, "t1", "a@x.com", 1017, None, NOW)  # Dice: SMS codes, no password
    assert not new.has_password and svc.reveal_password(deps, new) is None


def test_a_second_account_with_the_same_username_and_marketplace_is_a_conflict(deps):
    first = svc.add_account(deps, "t1", "a@x.com", 1, "pw", NOW)
    with pytest.raises(Conflict) as caught:
        svc.add_account(deps, "t1", "A@x.com", 1, "pw", NOW)
    assert str(first.account_id) in caught.value.message and "Ticketmaster" in caught.value.message
    svc.add_account(deps, "t1", "a@x.com", 1008, "pw", NOW)
    svc.add_account(deps, "t2", "a@x.com", 1, "pw", NOW)


# --- update ----------------------------------------------------------------------------------------


def test_pos_settings_need_a_valid_posid():
    with pytest.raises(InvalidParameter) as caught:
        svc.pos_changes_v2(None, custid="1", autopo=True)
    assert caught.value.parameter == "posid"
    assert caught.value.message.startswith("posid: required to apply custid, autopo")
    with pytest.raises(InvalidParameter) as caught:
        svc.pos_changes_v2(3, creditcardid="1")
    assert caught.value.message.startswith(
        "posid: 3 is not a POS; use one of 2 (ticketnetwork), 18 (ticketutils)"
    )
    assert svc.pos_changes_v2(None) == {}
    assert svc.pos_changes_v2(62) == {"tradedeskpos": PosChanges()}


def test_autopo_on_without_a_date_starts_today_and_off_keeps_the_date():
    today = date(2026, 5, 3)
    assert svc.pos_changes_v2(22, autopo=True, today=today) == {
        "skybox": PosChanges(autopo=True, autopo_after=today)
    }
    assert svc.pos_changes_v2(22, autopo=True, autopodateafter=date(2020, 1, 7), today=today) == {
        "skybox": PosChanges(autopo=True, autopo_after=date(2020, 1, 7))
    }
    assert svc.pos_changes_v2(22, autopo=False, today=today) == {"skybox": PosChanges(autopo=False)}


def test_local_date_is_the_tenants_date():
    assert svc.local_date(NOW, "America/New_York") == date(2026, 5, 3)
    assert svc.local_date(NOW, "Asia/Tokyo") == date(2026, 5, 4)


def test_update_applies_changes_and_encrypts_a_new_password(deps):
    new = svc.add_account(deps, "t1", "a@x.com", 1, "old", NOW)
    update = svc.AccountUpdate(
        note="n", active=False, password="new-pw", pos={"skybox": PosChanges(customer_id="9")}
    )
    assert "new-pw" not in repr(update)
    changed = svc.update_account(deps, "t1", new.account_id, update, NOW)
    assert changed.note == "n" and not changed.active
    assert changed.pos_settings("skybox") == PosSettings(customer_id="9")
    assert svc.reveal_password(deps, changed) == "new-pw"
    with pytest.raises(NotFound) as caught:
        svc.update_account(deps, "t2", new.account_id, svc.AccountUpdate(note="x"), NOW)
    assert caught.value.message.startswith("id:")
    with pytest.raises(InvalidParameter):
        svc.update_account(deps, "t1", new.account_id, svc.AccountUpdate(password=""), NOW)


def test_autopo_applies_to_purchases_after_the_date_on_active_accounts():
    settings = {"builtin": PosSettings(autopo=True, autopo_after=date(2026, 1, 7))}
    acct = account(pos=settings)
    assert not acct.autopo_enabled("builtin", date(2026, 1, 7))
    assert acct.autopo_enabled("builtin", date(2026, 1, 8))
    assert not acct.autopo_enabled("skybox", date(2026, 1, 8))
    assert not account(pos=settings, active=False).autopo_enabled("builtin", date(2026, 1, 8))
    assert account(pos={"skybox": PosSettings(autopo=True)}).autopo_enabled("skybox", date(2000, 1, 1))


def test_changes_know_when_they_are_empty():
    assert AccountChanges().is_empty()
    assert AccountChanges(pos={"skybox": PosChanges()}).is_empty()
    assert not AccountChanges(pos={"skybox": PosChanges(autopo=False)}).is_empty()
    assert not AccountChanges(password_ciphertext=b"x").is_empty()


# --- mapping ---------------------------------------------------------------------------------------


def test_the_legacy_shape():
    acct = account(
        account_id=377806,
        note="hi",
        error=AccountError(kind="badpassword", description="Incorrect password", at=NOW),
        pos={
            "ticketnetwork": PosSettings(
                customer_id="1000", creditcard_id="2001", autopo=True, autopo_after=date(2020, 1, 4)
            ),
            "core": PosSettings(customer_id="5"),
        },
    )
    row = account_to_legacy(acct, "Ticketmaster", "America/Los_Angeles")
    assert row["accountid"] == "377806" and row["userid"] == "t1" and row["notes"] == "hi"
    assert row["account_password"] == "" and row["marketplace"] == {"id": "1", "name": "Ticketmaster"}
    assert row["error"] == {
        "error_datetime": "5/3/2026 8:30:00 PM",
        "error_id": "badpassword",
        "error_description": "Incorrect password",
    }
    quickpo = row["quickpo_settings"]
    assert list(quickpo)[:12] == [
        "custid_skybox",
        "creditcardid_skybox",
        "custid_posnext",
        "creditcardid_posnext",
        "custid_core",
        "creditcardid_core",
        "custid_ticketutils",
        "creditcardid_ticketutils",
        "custid_ticketnetwork",
        "creditcardid_ticketnetwork",
        "custid_tradedeskpos",
        "creditcardid_tradedeskpos",
    ]
    assert quickpo["custid_core"] == "5" and "autopo_core" not in quickpo["autoposettings"]
    assert quickpo["autoposettings"]["autopo_ticketnetwork"] is True
    assert quickpo["autoposettings"]["autopo_ticketnetwork_dateafter"] == "1/4/2020"
    assert list(quickpo["autoposettings"])[:2] == ["autopo_skybox", "autopo_skybox_dateafter"]


# --- settings --------------------------------------------------------------------------------------


class FakeSettingsStore(FakeTenants):
    def update_settings(self, tenant_id: str, changes: dict[str, Any]) -> Tenant | None:
        tenant = self.rows.get(tenant_id)
        if tenant is None:
            return None
        settings = TenantSettings.model_validate({**tenant.settings.model_dump(), **changes})
        self.rows[tenant_id] = tenant = tenant.model_copy(update={"settings": settings})
        return tenant


@pytest.mark.parametrize("name", ["America/New_York", "Europe/London", "UTC", "Asia/Kolkata"])
def test_iana_time_zones_are_accepted(name):
    assert settings_svc.check_timezone(name) == name


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "../etc/passwd", "/usr/share/zoneinfo/UTC", "EST-5EDT!"]
)
def test_anything_else_is_refused_naming_the_form(name):
    with pytest.raises(ValueError, match="America/New_York"):
        settings_svc.check_timezone(name)


def test_settings_update_changes_only_what_is_given():
    store = FakeSettingsStore()
    store.create(Tenant(tenant_id="t1", name="Acme", created=NOW))
    assert settings_svc.get_settings(store, "t1") == TenantSettings()
    changed = settings_svc.update_settings(store, "t1", safeguard=3, mobile_po_as=None, timezone=None)
    assert changed == TenantSettings(safeguard=3)
    assert settings_svc.update_settings(store, "t1") == TenantSettings(safeguard=3)
    with pytest.raises(NotFound):
        settings_svc.update_settings(store, "gone", safeguard=1)
    with pytest.raises(NotFound):
        settings_svc.get_settings(store, "gone")


def test_the_list_shape_posted_back_becomes_pos_changes_and_query_fields_win():
    from tixpilot.api.mapping.accounts import account_pos_from_legacy

    document = account_pos_from_legacy(
        {
            "custid_skybox": "1",
            "creditcardid_core": "2",
            "autoposettings": {
                "autopo_skybox": True,
                "autopo_builtin": True,
                "autopo_builtin_dateafter": date(2020, 1, 2),
            },
        }
    )
    assert document == {
        "skybox": PosChanges(customer_id="1", autopo=True),
        "core": PosChanges(creditcard_id="2"),
        "builtin": PosChanges(autopo=True, autopo_after=date(2020, 1, 2)),
    }
    today = date(2026, 5, 3)
    merged = svc.merge_pos_changes(
        document, {"skybox": PosChanges(customer_id="9"), "posnext": PosChanges(autopo=False)}, today
    )
    assert merged == {
        "skybox": PosChanges(customer_id="9", autopo=True, autopo_after=today),
        "core": PosChanges(creditcard_id="2"),
        "builtin": PosChanges(autopo=True, autopo_after=date(2020, 1, 2)),
        "posnext": PosChanges(autopo=False),
    }
