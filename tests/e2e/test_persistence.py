"""TIXPILOT_STATE_DIR: what a stack held is there again after Ctrl-C and a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def verify(stack: LocalStack, token: str) -> dict:
    response = stack.get("/v2/verify", token=token)
    assert response.status_code == 200, response.text
    return dict(response.json()["output"][0])


def test_state_survives_a_restart(launch_stack: Callable[[Path], LocalStack], tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    first = launch_stack(state_dir)
    demo_before = verify(first, first.token)

    created = first.cli("tenant", "create", "--name", "Persistent Tickets")
    assert created.returncode == 0, created.output
    tenant_id, token = created.output["tenant_id"], created.output["api_token"]
    added = first.cli("domain", "add", "--tenant-id", tenant_id, "--domain", "persistent.test")
    assert added.returncode == 0, added.output

    first.stop_cleanly()
    assert any(state_dir.iterdir()), "nothing was saved to TIXPILOT_STATE_DIR"

    second = launch_stack(state_dir)
    assert verify(second, token) == {"company_name": "Persistent Tickets", "userid": tenant_id}
    listed = second.get("/v2/domains/list", token=token)
    assert listed.status_code == 200, listed.text
    assert [row["domain"] for row in listed.json()["output"]] == ["persistent.test"]
    assert verify(second, second.token) == demo_before, "the demo tenant keeps its id"

    # The id counters came back too: a new tenant never reuses a restored tenant's id.
    another = second.cli("tenant", "create", "--name", "After Restart")
    assert another.returncode == 0, another.output
    assert another.output["tenant_id"] not in (tenant_id, demo_before["userid"])

    second.stop_cleanly()
