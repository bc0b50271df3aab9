"""Purchase pipeline task: the Safeguard decides (AutoPO, wait and crawl again, or park)."""

from tixpilot.tasks import pipeline_task

lambda_handler = pipeline_task("evaluate")
