"""E2E fixtures: one local stack for the whole session, and a launcher for tests that need their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import LocalStack, start_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The stack `make run` starts, on free ports, with a fixed demo token and a tmp state dir."""
    folder = tmp_path_factory.mktemp("e2e-stack")
    local = start_stack(folder / "state", folder / "stack.log")
    yield local
    local.stop_cleanly()


@pytest.fixture(scope="session")
def demo_tenant_id(stack: LocalStack) -> str:
    response = stack.get("/v2/verify")
    assert response.status_code == 200, response.text
    return str(response.json()["output"][0]["userid"])


@pytest.fixture
def launch_stack(tmp_path: Path) -> Iterator[Callable[[Path], LocalStack]]:
    """Start extra stacks on fresh ports; whatever a test leaves running is killed afterwards."""
    started: list[LocalStack] = []

    def launch(state_dir: Path) -> LocalStack:
        started.append(start_stack(state_dir, tmp_path / f"stack-{len(started)}.log"))
        return started[-1]

    yield launch
    for local in started:
        local.kill()
