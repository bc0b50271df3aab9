"""`tixpilot receipts import` backfills mbox files and .eml folders; `tixpilot receipts replay`
runs intake again over stored messages."""

from __future__ import annotations

import json
import mailbox
import shutil
from pathlib import Path

from bench.hostile_mail import HOSTILE, long_message_id
from infra import cli
from tests.events import api_event
from tixpilot.adapters import receipts as parsers
from tixpilot.services.tenants import add_domain

CORPUS = Path(__file__).resolve().parents[2] / "events" / "receipts"


def run(capsys, moto_server, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()  # drop what handlers invoked before printed (powertools metrics)
    code = cli.main(["--env", "test", "--endpoint-url", moto_server, *argv])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return code, json.loads(out[0])


def purchases_of(invoke, token: str) -> list[dict]:
    response = invoke("api_purchases", api_event("GET", "/v2/purchases", token=token))
    return json.loads(response["body"])["output"][0]["purchases"]  # type: ignore[no-any-return]


def test_import_a_folder_then_again_changes_nothing(capsys, moto_server, admin, new_tenant, invoke, tmp_path):
    tenant = new_tenant()
    domain = f"import-{tenant.id}.test"
    add_domain(admin, tenant.id, domain)
    for name in ("tm_plain_seated", "tm_plain_seated_resent", "axs_seated", "noise_bounce"):
        shutil.copy(CORPUS / f"{name}.eml", tmp_path / f"{name}.eml")
    code, counts = run(capsys, moto_server, "receipts", "import", str(tmp_path), "--to", f"b@{domain}")
    assert code == 0 and counts == {"messages": 4, "parsed": 3, "unparsed": 1}
    assert len(purchases_of(invoke, tenant.token)) == 2  # the resent receipt merged
    code, counts = run(capsys, moto_server, "receipts", "import", str(tmp_path), "--to", f"b@{domain}")
    assert code == 0 and counts == {"messages": 4, "parsed": 3, "unparsed": 1}  # same delivery: no-op
    assert len(purchases_of(invoke, tenant.token)) == 2


def test_import_an_mbox_routes_by_its_delivery_headers(
    capsys, moto_server, admin, new_tenant, invoke, tmp_path
):
    tenant = new_tenant()
    box = mailbox.mbox(tmp_path / "inbox.mbox")
    # tm_base64_plain is addressed to celtics.box@demo.tixpilot.test; give that domain a new owner
    raw = (
        (CORPUS / "tm_base64_plain.eml")
        .read_bytes()
        .replace(b"demo.tixpilot.test", f"{tenant.id}.test".encode())
    )
    add_domain(admin, tenant.id, f"{tenant.id}.test")
    box.add(raw)
    box.flush()
    code, counts = run(capsys, moto_server, "receipts", "import", str(tmp_path / "inbox.mbox"))
    assert code == 0 and counts == {"messages": 1, "parsed": 1}
    (purchase,) = purchases_of(invoke, tenant.token)
    assert purchase["purchasing_account"]["account_username"] == f"celtics.box@{tenant.id}.test"


def test_replay_parses_what_a_fixed_parser_now_reads_and_routes_late_domains(
    capsys, moto_server, admin, new_tenant, invoke, tmp_path, monkeypatch
):
    tenant = new_tenant()
    domain = f"replay-{tenant.id}.test"
    add_domain(admin, tenant.id, domain)
    shutil.copy(CORPUS / "tm_ga_no_quantity.eml", tmp_path / "a.eml")
    broken = dict(parsers.PARSERS)
    monkeypatch.setattr(parsers.registry, "PARSERS", {})  # as if no parser knew it yet
    code, counts = run(capsys, moto_server, "receipts", "import", str(tmp_path), "--to", f"b@{domain}")
    assert counts == {"messages": 1, "unparsed": 1} and purchases_of(invoke, tenant.token) == []
    monkeypatch.setattr(parsers.registry, "PARSERS", broken)
    code, counts = run(capsys, moto_server, "receipts", "replay", "--tenant-id", tenant.id)
    assert code == 0 and counts == {"tenant_id": tenant.id, "replayed": 1, "parsed": 1}
    (purchase,) = purchases_of(invoke, tenant.token)
    assert purchase["items"]["quantity"] == ""  # a GA receipt without a count: unknown

    late = f"late-{tenant.id}.test"
    shutil.copy(CORPUS / "tm_resale_seat_list.eml", tmp_path / "b.eml")
    (tmp_path / "a.eml").unlink()
    run(capsys, moto_server, "receipts", "import", str(tmp_path), "--to", f"eras@{late}")
    add_domain(admin, tenant.id, late)
    code, counts = run(capsys, moto_server, "receipts", "replay", "--unrouted")
    assert code == 0 and counts["routed"] >= 1
    assert len(purchases_of(invoke, tenant.token)) == 2


def test_import_of_a_missing_path_is_an_error(capsys, moto_server, tmp_path):
    code, error = run(capsys, moto_server, "receipts", "import", str(tmp_path / "nothing"))
    assert code == 1 and error["error"] == "E_PARAM" and error["message"].startswith("path:")


def test_hostile_messages_are_imported_as_unparsed_and_never_abort_the_import(
    capsys, moto_server, admin, new_tenant, invoke, tmp_path
):
    tenant = new_tenant()
    domain = f"hostile-{tenant.id}.test"
    add_domain(admin, tenant.id, domain)
    for name in ("deep_multipart", "deep_attached", "tag_soup", "address_flood"):
        (tmp_path / f"{name}.eml").write_bytes(HOSTILE[name]())
    shutil.copy(CORPUS / "tm_plain_seated.eml", tmp_path / "zz_receipt.eml")  # imported last
    code, counts = run(capsys, moto_server, "receipts", "import", str(tmp_path), "--to", f"b@{domain}")
    assert code == 0 and counts == {"messages": 5, "parsed": 1, "unparsed": 4}
    (purchase,) = purchases_of(invoke, tenant.token)
    assert purchase["receipt"]["verified"] is False  # an import: no transport checked it


def test_a_long_message_id_is_imported_and_replay_finds_it(capsys, moto_server, admin, new_tenant, tmp_path):
    tenant = new_tenant()
    domain = f"longid-{tenant.id}.test"
    add_domain(admin, tenant.id, domain)
    (tmp_path / "long.eml").write_bytes(long_message_id())
    code, counts = run(capsys, moto_server, "receipts", "import", str(tmp_path), "--to", f"b@{domain}")
    assert code == 0 and counts == {"messages": 1, "parsed": 1}
    code, counts = run(capsys, moto_server, "receipts", "replay", "--tenant-id", tenant.id, "--status", "all")
    assert code == 0 and counts == {"tenant_id": tenant.id, "replayed": 1, "parsed": 1}


def test_migrate_keys_reports_what_it_did(capsys, moto_server):
    code, counts = run(capsys, moto_server, "receipts", "migrate-keys")
    assert code == 0 and set(counts) == {"examined", "migrated", "conflicts"}
    code, again = run(capsys, moto_server, "receipts", "migrate-keys")
    assert (
        code == 0 and again["migrated"] == 0 and again["examined"] >= counts["examined"] - counts["conflicts"]
    )
