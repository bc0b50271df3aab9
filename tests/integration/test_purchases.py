"""Purchases: one per order under races, and GET /v2/purchases with paging and isolation."""

from __future__ import annotations

import base64
import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from tests.events import api_event
from tixpilot.models.purchase_search import Cursor, PurchaseFilters, encode_cursor
from tixpilot.models.purchases import EventInfo, Items, Money, Observation
from tixpilot.repositories.purchases import PurchaseRepository
from tixpilot.repositories.sequences import SequenceRepository
from tixpilot.services.purchase_search import search_purchases
from tixpilot.services.purchases import PurchaseRepos, record_observation


@pytest.fixture
def repos(moto_server) -> PurchaseRepos:
    return PurchaseRepos(purchases=PurchaseRepository(), sequences=SequenceRepository())


def email_of(confnum: str, **kw) -> Observation:
    return Observation(
        account_username="buyer1@alpha.test",
        confirmation_number=confnum,
        confirmation_region="NY",
        event=EventInfo(
            name="Sugarland", venue="Smart Financial Centre", starts_at=dt.datetime(2026, 7, 11, 19)
        ),
        items=Items(section="309", row="H", seats=["5", "6"], stock="mobile"),
        money=Money(cost_group=Decimal("65.34"), face_perseat=Decimal("33")),
        creditcard_last4="4242",
        purchase_date=dt.date(2026, 6, 15),
        **kw,
    )


def test_many_receipts_for_one_order_at_once_make_one_purchase(repos, new_tenant):
    tenant = new_tenant()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda _: record_observation(repos, tenant.id, email_of("12-34567"), "email"), range(16))
        )
    rids = {purchase.rid for purchase, _ in results}
    assert len(rids) == 1 and sum(created for _, created in results) == 1
    page = search_purchases(repos.purchases, tenant.id, PurchaseFilters(), 50)  # type: ignore[arg-type]
    assert page is not None and [p.rid for p in page.purchases] == list(rids)


def test_a_crawl_overrides_the_email_and_fills_the_unknowns(repos, new_tenant):
    tenant = new_tenant()
    first, created = record_observation(repos, tenant.id, email_of("38-41225"), "email")
    crawl = email_of("38-41225", disclosures=[], rotating_barcodes=False).model_copy(
        update={"money": Money(cost_group=Decimal("70.00"), cost_perseat=Decimal("35"))}
    )
    merged, created_again = record_observation(repos, tenant.id, crawl, "crawl")
    assert created and not created_again and merged.rid == first.rid
    assert merged.money.cost_group == Decimal("70.00") and merged.money.face_perseat == Decimal("33")
    assert merged.disclosures == [] and merged.rotating_barcodes is False
    assert merged.seen_emailreceipt and merged.seen_onlinereceipt


def test_the_same_confirmation_in_another_region_is_another_order(repos, new_tenant):
    tenant = new_tenant()
    a, _ = record_observation(repos, tenant.id, email_of("11-11111"), "email")
    b, created = record_observation(
        repos, tenant.id, email_of("11-11111").model_copy(update={"confirmation_region": None}), "email"
    )
    assert created and a.rid != b.rid


def body(response):
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])["output"][0]


def test_purchases_are_listed_in_the_legacy_shape(invoke, repos, new_tenant):
    tenant = new_tenant()
    purchase, _ = record_observation(repos, tenant.id, email_of("12-34567"), "email")
    (row,) = body(invoke("api_purchases", api_event("GET", "/v2/purchases/", token=tenant.token)))[
        "purchases"
    ]
    assert row["rid"] == purchase.rid
    assert row["event"]["datetime"] == "7/11/2026 7:00:00 PM"
    assert (
        row["receipt"]["confirmation_number"] == "12-34567" and row["receipt"]["confirmation_region"] == "NY"
    )
    assert row["receipt"]["cost_group"] == "65.34" and row["receipt"]["face_perseat"] == "33"
    assert row["receipt"]["cost_perseat"] == "" and row["receipt"]["purchasedate"] == "6/15/2026"
    assert row["receipt"]["seen_emailreceipt"] is True and row["receipt"]["creditcard"] == "4242"
    assert row["items"] == {
        "section": "309",
        "row": "H",
        "section_original": "309",
        "row_original": "H",
        "seat_first": "5",
        "seat_last": "6",
        "quantity": "",
        "stock": "mobile",
    }
    assert row["attributes"] == {"refund": "unknown"} and row["disclosures"] == []


