"""Purchase pipeline: crawl again when a purchase's wait is over (the recrawl queue)."""

from tixpilot.tasks import recrawl_function

lambda_handler = recrawl_function()
