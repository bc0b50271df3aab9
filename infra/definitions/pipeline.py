"""The purchase pipeline's state machine: ONE ASL file (purchase_pipeline.asl.json) with
`${...}` substitutions, rendered here for the local stack and read by the CDK app
(`DefinitionBody.from_file` with the same substitutions). Pure Python: no aws_cdk, no boto3.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ASL_PATH = Path(__file__).with_name("purchase_pipeline.asl.json")
STATE_MACHINE_ID = "purchase-pipeline"

# substitution -> the FunctionDef id whose ARN it takes
TASK_FUNCTIONS: dict[str, str] = {
    "CrawlFunctionArn": "pipeline_crawl",
    "AutoPoFunctionArn": "pipeline_autopo",
    "RecordFunctionArn": "pipeline_record",
}

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def definition_text() -> str:
    return ASL_PATH.read_text()


def placeholders() -> set[str]:
    return set(_PLACEHOLDER.findall(definition_text()))


def render_asl(text: str, substitutions: dict[str, str]) -> str:
    """An ASL text with every `${Name}` replaced; KeyError names one that was not given."""
    missing = set(_PLACEHOLDER.findall(text)) - set(substitutions)
    if missing:
        raise KeyError(f"no value for {', '.join(sorted(missing))}")
    rendered = _PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
    json.loads(rendered)  # still valid JSON
    return rendered


def render(substitutions: dict[str, str]) -> str:
    """The pipeline's definition with every `${Name}` replaced."""
    return render_asl(definition_text(), substitutions)


# substitution -> the queue (infra/definitions/tables.QUEUES) whose URL it takes
TASK_QUEUES: dict[str, str] = {"RecrawlQueueUrl": "recrawl"}


def function_arns(arn_of: Any) -> dict[str, str]:
    """The functions' substitutions, given `arn_of(function_id) -> arn`."""
    return {name: arn_of(function_id) for name, function_id in TASK_FUNCTIONS.items()}


def queue_urls(url_of: Any) -> dict[str, str]:
    """The queues' substitutions, given `url_of(queue_id) -> url`."""
    return {name: url_of(queue_id) for name, queue_id in TASK_QUEUES.items()}
