"""Sales services with in-memory fakes: add (idempotency, credid), search (time zone, reads), fulfill,
complete-sale; the sale's states; the legacy mapping; crawl requests."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tixpilot.api.mapping.sales import sale_from_legacy, sale_to_legacy
from tixpilot.api.sales_schemas import SaleAddIn
from tixpilot.errors import Conflict, InvalidParameter, NotFound
from tixpilot.models.crawl_requests import CrawlRequest
from tixpilot.models.fulfillment import FulfillmentMessage
from tixpilot.models.sales import Hold, Sale, SaleDetails, Step, StepResult
from tixpilot.models.tenants import Credential, Tenant, TenantSettings
from tixpilot.services.crawl_requests import normalize_confnum, record_crawl_request
from tixpilot.services.sales import (
    MAX_ORDER_IDS,
    Completion,
    SalesPosition,
    SalesRepos,
    add_sale,
    complete_sales,
    request_fulfillment,
    retry_completions,
    search_sales,
)
from tixpilot.services.sales_query import DateWindow, SalesQuery, matches

EVENTS = Path(__file__).resolve().parents[2] / "events"
NOW = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)  # 3/9 evening in New York, 3/10 in Tokyo


class FakeSales:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int, str], Sale] = {}
        self.reads: list[str] = []

    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> Sale | None:
        self.reads.append("get")
        return self.rows.get((tenant_id, marketplace_id, order_id))

    def find_by_order(self, tenant_id: str, order_id: str) -> list[Sale]:
        self.reads.append("find_by_order")
        return [s for (t, _, o), s in self.rows.items() if (t, o) == (tenant_id, order_id)]

    def in_window(self, tenant_id: str, start: dt.date, end: dt.date) -> list[Sale]:
        self.reads.append("in_window")
        return [
            s
            for (t, _, _), s in self.rows.items()
            if t == tenant_id and start <= s.event.starts_at.date() <= end
        ]

    def get_many(self, tenant_id: str, keys) -> list[Sale]:
        self.reads.append("get_many")
        return [self.rows[(tenant_id, m, o)] for m, o in keys if (tenant_id, m, o) in self.rows]

    def find_by_orders(self, tenant_id: str, order_ids) -> list[Sale]:
        self.reads.append("find_by_orders")
        return [s for (t, _, o), s in self.rows.items() if t == tenant_id and o in set(order_ids)]

    def window_page(self, tenant_id, start, end, limit, after):
        """As the by_event_date index reads: by (event start, sale key), `limit` at a time."""
        self.reads.append("window_page")
        keyed = sorted(
            ((s.event.starts_at.isoformat(timespec="seconds"), f"{m}#{o}"), s)
            for (t, m, o), s in self.rows.items()
            if t == tenant_id and start <= s.event.starts_at.date() <= end
        )
        rest = [(k, s) for k, s in keyed if after is None or k > after]
        page = rest[:limit]
        return [s for _, s in page], (page[-1][0] if len(rest) > limit else None)

    def create(self, sale: Sale, credential_hash: str) -> str:
        credential = CREDENTIALS.get(credential_hash)
        if (
            credential is None
            or credential.tenant_id != sale.tenant_id
            or credential.kind != "marketplace"
            or credential.marketplace_id != sale.marketplace_id
        ):
            return "credential"
        key = (sale.tenant_id, sale.marketplace_id, sale.order_id)
        if key in self.rows:
            return "exists"
        self.rows[key] = sale
        return "created"

    def record_steps(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        steps: dict[Step, StepResult],
        *,
        fulfilled: bool | None = None,
        unless_filled: bool = False,
    ) -> Sale | None:
        sale = self.rows.get((tenant_id, marketplace_id, order_id))
        if sale is None:
            return None
        step = sale.processing.get("fulfill")
        if unless_filled and sale.fulfilled and step is not None and step.status == "success":
            return None
        update: dict[str, Any] = {"processing": {**sale.processing, **steps}}
        if fulfilled is not None:
            update["fulfilled"] = fulfilled
        self.rows[(tenant_id, marketplace_id, order_id)] = sale = sale.model_copy(update=update)
        return sale


CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CREDENTIALS = {
    "h-alpha-1": Credential(
        tenant_id="t1", kind="marketplace", credential_id="11", marketplace_id=1, created=CREATED
    ),
    "h-alpha-4": Credential(
        tenant_id="t1", kind="marketplace", credential_id="14", marketplace_id=4, created=CREATED
    ),
    "h-alpha-api": Credential(tenant_id="t1", kind="api", credential_id="10", created=CREATED),
}


class FakeCredentials:
    def hash_of(self, tenant_id: str, credential_id: str) -> str | None:
        for token_hash, c in CREDENTIALS.items():
            if (c.tenant_id, c.credential_id) == (tenant_id, credential_id):
                return token_hash
        return None

    def get(self, token_hash: str) -> Credential | None:
        return CREDENTIALS.get(token_hash)


class FakeTenants:
    def __init__(self, timezone: str = "America/New_York") -> None:
        self.timezone = timezone
        self.reads = 0

    def get(self, tenant_id: str) -> Tenant | None:
        self.reads += 1
        return Tenant(
            tenant_id=tenant_id,
            name="Alpha",
            created=CREATED,
            settings=TenantSettings(timezone=self.timezone),
        )


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str, str]] = []

    def put(self, message: FulfillmentMessage) -> None:
        self.sent.append((message.tenant_id, message.marketplace_id, message.order_id, message.kind))


def make_repos(timezone: str = "America/New_York") -> SalesRepos:
    return SalesRepos(FakeSales(), FakeCredentials(), FakeTenants(timezone), FakeQueue())


def details(order_id: str = "500", marketplace_id: int = 1, credid: str = "11", **body: Any) -> SaleDetails:
    data = json.loads((EVENTS / "api/sales_add_body.json").read_text())
    data.update(saleid=order_id, marketplaceid=marketplace_id, credid=credid, **body)
    return sale_from_legacy(SaleAddIn.model_validate(data))


# --- add -------------------------------------------------------------------------------------------


def test_add_records_the_sale_with_its_initial_steps():
    repos = make_repos()
    sale = add_sale(repos, "t1", details(), NOW)
    assert sale.processing["invoice"].message == "99999" and sale.processing["confirm"].status == "success"
    assert "fulfill" not in sale.processing
    assert sale.prices.list_perseat == Decimal("200.55") and sale.delivery_format == "eticket"


def test_adding_again_returns_the_recorded_sale_or_conflicts():
    repos = make_repos()
    first = add_sale(repos, "t1", details(), NOW)
    assert add_sale(repos, "t1", details(), NOW + dt.timedelta(hours=1)) == first
    with pytest.raises(Conflict, match="already recorded"):
        add_sale(repos, "t1", details(row="BB"), NOW)


@pytest.mark.parametrize(
    ("credid", "marketplace_id", "needle"),
    [
        ("99", 1, "credid: 99 is not a marketplace key of your account"),
        ("14", 1, "credid: 14 is the key of marketplace 4 (Vivid Seats), not of marketplaceid 1"),
        ("10", 1, "credid: 10 is not a marketplace key;"),
    ],
)
def test_the_credid_must_be_a_marketplace_key_for_the_sales_marketplace(credid, marketplace_id, needle):
    with pytest.raises(InvalidParameter) as info:
        add_sale(make_repos(), "t1", details(credid=credid, marketplace_id=marketplace_id), NOW)
    assert info.value.parameter == "credid" and info.value.message.startswith(needle)


def test_another_tenants_credid_is_unknown():
    with pytest.raises(InvalidParameter, match="not a marketplace key of your account"):
        add_sale(make_repos(), "t2", details(credid="11"), NOW)


# --- search ----------------------------------------------------------------------------------------


def seeded(timezone: str = "America/New_York") -> SalesRepos:
    repos = make_repos(timezone)
    for order_id, when in [("1", "3/9/2026 8:00 PM"), ("2", "3/10/2026 8:00 PM"), ("3", "3/20/2026 1:00 PM")]:
        add_sale(
            repos, "t1", details(order_id, event={"name": "Show", "venue": "V", "datetimelocal": when}), NOW
        )
    assert isinstance(repos.sales, FakeSales)
    repos.sales.reads.clear()
    return repos


@pytest.mark.parametrize(
    ("timezone", "today_orders"),
    [("America/New_York", ["1"]), ("Asia/Tokyo", ["2"]), ("Not/A_Zone", ["1"])],
)
def test_today_is_the_tenants_today(timezone, today_orders):
    repos = seeded(timezone)
    assert [s.order_id for s in search_sales(repos, "t1", "today", NOW).sales] == today_orders


def test_the_tenant_is_read_only_when_the_answer_depends_on_its_time_zone():
    repos = seeded()
    tenants = repos.tenants
    assert isinstance(tenants, FakeTenants)
    search_sales(repos, "t1", "3/1/2026-3/31/2026 stubhub", NOW)
    search_sales(repos, "t1", "2", NOW)
    assert tenants.reads == 0
    search_sales(repos, "t1", "next 3 days", NOW)
    search_sales(repos, "t1", "", NOW)
    assert tenants.reads == 2


def test_reads_are_one_per_query():
    repos = seeded()
    sales = repos.sales
    assert isinstance(sales, FakeSales)
    assert [s.order_id for s in search_sales(repos, "t1", "", NOW).sales] == ["1", "2", "3"]
    assert [s.order_id for s in search_sales(repos, "t1", "2 stubhub", NOW).sales] == ["2"]
    assert [s.order_id for s in search_sales(repos, "t1", "2 next 1 days", NOW).sales] == ["2"]
    assert search_sales(repos, "t1", "3/1/2026 3/2/2026", NOW).sales == []  # empty window: no read
    assert sales.reads == ["window_page", "get", "find_by_orders"]


def test_an_order_id_query_ignores_the_default_window():
    repos = make_repos()
    add_sale(repos, "t1", details("9"), NOW)  # the reference's event, in 2020
    assert [s.order_id for s in search_sales(repos, "t1", "9", NOW).sales] == ["9"]
    assert search_sales(repos, "t1", "", NOW).sales == []


# --- fulfill and complete --------------------------------------------------------------------------


def test_fulfill_records_pending_and_queues():
    repos = make_repos()
    add_sale(repos, "t1", details("5"), NOW)
    sale = request_fulfillment(repos, "t1", 1, "5", NOW)
    assert sale.processing["fulfill"].status == "pending"
    assert isinstance(repos.fulfillment, FakeQueue) and repos.fulfillment.sent == [("t1", 1, "5", "fulfill")]


def test_fulfill_of_a_filled_sale_queues_nothing():
    repos = make_repos()
    add_sale(repos, "t1", details("5", fulfilled=True), NOW)
    sale = request_fulfillment(repos, "t1", 1, "5", NOW)
    assert sale.processing["fulfill"].status == "success"
    assert isinstance(repos.fulfillment, FakeQueue) and repos.fulfillment.sent == []


def test_fulfill_of_an_unknown_sale_is_not_found_and_queues_nothing():
    repos = make_repos()
    with pytest.raises(NotFound):
        request_fulfillment(repos, "t1", 1, "5", NOW)
    assert isinstance(repos.fulfillment, FakeQueue) and repos.fulfillment.sent == []


def test_complete_marks_filled_and_fails_items_of_other_users_alone():
    repos = make_repos()
    add_sale(repos, "t1", details("5"), NOW)
    results = complete_sales(repos, "t1", [Completion("t2", "5", 1), Completion("t1", "5", 1)], NOW)
    assert [(r.status, r.messageid) for r in results] == [("error", "E_NOT_FOUND"), ("success", "")]
    (sale,) = search_sales(repos, "t1", "5", NOW).sales
    assert sale.fulfilled and sale.processing["complete"].status == "pending"
    assert "filled" in sale.states()
    # completed in the POS by the caller (services.pos_completion); only a retry is queued
    assert isinstance(repos.fulfillment, FakeQueue) and repos.fulfillment.sent == []
    retry_completions(repos, "t1", [(1, "5")])
    assert repos.fulfillment.sent == [("t1", 1, "5", "complete")]


# --- states, matching, mapping ---------------------------------------------------------------------


def a_sale(**update: Any) -> Sale:
    repos = make_repos()
    return add_sale(repos, "t1", details(), NOW).model_copy(update=update)


def test_states_follow_the_sale():
    assert a_sale().states() == {"unfilled", "confirmed", "invoiced"}
    held = a_sale(hold=Hold(received=NOW), confirmed=False, fulfilled=True, rejected=True)
    assert held.states() == {"filled", "unconfirmed", "invoiced", "held", "rejected"}
    broken = a_sale(processing={"fulfill": StepResult(status="error", message="no file", at=NOW)})
    assert broken.states() == {"unfilled", "confirmed", "error"}
    assert a_sale(hold=Hold(received=NOW, removed_at=NOW)).states() == {"unfilled", "confirmed", "invoiced"}


def test_matches_needs_every_word():
    sale = a_sale()
    day = sale.event.starts_at.date()
    assert matches(SalesQuery(window=DateWindow(day, day), marketplace_ids=frozenset({1, 4})), sale)
    assert not matches(SalesQuery(states=frozenset({"unfilled", "unconfirmed"})), sale)
    assert matches(
        SalesQuery(name_phrases=frozenset({"taylor", "swift"}), stocks=frozenset({"eticket"})), sale
    )
    assert not matches(SalesQuery(name_phrases=frozenset({"taylor swift", "eras"})), sale)
    assert not matches(SalesQuery(order_ids=frozenset({"1"})), sale)


def test_hold_times_are_shown_in_the_tenants_zone():
    received = dt.datetime(2018, 8, 31, 0, 28, 45, tzinfo=dt.UTC)
    out = sale_to_legacy(a_sale(hold=Hold(received=received, removed_by="me")), "StubHub", "America/New_York")
    assert out.hold_details.model_dump() == {
        "received": "8/30/2018 8:28:45 PM",
        "removed_date": "",
        "removed_by": "me",
    }


# --- crawl requests --------------------------------------------------------------------------------


class FakeCrawlRequests:
    def __init__(self) -> None:
        self.rows: list[CrawlRequest] = []

    def add(self, request: CrawlRequest) -> None:
        self.rows.append(request)


@pytest.mark.parametrize(
    ("given", "expected"), [("12-34567/ny", "12-34567/NY"), ("ALL", "all"), (" 1-2345 ", "1-2345")]
)
def test_confnums_are_normalized(given, expected):
    assert normalize_confnum(given) == expected


@pytest.mark.parametrize("bad", ["", "12345", "12-34/NY", "12-34567/", "12-34567/N", "abc-defgh/NY"])
def test_bad_confnums_name_the_accepted_form(bad):
    with pytest.raises(ValueError, match="12-34567/NY"):
        normalize_confnum(bad)


def test_a_crawl_request_needs_an_account():
    store = FakeCrawlRequests()
    with pytest.raises(InvalidParameter) as info:
        record_crawl_request(store, "t1", source="app", now=NOW)
    assert info.value.message.startswith("username:") and store.rows == []
    request = record_crawl_request(store, "t1", source="app", username=" Me@X.com ", now=NOW)
    assert (request.username, request.marketplace_id, request.confnum) == ("me@x.com", 1, "all")


def test_a_window_is_answered_a_page_at_a_time_and_the_pages_hold_still():
    """The pages of `next 30 days` follow each other even when the day changes between them:
    the window resolved on the first page travels in the position."""
    repos = make_repos()
    for n in range(7):
        when = f"3/{11 + n}/2026 8:00 PM"
        add_sale(
            repos, "t1", details(str(n), event={"name": "Show", "venue": "V", "datetimelocal": when}), NOW
        )
    seen, after, now = [], None, NOW
    while True:
        answer = search_sales(repos, "t1", "next 30 days", now, page_size=3, after=after)
        assert len(answer.sales) <= 3
        seen += [s.order_id for s in answer.sales]
        if answer.next is None:
            break
        after = SalesPosition.decode(answer.next.encode())
        now += dt.timedelta(days=2)  # the client pages slowly
    assert seen == [str(n) for n in range(7)]


def test_order_ids_are_capped_and_looked_up_together():
    repos = seeded()
    sales = repos.sales
    assert isinstance(sales, FakeSales)
    with pytest.raises(InvalidParameter) as info:
        search_sales(repos, "t1", " ".join(str(n) for n in range(1, MAX_ORDER_IDS + 2)), NOW)
    assert info.value.parameter == "q"
    assert info.value.message.startswith(f"q: at most {MAX_ORDER_IDS} order ids in one query, not 51;")
    assert sales.reads == []
    ids = " ".join(str(n) for n in range(1, MAX_ORDER_IDS + 1))
    assert [s.order_id for s in search_sales(repos, "t1", ids, NOW).sales] == ["1", "2", "3"]
    assert [s.order_id for s in search_sales(repos, "t1", f"{ids} stubhub vivid", NOW).sales] == [
        "1",
        "2",
        "3",
    ]
    assert sales.reads == ["find_by_orders", "get_many"]  # one call each, however many ids


def test_a_cursor_of_another_query_is_refused():
    repos = seeded()
    answer = search_sales(repos, "t1", "1 2 3", NOW, page_size=1)
    assert [s.order_id for s in answer.sales] == ["1"] and answer.next is not None
    more = search_sales(repos, "t1", "1  2 3", NOW, page_size=5, after=answer.next)  # same query
    assert [s.order_id for s in more.sales] == ["2", "3"] and more.next is None
    with pytest.raises(InvalidParameter) as info:
        search_sales(repos, "t1", "1 2", NOW, after=answer.next)
    assert info.value.parameter == "cursor"
