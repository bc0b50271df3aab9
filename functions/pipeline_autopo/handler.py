"""Purchase pipeline task: AutoPO in every POS where the account has it on."""

from tixpilot.tasks import pipeline_task

lambda_handler = pipeline_task("autopo")
