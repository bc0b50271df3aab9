"""Synthesize the CDK app once per session per environment (dev and prod) and read it back.

A synth takes seconds (the jsii node runtime, cdk-nag over every resource), so every test of
an environment shares one cloud assembly. If cdk-nag rejects the app, the synth itself fails
and every test of that environment errors with the unacknowledged findings.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ENVS = ("dev", "prod")

# Informational cfn-lint rules are run too; only these are ignored, each for a reason.
IGNORED_CFN_LINT_RULES = {
    # "Prefer Fn::Sub over Fn::Join with an empty delimiter": CDK renders every string that
    # embeds a token as Fn::Join; a style preference about generated output, not a defect.
    "I1022",
}
PSEUDO_PARAMETERS = {"AWS::AccountId", "AWS::Partition", "AWS::Region", "AWS::URLSuffix", "AWS::StackName"}


@dataclass
class Template:
    """One synthesized CloudFormation template, with the lookups the tests need."""

    stack_name: str
    path: Path
    body: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.body.get("Resources", {})
        return resources

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == cfn_type}

    def one(self, cfn_type: str, **properties: Any) -> tuple[str, dict[str, Any]]:
        """The single resource of `cfn_type` whose Properties contain `properties`."""
        found = [
            (lid, r)
            for lid, r in self.of_type(cfn_type).items()
            if all(r.get("Properties", {}).get(k) == v for k, v in properties.items())
        ]
        assert len(found) == 1, (
            f"{self.stack_name}: expected one {cfn_type} with {properties}, found {len(found)}"
        )
        return found[0]

    def render(self, value: Any) -> str:
        """A CloudFormation value as a string: pseudo parameters as `${AWS::X}`, a reference to a
        resource as `{Ref:LogicalId}` / `{GetAtt:LogicalId.Attr}`, Fn::Join joined."""
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            (fn, arg), *_ = value.items()
            if fn == "Ref":
                return f"${{{arg}}}" if arg in PSEUDO_PARAMETERS else f"{{Ref:{arg}}}"
            if fn == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return f"{{GetAtt:{logical_id}.{attribute}}}"
            if fn == "Fn::Join":
                delimiter, parts = arg
                return str(delimiter).join(self.render(p) for p in parts)
            if fn == "Fn::ImportValue":
                return f"{{Import:{self.render(arg)}}}"
        raise AssertionError(f"{self.stack_name}: cannot render {value!r}")

    def referenced_id(self, value: Any) -> str:
        """The logical id a `Ref` / `Fn::GetAtt` points at."""
        match = re.fullmatch(r"\{(?:Ref:(\w+)|GetAtt:(\w+)\.\w+)\}", self.render(value))
        assert match, f"{self.stack_name}: {value!r} is not a reference to a resource"
        return match.group(1) or match.group(2)


@dataclass
class Synthesized:
    """The cloud assembly of one environment."""

    env: str
    config: Any  # infra.cdk.config.EnvConfig
    outdir: Path
    templates: dict[str, Template] = field(default_factory=dict)
    cfn_lint: subprocess.Popen[str] | None = None  # started as soon as the templates exist

    @property
    def account(self) -> str:
        """The account as rendered in names: the configured one, else the deploy-time token."""
        return self.config.account or "${AWS::AccountId}"

    def bucket_name(self, bucket_id: str) -> str:
        return f"tixpilot-{self.env}-{bucket_id}-{self.account}-{self.config.region}"

    def stack(self, concern: str) -> Template:
        return self.templates[f"TixPilot-{self.env}-{concern}"]

    @property
    def manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = json.loads((self.outdir / "manifest.json").read_text())
        return manifest

    @property
    def validation_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return report

    def metadata_entries(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (construct path, metadata entry) of every stack, inline or in its metadata file."""
        for artifact in self.manifest["artifacts"].values():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            sources = [artifact.get("metadata", {})]
            if "additionalMetadataFile" in artifact:
                sources.append(json.loads((self.outdir / artifact["additionalMetadataFile"]).read_text()))
            for metadata in sources:
                for path, entries in metadata.items():
                    for entry in entries:
                        yield path, entry

    def function(self, function_id: str) -> tuple[Template, str, dict[str, Any]]:
        """The stack, logical id and resource of function `tixpilot-<env>-<function_id>`."""
        name = f"tixpilot-{self.env}-{function_id}"
        for template in self.templates.values():
            for logical_id, resource in template.of_type("AWS::Lambda::Function").items():
                if resource["Properties"].get("FunctionName") == name:
                    return template, logical_id, resource
        raise AssertionError(f"no function named {name}")


def _synthesize(env: str, outdir: Path) -> Synthesized:
    from infra.app import synth

    try:
        result = synth(env, outdir=outdir)
    except RuntimeError as exc:
        report = outdir / "validation-report.json"
        violations = []
        if report.exists():
            for plugin in json.loads(report.read_text())["pluginReports"]:
                for violation in plugin.get("violations", []):
                    paths = ", ".join(c["constructPath"] for c in violation["violatingConstructs"])
                    violations.append(f"{violation['ruleName']} ({violation['severity']}) at {paths}")
        pytest.fail(f"synth of {env} failed: {exc}\n" + "\n".join(violations), pytrace=False)
    synthesized = Synthesized(env=env, config=result.config, outdir=result.outdir)
    for artifact in result.assembly.stacks:
        path = result.outdir / artifact.template_file
        synthesized.templates[artifact.stack_name] = Template(
            artifact.stack_name, path, json.loads(path.read_text())
        )
    synthesized.cfn_lint = _start_cfn_lint(synthesized)
    return synthesized


def _start_cfn_lint(synthesized: Synthesized) -> subprocess.Popen[str]:
    """cfn-lint in its own process, so it runs while the other environment synthesizes."""
    command = [
        sys.executable,
        "-c",
        "import sys; from cfnlint.runner import main; sys.exit(main())",
        "--format",
        "json",
        "--regions",
        synthesized.config.region,
        "--include-checks",
        "I",
        "--ignore-checks",
        *sorted(IGNORED_CFN_LINT_RULES),
        "--",
        *(str(t.path) for t in synthesized.templates.values()),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="session")
def synth_dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def synth_prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _synthesize("prod", tmp_path_factory.mktemp("cdk-prod"))


@pytest.fixture(params=ENVS, scope="session")
def synthesized(request: pytest.FixtureRequest) -> Synthesized:
    """Each environment in turn; tests that hold for every environment take this one."""
    result: Synthesized = request.getfixturevalue(f"synth_{request.param}")
    return result
