"""SES inbound: the raw message is already in S3 (the rule's first action); read it, record it."""

from tixpilot.tasks import intake_function

lambda_handler = intake_function()
