"""The local stack as the e2e tests run it: `python -m infra.local` in a subprocess, on free ports.

Everything goes over the wire: HTTP to the API, SMTP to the mail receiver, the `tixpilot` CLI as a
subprocess, and boto3 against the stack's moto endpoint. Nothing here imports the product code.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
DEMO_TOKEN = "tpk_e2e-demo-token-fixed-by-the-tests"
DEMO_DOMAIN = "demo.tixpilot.test"
# Every tenant endpoint the stack serves so far.
ENDPOINTS = ("/v2/verify", "/v2/marketplaces", "/v2/disclosures", "/v2/domains/list")
START_TIMEOUT_S = 180.0  # a deadline, not a figure: a loaded 2-core machine starts the stack slowly
STOP_TIMEOUT_S = 30.0
HTTP_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 60.0

T = TypeVar("T")


def free_ports(count: int) -> list[int]:
    """Distinct free TCP ports: all bound at once so the OS cannot hand out one twice."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def shell_environment() -> dict[str, str]:
    """A developer's shell: none of the AWS, TixPilot or Powertools settings the in-process test
    levels put into os.environ (tests/conftest.py sets TIXPILOT_ENV=test, the integration level
    sets AWS_ENDPOINT_URL), so the stack and the CLI run on their own defaults."""
    prefixes = ("AWS_", "TIXPILOT_", "POWERTOOLS_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def poll_until(check: Callable[[], T | None], what: str, timeout_s: float = 15.0) -> T:
    """Call `check` until it returns something truthy, and return that; fail after the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {timeout_s:.0f}s")
        time.sleep(0.1)


@dataclass(frozen=True)
class CliResult:
    returncode: int
    output: dict[str, Any]


@dataclass
class LocalStack:
    process: subprocess.Popen[bytes]
    aws_port: int
    api_port: int
    smtp_port: int
    primary_port: int
    token: str
    state_dir: Path | None
    log_path: Path
    marketplace_port: int = 0
    skybox_port: int = 0

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def aws_url(self) -> str:
        return f"http://{HOST}:{self.aws_port}"

    @property
    def primary_url(self) -> str:
        return f"http://{HOST}:{self.primary_port}"

    @property
    def marketplace_url(self) -> str:
        return f"http://{HOST}:{self.marketplace_port}"

    @property
    def skybox_url(self) -> str:
        return f"http://{HOST}:{self.skybox_port}"

    def get(
        self, path: str, params: dict[str, str] | None = None, token: str | None = None, auth: bool = True
    ) -> requests.Response:
        """GET on the API with the demo token, another `token`, or no header at all (auth=False)."""
        headers = {"x-api-token": token or self.token} if auth else {}
        return requests.get(self.api_url + path, params=params, headers=headers, timeout=HTTP_TIMEOUT_S)

    def cli(self, *args: str) -> CliResult:
        """`tixpilot ARGS` against this stack's emulator; its stdout must be one JSON object."""
        # the ports tell the CLI where this stack's API (webhook URLs) and marketplace simulator are
        env = {
            **shell_environment(),
            "AWS_ENDPOINT_URL": self.aws_url,
            "API_PORT": str(self.api_port),
            "MARKETPLACE_PORT": str(self.marketplace_port),
        }
        command = [str(Path(sys.executable).with_name("tixpilot")), *args]
        done = subprocess.run(
            command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT_S
        )
        try:
            output = json.loads(done.stdout)
        except json.JSONDecodeError:
            pytest.fail(
                f"`tixpilot {' '.join(args)}` did not print one JSON object:\n{done.stdout}{done.stderr}"
            )
        assert isinstance(output, dict), done.stdout
        return CliResult(done.returncode, output)

    def aws(self, service: str) -> Any:
        """A boto3 client for the stack's moto server (dummy credentials)."""
        return boto3.session.Session().client(
            service,
            endpoint_url=self.aws_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def log_tail(self, chars: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-chars:]

    def is_ready(self) -> bool:
        """The API answers /v2/verify for the demo token and the SMTP receiver says hello."""
        try:
            if self.get("/v2/verify").status_code != 200:
                return False
            with smtplib.SMTP(HOST, self.smtp_port, timeout=HTTP_TIMEOUT_S) as smtp:
                return smtp.noop()[0] == 250
        except (requests.RequestException, OSError):  # smtplib's errors are OSErrors too
            return False

    def stop(self) -> int:
        """Ctrl-C, as a developer stops `make run`; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the local stack ignored SIGINT for {STOP_TIMEOUT_S:.0f}s:\n{self.log_tail()}")

    def stop_cleanly(self) -> None:
        """Stop, and fail unless the stack exited 0 (its state, if any, saved)."""
        returncode = self.stop()
        assert returncode == 0, f"the local stack exited with {returncode} on SIGINT:\n{self.log_tail()}"

    def kill(self) -> None:
        """SIGKILL to the stack's own process group (only what this helper started)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it exited in between
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def start_stack(
    state_dir: Path | None, log_path: Path, token: str = DEMO_TOKEN, env: dict[str, str] | None = None
) -> LocalStack:
    """`python -m infra.local` in its own process group, returned once it is ready.

    Without a state dir the stack keeps nothing when it stops (and stops sooner). `env`: more
    variables for it (the shortened timings a test needs)."""
    aws_port, api_port, smtp_port, primary_port, marketplace_port, skybox_port = free_ports(6)
    env = {
        **shell_environment(),
        "AWS_PORT": str(aws_port),
        "API_PORT": str(api_port),
        "SMTP_PORT": str(smtp_port),
        "PRIMARY_PORT": str(primary_port),
        "MARKETPLACE_PORT": str(marketplace_port),
        "SKYBOX_PORT": str(skybox_port),
        **({"TIXPILOT_STATE_DIR": str(state_dir)} if state_dir else {}),
        "TIXPILOT_DEMO_TOKEN": token,
        "TIXPILOT_POLL_S": "1",  # the marketplace poller's loop (each feed still within its limit)
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
    stack = LocalStack(
        process,
        aws_port,
        api_port,
        smtp_port,
        primary_port,
        token,
        state_dir,
        log_path,
        marketplace_port,
        skybox_port,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while not stack.is_ready():
        if process.poll() is not None:
            pytest.fail(
                f"the local stack exited with {process.returncode} while starting:\n{stack.log_tail()}"
            )
        if time.monotonic() > deadline:
            stack.kill()
            pytest.fail(f"the local stack was not ready within {START_TIMEOUT_S:.0f}s:\n{stack.log_tail()}")
        time.sleep(0.1)
    return stack
