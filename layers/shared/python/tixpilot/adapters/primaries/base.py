"""What a crawl of a primary (Ticketmaster, AXS, ...) gives: the primary's own data per order,
its tickets per seat included (barcodes, ticket files, transfer links) once it shows them."""

from __future__ import annotations

from typing import Protocol

from tixpilot.models.purchases import Observation


class PrimaryUnavailable(Exception):
    """The primary could not be reached or answered with an error (transient: retried)."""


class PrimaryConnector(Protocol):
    def order(self, username: str, confirmation_number: str) -> Observation | None:
        """The primary's truth about one order of the account, or None if it does not show it (yet)."""
        ...

    def orders(self, username: str) -> list[Observation]:
        """Every order the account shows."""
        ...

    def ticket_file(self, file_ref: str) -> bytes:
        """The content of a ticket file an observation names (`Ticket.file_ref`): a PDF, or a
        screenshot of a mobile ticket. PrimaryUnavailable when it cannot be fetched."""
        ...
