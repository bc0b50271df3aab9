"""Order Integration under contention: many marketplace orders hold the same seats at once
through the real handler; exactly one wins each round and no seat is ever sold twice."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

from tests.integration.oi_support import hold_body, marketplace_key, oi_event, seat_holders, ticket_group
from tixpilot.repositories.ledger import order_entity

THREADS = 8
ROUNDS = 50


def test_one_winner_per_round_and_no_double_sale(
    admin: Any, new_tenant: Any, invoke: Any, interleaved: None
) -> None:
    broker = new_tenant("Contended Broker")
    key = marketplace_key(admin, broker.id, 25)
    sold_by: dict[tuple[int, str], list[str]] = {}
    with ThreadPoolExecutor(THREADS) as pool:
        for round_no in range(ROUNDS):
            tgid = ticket_group(broker.id, ["1", "2", "3", "4"])
            start = Barrier(THREADS)

            def attempt(n: int, tgid: int = tgid, start: Barrier = start, round_no: int = round_no) -> Any:
                start.wait()
                body = hold_body(f"R{round_no}-T{n}", tgid, 3)
                return n, invoke("marketplace_oi", oi_event("/oi/v1/holds", key, body))

            results = list(pool.map(attempt, range(THREADS)))
            answers = {n: (r["statusCode"], json.loads(r["body"])) for n, r in results}
            seats = seat_holders(broker.id, tgid)
            # what a failure needs to explain itself: every answer and the ledger's seats
            explain = json.dumps({"round": round_no, "answers": answers, "seats": seats}, indent=1)
            assert sorted(status for status, _ in answers.values()) == [200] + [409] * (THREADS - 1), explain
            (winner,) = [n for n, (status, _) in answers.items() if status == 200]
            held = answers[winner][1]["output"][0]
            assert held["order_id"] == f"R{round_no}-T{winner}", explain  # its own order, no other
            for status, body in answers.values():
                if status == 409:
                    assert body["result"]["messageid"] == "E_CONFLICT", explain
            holder = order_entity(25, held["order_id"])
            assert {seat: seats[seat] for seat in held["seats"]} == {
                s: ("held", holder) for s in held["seats"]
            }, explain
            assert sorted(seats.values()) == [("available", "")] + [("held", holder)] * 3, explain

            # every order invoices at once: only the winner's seats can be sold, and once
            invoices = list(
                pool.map(
                    lambda n, r=round_no: invoke(
                        "marketplace_oi", oi_event(f"/oi/v1/orders/R{r}-T{n}/invoice", key)
                    ),
                    list(range(THREADS)) * 2,
                )
            )
            for response in invoices:
                assert response["statusCode"] in (200, 404), response["body"]
                if response["statusCode"] == 200:
                    out = json.loads(response["body"])["output"][0]
                    assert out["order_id"] == held["order_id"], response["body"]
                    for seat in out["seats"]:
                        owners = sold_by.setdefault((tgid, seat), [])
                        if out["order_id"] not in owners:
                            owners.append(out["order_id"])
            seats = seat_holders(broker.id, tgid)
            assert sorted(status for status, _ in seats.values()) == ["available", "sold", "sold", "sold"], (
                seats
            )
    assert len(sold_by) == ROUNDS * 3
    assert all(len(owners) == 1 for owners in sold_by.values())
