"""The builtin POS's ticket data: each seat's barcode and PDF from the purchase its ticket group
was PO'd from, and files only of the tenant asking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tixpilot.adapters.pos.base import PosContext, UnknownOrder, UnknownTicketGroup
from tixpilot.adapters.pos.builtin import BuiltinPos
from tixpilot.models.purchases import Purchase, Ticket

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


class Ledger:
    def ticket_group(self, tenant_id: str, tgid: str) -> dict[str, Any] | None:
        return {"tgid": tgid, "rid": 7} if (tenant_id, tgid) == ("t1", "500") else None


class Purchases:
    def get(self, tenant_id: str, rid: int, consistent: bool = False) -> Purchase | None:
        return Purchase.model_validate(
            {
                "tenant_id": tenant_id,
                "rid": rid,
                "account_username": "buyer@example.com",
                "confirmation_number": "12-34567",
                "datefirstseen": NOW,
                "datelastseen": NOW,
                "tickets": [
                    Ticket(seatnumber="1", barcode="B1", pdf_key="t1/7/1.pdf"),
                    Ticket(seatnumber="2", barcode="B2"),
                    Ticket(seatnumber="3"),
                ],
            }
        )


class Files:
    def read(self, key: str) -> bytes:
        return f"pdf of {key}".encode()


def test_ticket_data_per_seat_and_files_only_of_the_tenant() -> None:
    pos = BuiltinPos(ledger=Ledger(), purchases=Purchases(), files=Files())  # type: ignore[arg-type]
    context = PosContext(tenant_id="t1", now=NOW)
    found = pos.ticket_data(context, "500", ["1", "2", "3", "4"])
    assert [(t.seat, t.barcodes, t.file_ref) for t in found] == [
        ("1", ("B1",), "t1/7/1.pdf"),
        ("2", ("B2",), None),
    ]
    assert pos.ticket_file(context, "t1/7/1.pdf") == b"pdf of t1/7/1.pdf"
    with pytest.raises(UnknownOrder):
        pos.ticket_file(PosContext(tenant_id="t2", now=NOW), "t1/7/1.pdf")
    with pytest.raises(UnknownTicketGroup):
        pos.ticket_data(context, "999", ["1"])
