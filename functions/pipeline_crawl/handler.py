"""Purchase pipeline task: crawl the primary for the purchase's order."""

from tixpilot.tasks import pipeline_task

lambda_handler = pipeline_task("crawl")
