"""The POS table: every name the legacy API gives a POS, and what is generated from it."""

from __future__ import annotations

import inspect

import pytest
from pydantic import ValidationError

from tixpilot.adapters.pos.registry import register
from tixpilot.api.account_schemas import AutoPoSettingsOut, QuickPoSettingsIn, QuickPoSettingsOut
from tixpilot.api.routes.accounts import update_account
from tixpilot.models.accounts import Account
from tixpilot.models.pos import BY_POSID, BY_POSUSED, BY_RECORDPO, POS_NAMES, POS_TABLE


def test_each_name_of_each_place_belongs_to_one_pos():
    for place in ("name", "posid", "recordpo", "posused"):
        values = [getattr(p, place) for p in POS_TABLE if getattr(p, place) is not None]
        assert len(values) == len(set(values)), place


def test_the_legacy_names_map_to_the_accounts_names():
    assert {i: p.name for i, p in BY_POSID.items()} == {
        2: "ticketnetwork",
        18: "ticketutils",
        22: "skybox",
        47: "posnext",
        62: "tradedeskpos",
        100: "builtin",
    }
    assert list(BY_POSID) == sorted(BY_POSID)
    assert {k: p.name for k, p in BY_RECORDPO.items()} == {
        "utils": "ticketutils",
        "ticketnetwork": "ticketnetwork",
        "posnext": "posnext",
        "skybox": "skybox",
        "tradedesk": "tradedeskpos",
        "builtin": "builtin",
    }
    assert {k: p.name for k, p in BY_POSUSED.items()} == {
        "ticketnetworkapi": "ticketnetwork",
        "skybox": "skybox",
        "posnext": "posnext",
        "builtin": "builtin",
    }


def test_the_account_shapes_have_a_field_pair_per_pos_and_autopo_where_it_exists():
    ids = {f"{kind}_{name}" for name in POS_NAMES for kind in ("custid", "creditcardid")}
    assert set(QuickPoSettingsOut.model_fields) == ids | {"autoposettings"}
    assert set(QuickPoSettingsIn.model_fields) == ids | {"autoposettings"}
    autopo = {p.name for p in POS_TABLE if p.autopo}
    assert autopo == set(POS_NAMES) - {"core"}
    assert set(AutoPoSettingsOut.model_fields) == {
        f"autopo_{name}{suffix}" for name in autopo for suffix in ("", "_dateafter")
    }


def test_accounts_update_takes_a_custid_and_a_creditcardid_per_pos():
    parameters = inspect.signature(update_account).parameters
    assert [n for n in parameters if n.startswith(("custid_", "creditcardid_"))] == [
        f"{kind}_{name}" for name in POS_NAMES for kind in ("custid", "creditcardid")
    ]
    assert next(iter(parameters)) == "account_id"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())


def test_an_account_keeps_settings_only_for_a_pos_of_the_table():
    base = {"tenant_id": "t1", "account_id": 1, "username": "a@b.c", "created": "2026-01-01T00:00:00Z"}
    assert set(Account.model_validate({**base, "pos": {"core": {}, "builtin": {}}}).pos) == {
        "core",
        "builtin",
    }
    with pytest.raises(ValidationError):
        Account.model_validate({**base, "pos": {"utils": {}}})  # recordpo's alias, not a name


def test_an_adapter_needs_its_row_first():
    with pytest.raises(ValueError, match="add its row first"):
        register("vividpos")


def test_only_skybox_takes_api_credentials_and_the_cli_has_an_option_per_key():
    from infra.cli import _parser
    from tixpilot.models.pos import WITH_CREDENTIALS

    assert {name: p.credentials for name, p in WITH_CREDENTIALS.items()} == {
        "skybox": ("account", "api_token", "application_token")
    }
    command = ["pos-credentials", "set", "--tenant-id", "1", "--pos", "skybox"]
    args = _parser().parse_args([*command, "--account", "7", "--api-token", "t", "--application-token", "p"])
    assert (args.pos, args.account, args.api_token, args.application_token) == ("skybox", "7", "t", "p")
