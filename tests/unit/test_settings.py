"""Settings: names derived from the environment, deployed bucket names passed in by CDK."""

from __future__ import annotations

import pytest

from tixpilot.settings import Settings, _bucket_overrides, read_settings


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


def test_what_the_functions_are_told_is_read_into_the_settings():
    settings = read_settings(
        {
            "TIXPILOT_ENV": "dev",
            "AWS_REGION": "eu-west-1",
            "TIXPILOT_PIPELINE_ARN": "arn:aws:states:eu-west-1:1:stateMachine:p",
            "TIXPILOT_PRIMARY_URL": "http://127.0.0.1:3100",
            "TIXPILOT_FULFILLMENT_QUEUE_URL": "https://sqs/q",
            "TIXPILOT_FULFILLMENT_TIMER_ARN": "arn:aws:states:eu-west-1:1:stateMachine:t",
            "TIXPILOT_FULFILL_RETRY_S": "0",
            "TIXPILOT_RECRAWL_INITIAL_S": "0",
            "TIXPILOT_SAFEGUARD_WINDOW_S": "12",
        }
    )
    assert settings.fulfillment_timer_arn.endswith(":t") and settings.fulfill_retry_s == 1  # at least 1 s
    assert (settings.env, settings.region) == ("dev", "eu-west-1")
    assert settings.pipeline_arn.endswith(":p") and settings.primary_url.endswith(":3100")
    assert settings.fulfillment_queue_url == "https://sqs/q"
    assert (settings.recrawl_initial_s, settings.recrawl_max_s, settings.safeguard_window_s) == (1, 600, 12)
    assert read_settings({}) == Settings()


def test_a_timing_that_is_not_a_number_is_refused_naming_the_variable():
    with pytest.raises(ValueError, match="TIXPILOT_RECRAWL_MAX_S='ten': a whole number of seconds"):
        read_settings({"TIXPILOT_RECRAWL_MAX_S": "ten"})
