"""GET /v2/purchases filters against moto: the right purchases (checked against plain Python over
the generated data, written from what each filter means and not from the code under test), each
a Query on its own index, no Scan, few round trips, and about as many items examined as
returned. Plus getpdf and recordpo."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from infra.local.demo_purchases import generate, seed_purchases
from infra.local.seed import admin_repos
from tests.events import api_event
from tixpilot.legacy import format_date
from tixpilot.models.purchase_search import normalize_name
from tixpilot.models.purchases import Purchase, Ticket
from tixpilot.repositories.purchases import PurchaseRepository
from tixpilot.repositories.ticket_files import TicketFiles, pdf_key
from tixpilot.services.tenants import create_tenant

TZ = "America/New_York"
SIZE = 300


@dataclass
class Account:
    tenant_id: str
    token: str
    purchases: list[Purchase]


@pytest.fixture(scope="module")
def account(moto_server: str) -> Account:
    tenant, issued = create_tenant(admin_repos(), "Filter Test Brokerage")
    seeded = seed_purchases(tenant.tenant_id, SIZE, seed=11, chunk=100)
    data = list(generate(tenant.tenant_id, SIZE, seeded["first_rid"], seed=11))
    return Account(tenant.tenant_id, issued.secret, data)


def call(
    invoke: Any, account: Account, query: dict[str, str], method: str = "GET", path: str = "/v2/purchases"
):
    response = invoke("api_purchases", api_event(method, path, token=account.token, query=query))
    return response["statusCode"], json.loads(response["body"])


def walk(invoke: Any, account: Account, query: dict[str, str], page_size: int = 50) -> list[int]:
    rids: list[int] = []
    cursor = None
    for _ in range(SIZE):
        status, body = call(
            invoke, account, {**query, "page_size": str(page_size), **({"cursor": cursor} if cursor else {})}
        )
        assert status == 200, body
        rids += [p["rid"] for p in body["output"][0]["purchases"]]
        cursor = body["output"][0]["cursor"]
        if not cursor:
            return rids
    raise AssertionError("paging did not end")


def cases(data: list[Purchase]) -> list[tuple[str, dict[str, str], Callable[[Purchase], bool]]]:
    """(label, query, which purchases it must return) for every filter, with values from the data.

    The third element is the oracle: plain Python on the generated purchases, stating each
    filter's legacy meaning directly, so a wrong predicate in the search cannot also make the
    expectation wrong."""
    sample = data[17]
    with_po = next(p for p in data if p.purchaseorders)
    with_card = next(p for p in data if p.creditcard_last4)
    other_card = next(p for p in data if p.creditcard_last4 not in (None, with_card.creditcard_last4))
    starts = sample.event.starts_at
    assert starts is not None and sample.purchase_date is not None
    seen_day = sample.datefirstseen.astimezone(dt.UTC).date()
    low, high = starts.date() - dt.timedelta(days=20), starts.date() + dt.timedelta(days=20)
    bought_from, bought_until = low - dt.timedelta(days=60), low
    region = next(p.confirmation_region for p in data if p.confirmation_region)
    assert sample.event.name and sample.event.venue
    word = sample.event.name.split()[0]
    venue_part = sample.event.venue[2:7]
    po = next(iter(with_po.purchaseorders.values()))
    card, other = with_card.creditcard_last4 or "", other_card.creditcard_last4 or ""
    user = sample.account_username

    def seen(p: Purchase) -> dt.date:  # the day first seen, in the account's time zone
        return p.datefirstseen.astimezone(ZoneInfo(TZ)).date()

    def event_day(p: Purchase) -> dt.date | None:  # venue-local, as the receipt states it
        return p.event.starts_at.date() if p.event.starts_at else None

    def named(text: str | None, part: str) -> bool:  # the legacy `%part%`, case-insensitive
        return text is not None and part.lower() in text.lower()

    return [
        ("none", {}, lambda p: True),
        ("datefirstseen", {"datefirstseen": format_date(seen_day)}, lambda p: seen(p) == seen_day),
        ("datefirstseen>=", {"datefirstseen": f">={format_date(seen_day)}"}, lambda p: seen(p) >= seen_day),
        ("datefirstseen<=", {"datefirstseen": f"<={format_date(seen_day)}"}, lambda p: seen(p) <= seen_day),
        ("eventdate", {"eventdate": format_date(starts.date())}, lambda p: event_day(p) == starts.date()),
        (
            "eventdate range",
            {"eventdatestart": format_date(low), "eventdateend": format_date(high)},
            lambda p: (day := event_day(p)) is not None and low <= day <= high,
        ),
        (
            "purchasedate",
            {"purchasedate": format_date(sample.purchase_date)},
            lambda p: p.purchase_date == sample.purchase_date,
        ),
        (
            "purchasedate range",
            {"purchasedatestart": format_date(bought_from), "purchaseenddate": format_date(bought_until)},
            lambda p: p.purchase_date is not None and bought_from <= p.purchase_date <= bought_until,
        ),
        ("eventname", {"eventname": word.upper()}, lambda p: named(p.event.name, word)),
        ("venuename", {"venuename": venue_part}, lambda p: named(p.event.venue, venue_part)),
        (
            "confirmationnumber",
            {"confirmationnumber": sample.confirmation_number.lower()},
            lambda p: p.confirmation_number.upper() == sample.confirmation_number.upper(),
        ),
        (
            "confirmationregion",
            {"confirmationregion": region or ""},
            lambda p: p.confirmation_region == region,
        ),
        ("confirmationregion null", {"confirmationregion": "null"}, lambda p: p.confirmation_region is None),
        ("poid", {"poid": po}, lambda p: po in p.purchaseorders.values()),
        ("ccdigits", {"ccdigits": card}, lambda p: p.creditcard_last4 == card),
        ("ccdigits list", {"ccdigits": f"{card},{other}"}, lambda p: p.creditcard_last4 in (card, other)),
        ("elig_refund true", {"elig_refund": "true"}, lambda p: p.refund_eligible is True),
        ("elig_refund unknown", {"elig_refund": "unknown"}, lambda p: p.refund_eligible is None),
        ("username", {"username": user.upper()}, lambda p: p.account_username.lower() == user.lower()),
        ("status", {"status": "Canceled"}, lambda p: p.status == "canceled"),
        (
            "combined",
            {"status": "Active", "username": user, "elig_refund": "false"},
            lambda p: (
                p.status == "active"
                and p.account_username.lower() == user.lower()
                and p.refund_eligible is False
            ),
        ),
        (
            "combined wildcard",
            {"eventname": word, "ccdigits": card},
            lambda p: named(p.event.name, word) and p.creditcard_last4 == card,
        ),
    ]


SINGLE = {"combined", "combined wildcard", "ccdigits list"}
WILDCARD = {"eventname", "venuename"}


@pytest.mark.parametrize("label", [c[0] for c in cases(list(generate("x", SIZE, 1, seed=11)))])
def test_each_filter_returns_exactly_the_matching_purchases(invoke, account, label):
    _, query, wanted = next(c for c in cases(account.purchases) if c[0] == label)
    expected = sorted(p.rid for p in account.purchases if wanted(p))
    assert 0 < len(expected) < SIZE or label == "none", "a case that cannot tell a wrong filter apart"
    got = walk(invoke, account, query)
    assert len(got) == len(set(got))
    assert sorted(got) == expected
    if label not in WILDCARD and label != "ccdigits list":
        assert got == sorted(got, reverse=True) or label.startswith(
            ("datefirstseen", "eventdate", "purchasedate")
        )


@pytest.mark.parametrize(
    "label", [c[0] for c in cases(list(generate("x", SIZE, 1, seed=11))) if c[0] not in SINGLE]
)
def test_each_filter_is_a_query_on_an_index_examining_about_what_it_returns(invoke, account, recorder, label):
    _, query, _ = next(c for c in cases(account.purchases) if c[0] == label)
    recorder.calls.clear()
    status, body = call(invoke, account, {**query, "page_size": "50"})
    assert status == 200
    returned = len(body["output"][0]["purchases"])
    calls = recorder.data_calls()
    assert all(c["op"] != "Scan" for c in recorder.calls)
    if label in WILDCARD:
        # the suffix dictionary, then one Query per name (side by side): two round trips
        names = {
            normalize_name(p["event"]["name" if label == "eventname" else "venue"])
            for p in body["output"][0]["purchases"]
        }
        assert calls[0]["op"] == "Query" and calls[0]["table"].endswith("-purchase_index")
        assert {c["op"] for c in calls} == {"Query"} and len(calls) <= 1 + len(names)
        assert recorder.round_trips() <= 2
        assert recorder.examined() <= 3 * max(returned, 1)
    else:
        assert len(calls) <= 2 and [c["op"] for c in calls] in (["Query"], ["GetItem"])
        assert recorder.examined() <= 1.5 * returned or recorder.examined() == returned == 0


def test_rid_is_one_getitem_and_another_tenants_rid_is_a_404(invoke, account, recorder, new_tenant):
    rid = account.purchases[3].rid
    recorder.calls.clear()
    status, body = call(invoke, account, {"rid": str(rid)})
    assert status == 200 and [p["rid"] for p in body["output"][0]["purchases"]] == [rid]
    assert [c["op"] for c in recorder.data_calls()] == ["GetItem"]
    other = new_tenant()
    response = invoke(
        "api_purchases", api_event("GET", "/v2/purchases", token=other.token, query={"rid": str(rid)})
    )
    assert response["statusCode"] == 404 and str(account.tenant_id) not in response["body"]


def test_unknown_parameters_are_ignored(invoke, account):
    status, body = call(invoke, account, {"colour": "blue", "page_size": "5"})
    assert status == 200 and len(body["output"][0]["purchases"]) == 5


@pytest.mark.parametrize(
    ("query", "parameter", "hint"),
    [
        ({"datefirstseen": "2026-01-01"}, "datefirstseen", ">=m/d/yyyy"),
        ({"datefirstseen": "=>1/1/2026"}, "datefirstseen", "m/d/yyyy"),
        ({"eventdate": "13/1/2026"}, "eventdate", "m/d/yyyy"),
        ({"eventdatestart": "1/1/2026"}, "eventdateend", "eventdatestart"),
        ({"eventdatestart": "2/1/2026", "eventdateend": "1/1/2026"}, "eventdateend", "before"),
        ({"purchaseenddate": "1/1/2026"}, "purchasedatestart", "m/d/yyyy"),
        ({"purchasedate": "yesterday"}, "purchasedate", "m/d/yyyy"),
        ({"eventname": "   "}, "eventname", "part of the name"),
        ({"venuename": ""}, "venuename", "part of the name"),
        ({"confirmationnumber": "12-345 67/NY!"}, "confirmationnumber", "without region"),
        ({"confirmationregion": "N Y"}, "confirmationregion", "null"),
        ({"poid": "1,,;2"}, "poid", "comma"),
        ({"ccdigits": "42424"}, "ccdigits", "last four digits"),
        ({"elig_refund": "maybe"}, "elig_refund", "true, false, unknown"),
        ({"status": "open"}, "status", "active, canceled"),
        ({"page_size": "501"}, "page_size", "500"),
        ({"cursor": "bm90LW91cnM="}, "cursor", "previous page"),
        ({"rid": "-4"}, "rid", "1"),
    ],
)
def test_malformed_parameters_are_400s_naming_the_parameter_and_form(invoke, account, query, parameter, hint):
    status, body = call(invoke, account, query)
    assert status == 400 and body["result"]["messageid"] == "E_PARAM"
    message = body["result"]["message"]
    assert message.startswith(f"{parameter}:") and hint in message, message


def test_a_cursor_from_other_filters_is_a_400(invoke, account):
    _, body = call(invoke, account, {"status": "active", "page_size": "2"})
    status, error = call(invoke, account, {"elig_refund": "true", "cursor": body["output"][0]["cursor"]})
    assert status == 400 and error["result"]["message"].startswith("cursor:")


def test_recordpo_records_the_po_and_the_poid_filter_follows_it(invoke, account):
    purchase = next(p for p in account.purchases if not p.purchaseorders)
    status, body = call(
        invoke,
        account,
        {"rid": str(purchase.rid), "posname": "skybox", "po": "SKY-1"},
        "POST",
        "/v2/purchases/recordpo/",
    )
    assert status == 200 and body == {
        "result": {"status": "success", "message": "", "messageid": ""},
        "output": [],
    }
    found = walk(invoke, account, {"poid": "SKY-1"})
    assert found == [purchase.rid]
    # the legacy example's spelling, and a second PO number replacing the first
    status, _ = call(
        invoke,
        account,
        {"rid": str(purchase.rid), "pos": "skybox", "po": "SKY-2"},
        "POST",
        "/v2/purchases/recordpo",
    )
    assert status == 200
    assert walk(invoke, account, {"poid": "SKY-1"}) == [] and walk(
        invoke, account, {"poid": "SKY-2,nope"}
    ) == [purchase.rid]
    _, body = call(invoke, account, {"rid": str(purchase.rid)})
    assert body["output"][0]["purchases"][0]["purchaseorders"] == {"skybox": "SKY-2"}
    # `utils` is recorded under the key the legacy output uses
    status, _ = call(
        invoke,
        account,
        {"rid": str(purchase.rid), "posname": "utils", "po": "77"},
        "POST",
        "/v2/purchases/recordpo",
    )
    _, body = call(invoke, account, {"rid": str(purchase.rid)})
    assert body["output"][0]["purchases"][0]["purchaseorders"] == {"skybox": "SKY-2", "ticketutils": "77"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"posname": "quickbooks", "po": "1"}, "posname"),
        ({"po": "1"}, "posname"),
        ({"posname": "skybox"}, "po"),
        ({"posname": "skybox", "po": "no spaces"}, "po"),
    ],
)
def test_recordpo_refuses_malformed_parameters(invoke, account, query, parameter):
    rid = account.purchases[0].rid
    status, body = call(invoke, account, {"rid": str(rid), **query}, "POST", "/v2/purchases/recordpo")
    assert status == 400 and body["result"]["message"].startswith(f"{parameter}:"), body


def test_recordpo_and_getpdf_on_another_tenants_rid_are_404s(invoke, account, new_tenant):
    other = new_tenant()
    rid = str(account.purchases[0].rid)
    recorded = invoke(
        "api_purchases",
        api_event(
            "POST",
            "/v2/purchases/recordpo",
            token=other.token,
            query={"rid": rid, "posname": "skybox", "po": "1"},
        ),
    )
    pdf = invoke("api_purchases", api_event("GET", "/v2/getpdf", token=other.token, query={"rid": rid}))
    assert recorded["statusCode"] == pdf["statusCode"] == 404


def test_getpdf_lists_seats_with_barcodes_and_a_working_pdf_url(invoke, account):
    import requests

    purchase = account.purchases[5]
    repo = PurchaseRepository()
    current = repo.get(account.tenant_id, purchase.rid, consistent=True)
    assert current is not None and current.items.seats
    seats = current.items.seats
    key = pdf_key(account.tenant_id, purchase.rid, seats[0])
    TicketFiles().put(key, b"%PDF-1.4 ticket")
    tickets = [Ticket(seatnumber=seats[0], seatid="55847443", barcode="1353136914970530", pdf_key=key)]
    tickets += [Ticket(seatnumber=s, barcode=f"99{s}") for s in seats[1:]]
    assert repo.replace(
        current.model_copy(update={"tickets": tickets, "haspdf": True, "version": current.version + 1})
    )
    status, body = call(invoke, account, {"rid": str(purchase.rid)}, "GET", "/v2/getpdf/")
    assert status == 200
    first, *rest = body["output"][0]["seats"]
    assert first["seatnumber"] == seats[0] and first["barcode"] == "1353136914970530"
    assert first["1ticketid"] == str(purchase.rid) and first["section"] == current.items.section
    assert (
        first["pdfguid"].startswith("{")
        and requests.get(first["pdfurl"], timeout=10).content == b"%PDF-1.4 ticket"
    )
    assert all(seat["pdfurl"] == "" and seat["barcode"].startswith("99") for seat in rest)