def test_paging_walks_every_purchase_once_newest_first(invoke, repos, new_tenant):
    tenant = new_tenant()
    rids = [record_observation(repos, tenant.id, email_of(f"20-{i:05d}"), "email")[0].rid for i in range(7)]
    seen, cursor = [], None
    while True:
        query = {"page_size": "3", **({"cursor": cursor} if cursor else {})}
        page = body(
            invoke("api_purchases", api_event("GET", "/v2/purchases", token=tenant.token, query=query))
        )
        seen += [p["rid"] for p in page["purchases"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert seen == sorted(rids, reverse=True)


def test_another_tenants_rid_and_cursor_reach_nothing(invoke, repos, new_tenant):
    owner, other = new_tenant(), new_tenant()
    purchase, _ = record_observation(repos, owner.id, email_of("30-00001"), "email")
    by_rid = api_event("GET", "/v2/purchases", token=other.token, query={"rid": str(purchase.rid)})
    response = invoke("api_purchases", by_rid)
    assert (
        response["statusCode"] == 404 and json.loads(response["body"])["result"]["messageid"] == "E_NOT_FOUND"
    )
    missing = api_event("GET", "/v2/purchases", token=other.token, query={"rid": str(purchase.rid + 10**6)})
    unknown = invoke("api_purchases", missing)
    assert unknown["statusCode"] == 404
    assert unknown["body"] == response["body"].replace(str(purchase.rid), str(purchase.rid + 10**6))
    cursor = encode_cursor(Cursor("table", purchase.rid + 1))  # made by hand: not signed
    page = invoke(
        "api_purchases", api_event("GET", "/v2/purchases", token=other.token, query={"cursor": cursor})
    )
    assert page["statusCode"] == 400 and json.loads(page["body"])["result"]["messageid"] == "E_PARAM"


def test_a_tampered_or_borrowed_cursor_is_a_400(invoke, repos, new_tenant):
    """Cursors are signed (HMAC over endpoint, tenant and position): only one we handed to this
    tenant for this endpoint is read; any change to it is a 400 before any read."""
    tenant, other = new_tenant(), new_tenant()
    for i in range(3):
        record_observation(repos, tenant.id, email_of(f"31-{i:05d}"), "email")

    def get(token: str, cursor: str, path: str = "/v2/purchases", function: str = "api_purchases") -> dict:
        query = {"page_size": "1", **({"cursor": cursor} if cursor else {})}
        return invoke(function, api_event("GET", path, token=token, query=query))

    first = get(tenant.token, "")
    cursor = body(first)["cursor"]
    token, _, mac = cursor.rpartition(".")
    assert get(tenant.token, cursor)["statusCode"] == 200
    position = json.loads(base64.urlsafe_b64decode(token))
    forged = base64.urlsafe_b64encode(json.dumps({**position, "r": position["r"] + 1}).encode()).decode()
    for bad in (
        f"{forged}.{mac}",  # the position moved
        f"{token}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",  # the signature changed
        token,  # the signature dropped
        cursor + "x",
    ):
        response = get(tenant.token, bad)
        assert response["statusCode"] == 400, bad
        assert json.loads(response["body"])["result"]["message"].startswith("cursor:")
    assert get(other.token, cursor)["statusCode"] == 400  # another tenant's
    receipts = get(tenant.token, cursor, "/v2/receipts", "api_receipts")
    assert receipts["statusCode"] == 400  # another endpoint's


@pytest.mark.parametrize(
    ("query", "parameter"),
    [({"rid": "abc"}, "rid"), ({"page_size": "0"}, "page_size"), ({"cursor": "not-ours"}, "cursor")],
)
def test_malformed_paging_parameters_are_400s(invoke, new_tenant, query, parameter):
    tenant = new_tenant()
    response = invoke("api_purchases", api_event("GET", "/v2/purchases", token=tenant.token, query=query))
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["result"]["message"].startswith(f"{parameter}:")
