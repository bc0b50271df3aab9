"""Purchase pipeline task: record how an execution ended (parked awaiting QuickPO, or failed)."""

from tixpilot.tasks import pipeline_task

lambda_handler = pipeline_task("record")
