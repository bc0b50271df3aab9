"""The CDK app: one stack set for the environment chosen by `-c env=dev|staging|prod`.

Run by the CDK CLI (`cdk synth -c env=prod`, via cdk.json) or directly:

    .venv/bin/python -m infra.app                 # dev, into ./cdk.out
    .venv/bin/python -m infra.app -c env=prod     # or TIXPILOT_SYNTH_ENV=prod

Under the CLI the context (cdk.json plus `-c`) arrives in CDK_CONTEXT_JSON and the output
directory in CDK_OUTDIR; run directly, this module reads cdk.json's context itself. Every stack
is checked by cdk-nag (AwsSolutions): an unacknowledged finding fails the synth.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The jsii runtime (a node process started on the first aws_cdk import) inherits these; without
# them every synth starts with a banner about the node version (infra/cdk/__init__.py does the
# same for code that imports the constructs directly).
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk import cx_api
from cdk_nag import AwsSolutionsChecks

from infra.cdk import constants
from infra.cdk.config import ConfigError, EnvConfig, load_env_config, select_env_name
from infra.cdk.stacks import TixPilotStacks, build_stacks

CDK_JSON = constants.REPO_ROOT / "cdk.json"


@dataclass(frozen=True)
class SynthesizedApp:
    config: EnvConfig
    stacks: TixPilotStacks
    assembly: cx_api.CloudAssembly

    @property
    def outdir(self) -> Path:
        return Path(self.assembly.directory)


def read_cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    context: dict[str, Any] = json.loads(path.read_text()).get("context", {})
    return context


def parse_context_args(argv: Sequence[str]) -> dict[str, str]:
    """`-c key=value` / `--context key=value` pairs, as the CDK CLI takes them."""
    context: dict[str, str] = {}
    args = iter(argv)
    for arg in args:
        if arg in ("-c", "--context"):
            value = next(args, None)
        elif arg.startswith("--context="):
            value = arg.removeprefix("--context=")
        else:
            raise SystemExit(
                f"unknown argument {arg!r}; usage: python -m infra.app [-c env=dev|staging|prod]"
            )
        if value is None or "=" not in value:
            raise SystemExit(f"context must be key=value, got {value!r}")
        key, _, val = value.partition("=")
        context[key] = val
    return context


def build_app(
    env_name: str | None = None,
    *,
    outdir: str | os.PathLike[str] | None = None,
    context: dict[str, Any] | None = None,
) -> tuple[cdk.App, EnvConfig, TixPilotStacks]:
    """Build (not synthesize) the app for one environment.

    `context` and `outdir` default to what the CDK CLI passes (CDK_CONTEXT_JSON, CDK_OUTDIR)
    or, when not run by the CLI, to cdk.json's context and ./cdk.out. `env_name` wins over the
    context's `env`.
    """
    under_cli = "CDK_OUTDIR" in os.environ
    if context is None and not under_cli:
        context = read_cdk_json_context()
    if context is not None and env_name is not None:
        context = {**context, constants.CONTEXT_ENV: env_name}
    if outdir is None and not under_cli:
        outdir = Path.cwd() / "cdk.out"
    app = cdk.App(context=context, outdir=None if outdir is None else str(outdir))

    name = select_env_name(env_name or app.node.try_get_context(constants.CONTEXT_ENV))
    config = load_env_config(name, _app_context(app))
    stacks = build_stacks(app, config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, config, stacks


def _app_context(app: cdk.App) -> dict[str, Any]:
    """The context keys this app reads, from the App (so CLI-provided context counts too)."""
    keys = (constants.CONTEXT_ENVIRONMENTS,)
    found = {key: app.node.try_get_context(key) for key in keys}
    return {key: value for key, value in found.items() if value is not None}


def synth(
    env_name: str | None = None,
    *,
    outdir: str | os.PathLike[str] | None = None,
    context: dict[str, Any] | None = None,
) -> SynthesizedApp:
    app, config, stacks = build_app(env_name, outdir=outdir, context=context)
    return SynthesizedApp(config=config, stacks=stacks, assembly=app.synth())


def assembly_annotations(outdir: Path, level: str) -> list[str]:
    """`info` / `warning` / `error` annotations of every stack in the cloud assembly at `outdir`."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    found = []
    for artifact in manifest["artifacts"].values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        sources = [artifact.get("metadata", {})]
        if "additionalMetadataFile" in artifact:
            sources.append(json.loads((outdir / artifact["additionalMetadataFile"]).read_text()))
        for metadata in sources:
            for path, entries in metadata.items():
                found += [f"{path}: {e['data']}" for e in entries if e["type"] == f"aws:cdk:{level}"]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Synthesize; exit 1 on cdk-nag findings, and (run directly) on any warning annotation.
    Under the CLI warnings are the CLI's to report (`cdk synth --strict` fails on them)."""
    under_cli = "CDK_OUTDIR" in os.environ
    overrides = parse_context_args(sys.argv[1:] if argv is None else argv)
    context = None if under_cli else {**read_cdk_json_context(), **overrides}
    try:
        result = synth(overrides.get(constants.CONTEXT_ENV), context=context)
    except ConfigError as exc:
        print(f"cdk.json: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # jsii surfaces CDK's ValidationFailed (cdk-nag) as RuntimeError
        print(f"synth failed: {exc}", file=sys.stderr)
        return 1
    for note in assembly_annotations(result.outdir, "info"):
        print(f"note: {note}", file=sys.stderr)
    warnings = assembly_annotations(result.outdir, "warning")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    names = ", ".join(stack.stack_name for stack in result.assembly.stacks)
    print(f"synthesized {result.config.name} ({names}) into {result.outdir}", file=sys.stderr)
    return 1 if warnings and not under_cli else 0


if __name__ == "__main__":
    sys.exit(main())
