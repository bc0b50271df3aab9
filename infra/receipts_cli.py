"""`tixpilot receipts replay|import|migrate-keys`: intake over stored or backfilled messages, with
a progress bar on stderr and one JSON object (the counts) on stdout."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any


def _repos() -> Any:
    from tixpilot.repositories.domains import DomainRepository
    from tixpilot.repositories.forwarders import ForwarderRepository
    from tixpilot.repositories.purchases import PurchaseRepository
    from tixpilot.repositories.receipts import ReceiptRepository
    from tixpilot.repositories.sequences import SequenceRepository
    from tixpilot.services.intake import IntakeRepos
    from tixpilot.services.purchases import PurchaseRepos

    return IntakeRepos(
        domains=DomainRepository(),
        receipts=ReceiptRepository(),
        purchases=PurchaseRepos(purchases=PurchaseRepository(), sequences=SequenceRepository()),
        forwarders=ForwarderRepository(),
    )


def run_receipts(args: argparse.Namespace) -> dict[str, Any]:
    from tqdm import tqdm

    from tixpilot.deferred import run_later
    from tixpilot.errors import InvalidParameter
    from tixpilot.models.receipts import UNROUTED_TENANT
    from tixpilot.repositories.receipts import RawMailStore, ReceiptRepository
    from tixpilot.services.intake import count_messages, import_message, messages_in, replay

    repos, store, records = _repos(), RawMailStore(), ReceiptRepository()
    outcomes: Counter[str] = Counter()
    if args.action == "migrate-keys":
        return records.migrate_keys()
    if args.action == "replay":
        tenant_id = UNROUTED_TENANT if args.unrouted else args.tenant_id
        # records written before keys were hashed move to their key first, so that replay
        # writes over them instead of beside them
        records.migrate_keys(tenant_id)
        statuses = ("unparsed", "parsed") if args.status == "all" else (args.status,)
        # materialized first: replay moves receipts between the status partitions it reads
        stored = list(repos.receipts.stored(tenant_id, statuses))
        for receipt in tqdm(stored, desc="replay", unit="msg", disable=None):
            for outcome in replay(repos, receipt, store.get(receipt.raw_key)):
                moved = outcome.tenant_id != receipt.tenant_id
                outcomes["routed" if moved else outcome.status] += 1
            run_later()  # name-cap raises the message's purchase queued
        return {"tenant_id": tenant_id, "replayed": len(stored), **outcomes}
    path = Path(args.path)
    if not path.exists():
        raise InvalidParameter("path", f"path: {path} does not exist; give an mbox file or a folder of .eml")
    recipients = [args.to] if args.to else None
    total = count_messages(path)
    for raw in tqdm(messages_in(path), total=total, desc="import", unit="msg", disable=None):
        for receipt in import_message(repos, store, raw, recipients):
            outcomes[receipt.status] += 1
        run_later()
    return {"messages": total, **outcomes}
