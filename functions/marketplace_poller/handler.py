"""On a schedule: poll the marketplaces that do not push sales, and queue what they announce."""

from tixpilot.tasks import marketplace_poller_function

lambda_handler = marketplace_poller_function()
