"""The tickets a crawl finds on the primary: each seat's barcode, ticket file and transfer link.

A crawl records what the primary shows (services.purchases.record_observation merges the
tickets in, the primary being authoritative); the files it names are then downloaded once and
kept in the ticket-pdfs bucket (`Ticket.pdf_key`), where GET /v2/getpdf and fulfillment read
them. A file the primary replaces (a reissued ticket) is a new `file_ref`, stored anew.

Primaries release tickets late (often days before the event, long after the purchase pipeline
ended with its PO), so fulfillment asks for a crawl again when a sale's tickets are not there
yet: `refresh_ticket_group` crawls the order the ticket group was bought with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from tixpilot.adapters.primaries.base import PrimaryConnector
from tixpilot.models.purchases import Observation, Purchase
from tixpilot.services.purchases import PurchaseRepos, PurchaseWriter, record_observation, update_purchase


class TicketFileStore(Protocol):
    def store(self, tenant_id: str, rid: int, seat: str, content: bytes) -> str: ...


class TicketGroups(Protocol):
    def ticket_group(self, tenant_id: str, tgid: str) -> dict[str, Any] | None: ...


def store_ticket_files(
    store: PurchaseWriter, files: TicketFileStore, connector: PrimaryConnector, purchase: Purchase
) -> Purchase:
    """Download the ticket files the primary named and that are not kept yet, keep them, and
    record their keys on the purchase. PrimaryUnavailable when a download fails (the purchase
    keeps what was stored before it)."""
    missing = [t for t in purchase.tickets or [] if t.file_ref and not t.pdf_key]
    if not missing:
        return purchase
    stored: dict[str, tuple[str, str]] = {}  # seat -> (file_ref, key)
    for ticket in missing:
        assert ticket.file_ref is not None
        content = connector.ticket_file(ticket.file_ref)
        key = files.store(purchase.tenant_id, purchase.rid, ticket.seatnumber, content)
        stored[ticket.seatnumber] = (ticket.file_ref, key)

    def change(current: Purchase) -> dict[str, object] | None:
        tickets, changed = [], False
        for ticket in current.tickets or []:
            found = stored.get(ticket.seatnumber)
            if found is not None and ticket.file_ref == found[0] and not ticket.pdf_key:
                ticket = ticket.model_copy(update={"pdf_key": found[1]})
                changed = True
            tickets.append(ticket)
        return {"tickets": tickets, "haspdf": True} if changed else None

    return update_purchase(store, purchase.tenant_id, purchase.rid, change)


@dataclass(frozen=True)
class TicketDeps:
    repos: PurchaseRepos  # record_observation's
    purchases: PurchaseWriter
    files: TicketFileStore
    connector: Callable[[int], PrimaryConnector | None]  # by buying marketplace id
    groups: TicketGroups  # the builtin POS's ticket groups (which purchase each came from)


def record_crawl(
    repos: PurchaseRepos,
    store: PurchaseWriter,
    files: TicketFileStore | None,
    connector: PrimaryConnector,
    tenant_id: str,
    seen: Observation,
) -> tuple[Purchase, bool]:
    """Record what a crawl saw of one order, then keep the ticket files it names (unless there is
    nowhere to keep them). Answers (purchase, created)."""
    purchase, created = record_observation(repos, tenant_id, seen, "crawl")
    if files is not None:
        purchase = store_ticket_files(store, files, connector, purchase)
    return purchase, created


def crawl_tickets(deps: TicketDeps, purchase: Purchase) -> Purchase:
    """Crawl the primary for a purchase's order now and keep what it shows of the tickets;
    the purchase as it is afterwards. PrimaryUnavailable propagates."""
    connector = deps.connector(purchase.marketplace_id)
    if connector is None:
        return purchase
    seen = connector.order(purchase.account_username, purchase.confirmation_number)
    region = (purchase.confirmation_region or "").upper()
    if seen is None or (seen.confirmation_region or "").upper() != region:
        return purchase
    # the order is the account's: recorded under its own name, whatever the primary wrote
    seen = seen.model_copy(
        update={"marketplace_id": purchase.marketplace_id, "account_username": purchase.account_username}
    )
    return record_crawl(deps.repos, deps.purchases, deps.files, connector, purchase.tenant_id, seen)[0]


def refresh_ticket_group(deps: TicketDeps, tenant_id: str, tgid: str) -> bool:
    """Look at the primary again for the tickets of a builtin ticket group (the order it was
    bought with). False when the group or its purchase is unknown, or nothing could be crawled."""
    group = deps.groups.ticket_group(tenant_id, tgid)
    if group is None or group.get("rid") is None:
        return False
    purchase = deps.purchases.get(tenant_id, int(group["rid"]))
    if purchase is None:
        return False
    crawl_tickets(deps, purchase)
    return True
