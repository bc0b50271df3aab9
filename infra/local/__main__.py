"""`make run`: the whole system locally, in the foreground, until Ctrl-C.

Ports and options come from the environment (docs/local-stack.md): AWS_PORT (4566), API_PORT
(3000), SMTP_PORT (2525), PRIMARY_PORT (3100), MARKETPLACE_PORT (3200), SKYBOX_PORT (3300; no
fake SkyBox when TIXPILOT_SKYBOX_URL names another), TIXPILOT_STATE_DIR, TIXPILOT_DEMO_TOKEN; for
the marketplace simulator MARKETPLACE_TIME_SCALE (1.0) and MARKETPLACE_TEVO_WEBHOOK_URL (the API's
/webhooks/tevo); TIXPILOT_POLL_S (60), how often the marketplace poller runs.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from infra.cdk.constants import RUNTIME_ENVIRONMENT

HOST = "127.0.0.1"
ENV = "local"  # TIXPILOT_ENV of the local stack: its tables are tixpilot-local-<name>


def _port(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"{name}={value!r} is not a TCP port number")
    return int(value)


def fake_skybox_port() -> int | None:
    """Where the fake SkyBox listens (SKYBOX_PORT, 3300), or None: TIXPILOT_SKYBOX_URL names an
    outside SkyBox (another fake, or the real one), which the adapter then talks to."""
    return None if os.environ.get("TIXPILOT_SKYBOX_URL") else _port("SKYBOX_PORT", 3300)


def configure_environment(
    aws_port: int,
    primary_port: int,
    marketplace_port: int | None = None,
    api_port: int | None = None,
    skybox_port: int | None = None,
) -> None:
    """Point every boto3 client of this process at the emulator, before any is created."""
    os.environ["AWS_ENDPOINT_URL"] = f"http://{HOST}:{aws_port}"
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
    os.environ["TIXPILOT_ENV"] = ENV
    os.environ.setdefault("TIXPILOT_PRIMARY_URL", f"http://{HOST}:{primary_port}")
    if marketplace_port is not None:  # the marketplace adapters talk to the simulator
        for name, prefix in (("STUBHUB", "stubhub"), ("TEVO", "tevo"), ("VIVID", "vivid")):
            os.environ.setdefault(f"TIXPILOT_{name}_URL", f"http://{HOST}:{marketplace_port}/{prefix}")
    if skybox_port is not None:  # the SkyBox adapter talks to the fake (unless told otherwise)
        os.environ.setdefault("TIXPILOT_SKYBOX_URL", f"http://{HOST}:{skybox_port}")
    if api_port is not None:  # the marketplaces' webhooks reach the local API
        os.environ.setdefault("TIXPILOT_WEBHOOK_BASE_URL", f"http://{HOST}:{api_port}")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "TixPilot")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", os.environ.get("LOG_LEVEL", "WARNING"))
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    for name, value in RUNTIME_ENVIRONMENT.items():  # as every deployed function has it
        os.environ.setdefault(name, value)


def main() -> int:
    aws_port, api_port = _port("AWS_PORT", 4566), _port("API_PORT", 3000)
    smtp_port, primary_port = _port("SMTP_PORT", 2525), _port("PRIMARY_PORT", 3100)
    marketplace_port = _port("MARKETPLACE_PORT", 3200)
    skybox_port = fake_skybox_port()
    state_dir = Path(os.environ["TIXPILOT_STATE_DIR"]) if os.environ.get("TIXPILOT_STATE_DIR") else None
    configure_environment(aws_port, primary_port, marketplace_port, api_port, skybox_port)

    from infra.definitions.functions import MARKETPLACE_POLLER
    from infra.local import state
    from infra.local.gateway import Gateway, make_server
    from infra.local.lambdas import LocalLambdas
    from infra.local.marketplace_sim import MarketplaceSimulator, make_marketplace_server
    from infra.local.moto_serial import start_emulator
    from infra.local.pipeline import (
        resume_fulfillment,
        resume_unfinished,
        start_local_pipeline,
        start_local_timer,
    )
    from infra.local.queues import LocalQueueWorkers
    from infra.local.resources import ensure_resources
    from infra.local.sandbox import Sandbox, make_sandbox_server
    from infra.local.schedule import start_schedule
    from infra.local.seed import ensure_demo_tenant, seed_reference
    from infra.local.skybox_fake import DEMO_ACCOUNT, SkyBoxFake, make_skybox_server
    from infra.local.smtp import start_smtp
    from tixpilot import aws
    from tixpilot.repositories.receipts import RawMailStore
    from tixpilot.settings import get_settings

    moto = start_emulator(HOST, aws_port)
    settings = get_settings()
    dynamodb, s3, secrets = aws.client("dynamodb"), aws.client("s3"), aws.client("secretsmanager")
    ensure_resources(settings, dynamodb, s3, secretsmanager=secrets)
    restored = state.restore(settings, dynamodb, s3, state_dir, secrets) if state_dir else None
    seed_reference()
    meta = state.read_meta(state_dir)
    demo = ensure_demo_tenant(meta.get("demo_tenant_id"), os.environ.get("TIXPILOT_DEMO_TOKEN"))
    state.write_meta(state_dir, {**meta, "demo_tenant_id": demo.tenant.tenant_id})

    lambdas = LocalLambdas()
    # the purchase pipeline: moto runs the real state machine, its Lambda tasks in this process
    start_local_pipeline(settings, aws.client("stepfunctions"), lambdas)
    # the fulfillment retry timer: a Wait, then SQS, in moto's interpreter
    start_local_timer(settings, aws.client("stepfunctions"), aws.client("sqs"), lambdas)
    if restored:
        resume_unfinished(settings, dynamodb)  # moto's executions are not in the snapshot
        resume_fulfillment(settings, dynamodb)
    # the queue workers (the sales and fulfillment workers): moto's queues polled, the handlers
    # run in this process
    workers = LocalQueueWorkers(settings, lambdas, aws.client("sqs")).start()
    # SMTP first: the stack counts as ready when the API answers, so everything else must be up.
    smtp = start_smtp(lambdas, RawMailStore(), HOST, smtp_port)
    marketplaces = MarketplaceSimulator(
        tevo_webhook_url=os.environ.get("MARKETPLACE_TEVO_WEBHOOK_URL")
        or f"http://{HOST}:{api_port}/webhooks/tevo",
        time_scale=float(os.environ.get("MARKETPLACE_TIME_SCALE") or 1.0),
    )
    servers: list[Any] = [
        make_server(Gateway(lambdas), HOST, api_port),
        make_sandbox_server(Sandbox(), HOST, primary_port),
        make_marketplace_server(marketplaces, HOST, marketplace_port),
    ]
    if skybox_port is not None:
        skybox = SkyBoxFake()
        skybox.add_account(DEMO_ACCOUNT.account_id, DEMO_ACCOUNT.api_token, DEMO_ACCOUNT.application_token)
        servers.append(make_skybox_server(skybox, HOST, skybox_port))
        skybox_line = (
            f"  SkyBox (fake)  http://{HOST}:{skybox_port}   (account {DEMO_ACCOUNT.account_id}, "
            f"tokens {DEMO_ACCOUNT.api_token} / {DEMO_ACCOUNT.application_token})"
        )
    else:
        skybox_line = f"  SkyBox         {os.environ['TIXPILOT_SKYBOX_URL']}   (TIXPILOT_SKYBOX_URL)"
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()

    stop = threading.Event()
    # EventBridge's schedule in AWS; here every TIXPILOT_POLL_S (each feed within its own limit)
    poller = start_schedule(lambdas, MARKETPLACE_POLLER.id, settings.poll_s, stop)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(
        "\n".join(
            [
                "TixPilot local stack is up."
                + (f" Restored {restored} from {state_dir}." if restored else ""),
                f"  API            http://{HOST}:{api_port}   (OpenAPI: /openapi.json)",
                f"  AWS emulator   http://{HOST}:{aws_port}   (moto; AWS_ENDPOINT_URL for the CLI)",
                f"  SMTP (SES)     {HOST}:{smtp_port}           (mail to anyone@{demo.domain})",
                f"  Primary        http://{HOST}:{primary_port}   (POST /sandbox/orders)",
                f"  Marketplaces   http://{HOST}:{marketplace_port}   (/stubhub /tevo /vivid; /sandbox/sell)",
                f"                 webhooks to {settings.webhook_base_url}/webhooks/<name>; "
                f"polled every {settings.poll_s}s",
                skybox_line,
                f"  Demo tenant    {demo.tenant.name} (id {demo.tenant.tenant_id})",
                f"  API token      {demo.api_token}",
                f"Try: curl -H 'x-api-token: {demo.api_token}' http://{HOST}:{api_port}/v2/verify",
                "Ctrl-C stops it"
                + (f"; data is saved to {state_dir}." if state_dir else "; data is not kept."),
            ]
        ),
        flush=True,
    )
    stop.wait()
    print("stopping...", flush=True)
    poller.join(timeout=10)  # a run in progress ends before the emulator goes
    smtp.stop()
    workers.stop()
    marketplaces.stop()
    for server in servers:
        server.shutdown()
        server.server_close()
    if state_dir:
        counts = state.snapshot(settings, dynamodb, s3, state_dir, secrets)
        print(f"saved {counts} to {state_dir}", flush=True)
    moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
