"""Settings: names derived from the environment, deployed bucket names passed in by CDK."""

from __future__ import annotations

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
