"""cdk.json context -> per-environment settings, and the stack set each environment gets."""

from __future__ import annotations

import copy

import pytest

from infra.app import read_cdk_json_context
from infra.cdk.config import ConfigError, load_env_config, select_env_name

pytestmark = pytest.mark.infra

CONTEXT = read_cdk_json_context()


def _with(env: str, **overrides):
    context = copy.deepcopy(CONTEXT)
    context["tixpilot:environments"][env].update(overrides)
    return context


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_environment_in_cdk_json_loads(env):
    config = load_env_config(env, CONTEXT)
    assert config.name == env
    assert config.region
    assert config.ses_domains
    assert config.retain is (env == "prod")


def test_env_selection_prefers_context_then_variable_then_dev(monkeypatch):
    monkeypatch.delenv("TIXPILOT_SYNTH_ENV", raising=False)
    assert select_env_name(None) == "dev"
    monkeypatch.setenv("TIXPILOT_SYNTH_ENV", "staging")
    assert select_env_name(None) == "staging"
    assert select_env_name("prod") == "prod"
    with pytest.raises(ConfigError):
        select_env_name("Prod!")


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"ses_domains": []}, "ses_domains is empty"),
        ({"ses_domains": ["not a domain"]}, "not domain names"),
        ({"log_retention_days": 31}, "retention"),
        ({"removal_policy": "snapshot"}, "removal_policy"),
        ({"log_level": "chatty"}, "log_level"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(overrides, complaint):
    with pytest.raises(ConfigError, match=complaint):
        load_env_config("dev", _with("dev", **overrides))


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="known"):
        load_env_config("qa", CONTEXT)


def test_comma_separated_domains_from_the_command_line():
    config = load_env_config("dev", _with("dev", ses_domains="a.example.com, B.example.org"))
    assert config.ses_domains == ("a.example.com", "b.example.org")


def test_one_stack_set_per_environment(synthesized):
    assert set(synthesized.templates) == {
        f"TixPilot-{synthesized.env}-{concern}" for concern in ("Data", "Api", "Intake", "Monitoring")
    }
    stacks = {
        name: artifact
        for name, artifact in synthesized.manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    for name, artifact in stacks.items():
        assert artifact["environment"].endswith(f"/{synthesized.config.region}"), name
        assert artifact["properties"].get("terminationProtection", False) is synthesized.config.retain, name
