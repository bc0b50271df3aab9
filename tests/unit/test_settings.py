"""Settings: names derived from the environment, deployed bucket names passed in by CDK."""

from __future__ import annotations

import pytest

from tixpilot.settings import Settings, _bucket_overrides


def test_bucket_names_come_from_the_cdk_variables_else_from_the_env_name():
    overrides = _bucket_overrides(
        {
            "TIXPILOT_RAW_EMAIL_BUCKET": "tixpilot-dev-raw-email-123-us-east-1",
            "TIXPILOT_ENV": "dev",
            "X_BUCKET": "n",
        }
    )
    settings = Settings(env="dev", bucket_overrides=overrides)
    assert settings.raw_email_bucket == "tixpilot-dev-raw-email-123-us-east-1"
    assert settings.bucket_name("ticket-pdfs") == "tixpilot-dev-ticket-pdfs"
    assert settings.table_name("purchases") == "tixpilot-dev-purchases"


def test_an_environment_name_that_cannot_name_a_table_is_refused():
    for bad in ("", "Prod", "1dev", "dev_1", "a" * 21):
        with pytest.raises(ValueError, match="environment name"):
            Settings(env=bad)
    assert Settings(env="a" * 20).env == "a" * 20
