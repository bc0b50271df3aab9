"""The sales endpoints and GET /v2/crawl: real handlers against moto, tenant isolation, round trips."""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.events import api_event, load_event
from tixpilot import aws
from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.services.tenants import create_marketplace_key
from tixpilot.settings import get_settings

RESALE_IDS = {int(str(m["id"])) for m in RESALE_MARKETPLACES}
TODAY = dt.datetime.now(ZoneInfo("America/New_York")).date()


def body_of(response: dict) -> dict:
    return json.loads(response["body"])


def output(response: dict) -> list:
    assert response["statusCode"] == 200, response["body"]
    return body_of(response)["output"]


def error(response: dict, status: int, messageid: str) -> str:
    assert response["statusCode"] == status, response["body"]
    result = body_of(response)["result"]
    assert result["status"] == "error" and result["messageid"] == messageid
    return str(result["message"])


def legacy_date(day: dt.date, time_: str = "7:30 PM") -> str:
    return f"{day.month}/{day.day}/{day.year} {time_}"


class Broker:
    """A tenant with its API token and a marketplace key per resale marketplace it sells on."""

    def __init__(self, admin: Any, new_tenant: Any, invoke: Any, name: str) -> None:
        self.admin, self.invoke = admin, invoke
        made = new_tenant(name)
        self.id, self.token = made.id, made.token
        self.credids: dict[int, str] = {}

    def credid(self, marketplace_id: int) -> str:
        if marketplace_id not in self.credids:
            issued = create_marketplace_key(self.admin, self.id, marketplace_id, RESALE_IDS)
            self.credids[marketplace_id] = issued.credential.credential_id
        return self.credids[marketplace_id]

    def body(self, saleid: str, marketplaceid: int = 1, **changes: Any) -> dict[str, Any]:
        body = load_event("api/sales_add_body.json")
        body.update(saleid=saleid, marketplaceid=str(marketplaceid), credid=self.credid(marketplaceid))
        for path, value in changes.items():
            *parents, leaf = path.split("__")
            target = body
            for parent in parents:
                target = target[parent]
            target[leaf] = value
        return body

    def post(self, path: str, payload: Any) -> dict:
        return self.invoke("api_sales", api_event("POST", path, token=self.token, body=json.dumps(payload)))

    def add(self, saleid: str, marketplaceid: int = 1, **changes: Any) -> dict:
        return self.post("/v2/sales/add", self.body(saleid, marketplaceid, **changes))

    def get(self, path: str, function: str = "api_sales", **query: str) -> dict:
        return self.invoke(function, api_event("GET", path, token=self.token, query=query or None))

    def sales(self, q: str) -> list[dict]:
        return output(self.get("/v2/sales", q=q))


@pytest.fixture
def broker(admin, new_tenant, invoke):
    return lambda name="Alpha Tickets": Broker(admin, new_tenant, invoke, name)


# --- POST /v2/sales/add --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v2/sales/add", "/v2/sales/add/"])
def test_adding_the_reference_sale_records_it_in_the_legacy_shape(broker, path):
    a = broker()
    (sale,) = output(a.post(path, a.body("234234324")))
    assert sale == {
        "orderid": "234234324",
        "marketplace": "StubHub",
        "marketplaceid": 1,
        "ticketstock": "eticket",
        "type": "purchase",
        "processing": [
            {"confirm": "success", "message": ""},
            {"invoice": "success", "message": "99999"},
        ],
        "event": {"name": "taylor swift", "venue": "verizon center", "date": "2020-01-01", "time": "19:30"},
        "tickets": {
            "section": "ORCH",
            "row": "AA",
            "quantity": 3,
            "seatfirst": "1",
            "seatlast": "3",
            "total_order": "608",
            "total_payment": "590",
        },
        "hold_details": {"received": "", "removed_date": "", "removed_by": ""},
    }
    assert a.sales("234234324") == [sale]


def test_the_references_own_malformed_saledatetime_is_a_clear_400(broker):
    a = broker()
    message = error(a.add("1", saledatetime="10/15/s2018 4:55 PM"), 400, "E_PARAM")
    assert message.startswith("saledatetime: ")
    assert "'10/15/s2018 4:55 PM' is not a date and time" in message and "m/d/yyyy h:mm AM/PM" in message


@pytest.mark.parametrize(
    ("field", "value", "prefix"),
    [
        ("saleid", None, "saleid: Field required"),
        ("saleid", "a b", "saleid: "),
        ("posused", "excel", "posused: "),
        ("deliveryformat", "pigeon", "deliveryformat: "),
        ("saledatetime", "2018-10-15T16:55", "saledatetime: "),
        ("marketplaceid", "9999", "marketplaceid: "),
        ("ticketgroupid", None, "ticketgroupid: Field required"),
        ("invoiceid", "", "invoiceid: "),
        ("inhanddate", "5/35/2019", "inhanddate: "),
        ("confirmed", "maybe", "confirmed: "),
        ("fulfilled", None, "fulfilled: Field required"),
        ("priceperseat__list", "abc", "priceperseat.list: "),
        ("priceperseat__face", "-1", "priceperseat.face: "),
        ("priceperseat__cost", "1.005", "priceperseat.cost: "),
        ("pricepersale__total", None, "pricepersale.total: Field required"),
        ("pricepersale__fees", "NaN", "pricepersale.fees: "),
        ("pricepersale__payout", True, "pricepersale.payout: "),
        ("event__name", "", "event.name: "),
        ("event__venue", None, "event.venue: Field required"),
        ("event__datetimelocal", "1/1/2020 25:30", "event.datetimelocal: "),
        ("section", "", "section: "),
        ("row", None, "row: Field required"),
        ("seats", [], "seats: "),
        ("seats", [{"seatnumber": "1", "seatid": "9"}, {"seatnumber": "1", "seatid": "8"}], "seats: "),
        ("seats", [{"seatnumber": "1"}], "seats.0.seatid: Field required"),
    ],
)
def test_each_malformed_field_is_a_400_naming_its_path(broker, field, value, prefix):
    a = broker()
    body = a.body("555")
    *parents, leaf = field.split("__")
    target = body
    for parent in parents:
        target = target[parent]
    if value is None:
        del target[leaf]
    else:
        target[leaf] = value
    message = error(a.post("/v2/sales/add", body), 400, "E_PARAM")
    assert message.startswith(prefix), message
    assert a.sales("555") == []


def test_a_body_that_is_not_json_is_a_400(broker):
    a = broker()
    response = a.invoke("api_sales", api_event("POST", "/v2/sales/add", token=a.token, body="{not json"))
    error(response, 400, "E_PARAM")


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_the_body_is_read_as_json_whatever_its_content_type_says(broker, content_type):
    """The reference's own examples post with `curl -d` (form content type) and requests' `data=`."""
    a = broker()
    for path, payload in [
        ("/v2/sales/add", a.body("4711")),
        ("/sales/v1/complete-sale", [{"user_id": a.id, "order_id": "4711", "marketplace_id": 1}]),
    ]:
        event = api_event("POST", path, token=a.token, body=json.dumps(payload))
        if content_type:
            event["headers"]["Content-Type"] = content_type
            event["multiValueHeaders"]["Content-Type"] = [content_type]
        output(a.invoke("api_sales", event))
    assert orders(a.sales("4711 filled")) == ["4711"]


def test_values_are_accepted_as_numbers_or_strings_and_localpickup_in_both_spellings(broker):
    a = broker()
    response = a.add("777", deliveryformat="locaklpickup", confirmed="false", priceperseat__list=200.5)
    (sale,) = output(response)
    assert sale["ticketstock"] == "willcall"
    assert {"confirm": "pending", "message": ""} in sale["processing"]
    (sale,) = output(a.add("778", marketplaceid=4, deliveryformat="LocalPickup", posused="SkyBox"))
    assert sale["marketplaceid"] == 4 and sale["ticketstock"] == "willcall"


def test_the_credid_must_be_this_tenants_key_for_that_marketplace(broker):
    a, b = broker("Alpha"), broker("Bravo")
    message = error(a.add("1", credid="987654321"), 400, "E_PARAM")
    assert message.startswith("credid: 987654321 is not a marketplace key of your account")
    # another tenant's key is the same answer as an unknown one
    message = error(a.add("1", credid=b.credid(1)), 400, "E_PARAM")
    assert message.startswith(f"credid: {b.credid(1)} is not a marketplace key of your account")
    # a key for vivid does not add a stubhub sale
    message = error(a.add("1", marketplaceid=1, credid=a.credid(4)), 400, "E_PARAM")
    assert "is the key of marketplace 4 (Vivid Seats), not of marketplaceid 1" in message
    assert a.sales("1") == []


def test_adding_the_same_sale_twice_is_idempotent_and_a_different_body_conflicts(broker):
    a = broker()
    first = output(a.add("31337"))
    assert output(a.add("31337")) == first
    message = error(a.add("31337", section="MEZZ"), 409, "E_CONFLICT")
    assert "31337" in message and "already recorded" in message
    # the same order id on another marketplace is another sale
    output(a.add("31337", marketplaceid=4))
    assert sorted(s["marketplaceid"] for s in a.sales("31337")) == [1, 4]
    assert [s["tickets"]["section"] for s in a.sales("31337 stubhub")] == ["ORCH"]


def test_adding_takes_two_round_trips_after_auth(broker, dynamodb_calls):
    a = broker()
    a.credid(1)
    dynamodb_calls.calls.clear()
    output(a.add("4242"))
    assert dynamodb_calls.operations == ["GetItem", "Query", "TransactWriteItems"]
    assert dynamodb_calls.calls[1][1]["IndexName"] == "by_tenant"


# --- GET /v2/sales ---------------------------------------------------------------------------------


@pytest.fixture
def book(broker):
    """Sales spread over marketplaces, states, stocks and event dates (New York, the default zone)."""
    a = broker()
    day = TODAY
    a.add("1001", 4, event__datetimelocal=legacy_date(day, "7:00 PM"), event__name="Ziggy Marley")
    a.add("1002", 4, event__datetimelocal=legacy_date(day + dt.timedelta(days=1)), fulfilled=True)
    a.add("1003", 1, event__datetimelocal=legacy_date(day + dt.timedelta(days=5)), deliveryformat="mobileqr")
    a.add("1004", 41, event__datetimelocal=legacy_date(day - dt.timedelta(days=3)), confirmed=False)
    a.add(
        "1005", 16, event__datetimelocal=legacy_date(day + dt.timedelta(days=200)), deliveryformat="transfer"
    )
    a.add("1006", 1, event__datetimelocal=legacy_date(day + dt.timedelta(days=400)))
    a.add("1007", 25, event__datetimelocal=legacy_date(day - dt.timedelta(days=60)), event__name="Old Show")
    return a


def orders(rows: list[dict]) -> list[str]:
    return [r["orderid"] for r in rows]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("today", ["1001"]),
        ("TOMORROW", ["1002"]),
        ("next 7 days", ["1001", "1002", "1003"]),
        ("last 3 days", ["1004", "1001"]),
        ("next 7 days vivid", ["1001", "1002"]),
        ("unfulfilled vivid next 3 days", ["1001"]),
        ("vivid filled", ["1002"]),
        ("unconfirmed", ["1004"]),
        ("seatgeek", ["1004"]),
        ("mobile", ["1003"]),
        ("transfer tickpick", ["1005"]),
        ("invoiced", ["1004", "1001", "1002", "1003", "1005"]),
        ('"ziggy"', ["1001"]),
        ('"MARLEY" eticket', ["1001"]),
        ("1006", ["1006"]),
        ("1007 gametime", ["1007"]),
        ("1007 vivid", []),
        ("", ["1004", "1001", "1002", "1003", "1005"]),  # the default window: -30 to +365 days
        ("held", []),
        ("rejected", []),
        ("error", []),
    ],
)
def test_each_kind_of_word_selects_sales(book, q, expected):
    assert orders(book.sales(q)) == expected


def test_absolute_windows(book):
    start, end = TODAY - dt.timedelta(days=60), TODAY + dt.timedelta(days=1)
    span = f"{start.month}/{start.day}/{start.year}-{end.month}/{end.day}/{end.year}"
    assert orders(book.sales(span)) == ["1007", "1004", "1001", "1002"]
    one = f"{TODAY.month}/{TODAY.day}/{TODAY.year}"
    assert orders(book.sales(f"{one} vivid")) == ["1001"]


def test_an_unknown_word_is_a_400_that_names_it_and_lists_what_is_accepted(book):
    message = error(book.get("/v2/sales", q="vivid nextweek"), 400, "E_PARAM")
    assert message.startswith("q: unknown word 'nextweek'")
    assert "next N days" in message and "stubhub" in message and "unfilled" in message


def test_another_tenant_never_sees_the_sales(book, broker):
    b = broker("Bravo")
    assert b.sales("") == [] and b.sales("1001") == [] and b.sales("1001 vivid") == []
    assert b.sales("next 7 days vivid") == []


@pytest.mark.parametrize(
    ("q", "operations"),
    [
        ("7/4/2026", ["Query"]),  # absolute window: no time zone needed
        ("1003", ["Query"]),  # an order id: the by_order index
        ("1003 stubhub", ["GetItem"]),  # order id and marketplace: the item itself
        ("next 7 days vivid unfilled", ["GetItem", "Query"]),  # the tenant's time zone, then the window
        ("", ["GetItem", "Query"]),  # the default window is relative too
    ],
)
def test_queries_take_at_most_two_round_trips_after_auth_and_never_scan(book, dynamodb_calls, q, operations):
    dynamodb_calls.calls.clear()
    book.sales(q)
    auth, *rest = dynamodb_calls.calls
    assert auth[0] == "GetItem" and [name for name, _ in rest] == operations
    for name, params in rest:
        assert name != "Scan"
        if name in ("Query", "GetItem"):  # every key names the tenant
            assert book.id in json.dumps(params.get("ExpressionAttributeValues") or params["Key"])


# --- GET /v2/fulfill -------------------------------------------------------------------------------


def queued_messages(tenant_id: str, expected: int, deadline_s: float = 10.0) -> list[dict]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=get_settings().queue_name("fulfillment"))["QueueUrl"]
    found: list[dict] = []
    deadline = time.monotonic() + deadline_s
    while len(found) < expected and time.monotonic() < deadline:
        response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            payload = json.loads(message["Body"])
            if payload["tenant_id"] == tenant_id:
                found.append(payload)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


@pytest.mark.parametrize("path", ["/v2/fulfill", "/v2/fulfill/"])
def test_fulfill_marks_the_sale_pending_and_queues_it(broker, path, dynamodb_calls):
    a = broker()
    output(a.add("8080", 4))
    dynamodb_calls.calls.clear()
    response = a.get(path, orderid="8080", marketplaceid="4")
    assert body_of(response) == {
        "result": {"status": "success", "message": "", "messageid": ""},
        "output": [],
    }
    assert [name for name, _ in dynamodb_calls.calls] == ["GetItem", "UpdateItem"]
    (sale,) = a.sales("8080")
    assert {"fulfill": "pending", "message": "queued for fulfillment"} in sale["processing"]
    assert queued_messages(a.id, 1) == [{"tenant_id": a.id, "marketplace_id": 4, "order_id": "8080"}]


def test_fulfill_of_an_unknown_or_another_tenants_sale_is_a_404_and_queues_nothing(broker):
    a, b = broker("Alpha"), broker("Bravo")
    output(a.add("9090", 4))
    error(b.get("/v2/fulfill", orderid="9090", marketplaceid="4"), 404, "E_NOT_FOUND")
    error(a.get("/v2/fulfill", orderid="9090", marketplaceid="1"), 404, "E_NOT_FOUND")
    assert queued_messages(b.id, 1, deadline_s=1.5) == []
    assert {"fulfill": "pending", "message": "queued for fulfillment"} not in a.sales("9090")[0]["processing"]


@pytest.mark.parametrize(
    ("query", "prefix"),
    [
        ({"orderid": "1"}, "marketplaceid: Field required"),
        ({"marketplaceid": "4"}, "orderid: Field required"),
        ({"orderid": "1", "marketplaceid": "77"}, "marketplaceid: "),
        ({"orderid": "1 2", "marketplaceid": "4"}, "orderid: "),
    ],
)
def test_fulfill_parameters_are_validated(broker, query, prefix):
    a = broker()
    assert error(a.get("/v2/fulfill", **query), 400, "E_PARAM").startswith(prefix)


# --- POST /sales/v1/complete-sale ------------------------------------------------------------------


def test_complete_sale_marks_each_of_the_tenants_sales_filled(broker):
    a, b = broker("Alpha"), broker("Bravo")
    output(a.add("6001", 1))
    output(a.add("6002", 4))
    output(b.add("6003", 1))
    items = [
        {"user_id": a.id, "order_id": "6001", "marketplace_id": 1},
        {"user_id": int(a.id), "order_id": 6002, "marketplace_id": "4"},
    ]
    response = a.post("/sales/v1/complete-sale", items)
    assert body_of(response)["result"]["status"] == "success", response["body"]
    assert [r["status"] for r in output(response)] == ["success", "success"]
    for sale in a.sales("6001 6002"):
        assert {"fulfill": "success", "message": "marked filled by complete-sale"} in sale["processing"]
        assert {"complete": "pending", "message": "to be completed in the POS"} in sale["processing"]
    assert orders(a.sales("6001 6002 filled")) == ["6001", "6002"]


def test_complete_sale_never_touches_another_tenant(broker):
    a, b = broker("Alpha"), broker("Bravo")
    output(b.add("7001", 1))
    items = [
        {"user_id": b.id, "order_id": "7001", "marketplace_id": 1},  # b's sale, named by b's id
        {"user_id": a.id, "order_id": "7001", "marketplace_id": 1},  # a has no such sale
    ]
    response = a.post("/sales/v1/complete-sale", items)
    assert response["statusCode"] == 200
    result = body_of(response)["result"]
    assert result["status"] == "error" and result["messageid"] == "E_PARTIAL"
    assert [(r["status"], r["messageid"]) for r in output(response)] == [
        ("error", "E_NOT_FOUND"),
        ("error", "E_NOT_FOUND"),
    ]
    assert orders(b.sales("7001 unfilled")) == ["7001"]


@pytest.mark.parametrize(
    ("payload", "prefix"),
    [
        ([], "request: "),
        ([{"user_id": "1", "order_id": "1"}], "0.marketplace_id: Field required"),
        ([{"user_id": "1", "order_id": "1", "marketplace_id": 9999}], "0.marketplace_id: "),
        ({"user_id": "1"}, "request: "),
    ],
)
def test_complete_sale_body_is_validated(broker, payload, prefix):
    a = broker()
    message = error(a.post("/sales/v1/complete-sale", copy.deepcopy(payload)), 400, "E_PARAM")
    assert message.startswith(prefix), message


# --- GET /v2/crawl ---------------------------------------------------------------------------------


def crawl_requests(tenant_id: str) -> list[dict]:
    from tixpilot.repositories.crawl_requests import CrawlRequestRepository

    return list(
        CrawlRequestRepository().table.query_all(
            KeyConditionExpression="tenant_id = :t", ExpressionAttributeValues={":t": {"S": tenant_id}}
        )
    )


def add_account(tenant_id: str, username: str, marketplace_id: int = 1) -> int:
    from tixpilot.models.accounts import Account
    from tixpilot.repositories.accounts import AccountRepository
    from tixpilot.repositories.sequences import SequenceRepository

    account_id = SequenceRepository().next("account")
    account = Account(
        tenant_id=tenant_id,
        account_id=account_id,
        username=username,
        marketplace_id=marketplace_id,
        created=dt.datetime.now(dt.UTC),
    )
    assert AccountRepository().create_unique(account, None) is None
    return account_id


@pytest.mark.parametrize("path", ["/v2/crawl", "/v2/crawl/"])
def test_crawl_records_the_request(broker, dynamodb_calls, path):
    a = broker()
    account_id = add_account(a.id, "buyer@demo.test")
    dynamodb_calls.calls.clear()
    response = a.get(
        path, "api_crawl", username="Buyer@Demo.test", confnum="12-34567/ny", source="joebroker_app"
    )
    body = body_of(response)
    assert response["statusCode"] == 200 and body["output"] == []
    assert body["result"]["status"] == "success" and "recorded" in body["result"]["message"]
    # the token, the account by username, the request
    assert [name for name, _ in dynamodb_calls.calls] == ["GetItem", "Query", "PutItem"]
    (row,) = crawl_requests(a.id)
    assert (row["confnum"], row["account_id"], row["source"]) == ("12-34567/NY", account_id, "joebroker_app")
    assert row["expires_at"] > time.time()


def test_crawl_by_account_id_ignores_username_and_defaults_to_all(broker):
    a = broker()
    account_id = add_account(a.id, "mine@demo.test")
    output(
        a.get("/v2/crawl", "api_crawl", id=str(account_id), username="x", marketplaceid="55", source="app")
    )
    (row,) = crawl_requests(a.id)
    assert (row["account_id"], row.get("username"), row.get("marketplace_id"), row["confnum"]) == (
        account_id,
        None,
        None,
        "all",
    )


def test_crawl_of_an_account_you_do_not_have_is_a_404(broker):
    """Another broker's buyer address (or account id) crawls nothing into your account."""
    a, b = broker(), broker("Other Tickets LLC")
    theirs = add_account(b.id, "their-buyer@other.test")
    for query in (
        {"username": "their-buyer@other.test"},
        {"id": str(theirs)},
        {"username": "nobody@demo.test"},
    ):
        message = error(a.get("/v2/crawl", "api_crawl", source="app", **query), 404, "E_NOT_FOUND")
        assert message.startswith(("username: no account", "id: no account")), message
    mine = add_account(a.id, "their-buyer@other.test", marketplace_id=3)
    message = error(
        a.get("/v2/crawl", "api_crawl", source="app", username="their-buyer@other.test"), 404, "E_NOT_FOUND"
    )
    assert "on marketplace 1" in message  # the tenant's account of that name is on marketplace 3
    output(a.get("/v2/crawl", "api_crawl", source="app", id=str(mine)))
    assert [row["account_id"] for row in crawl_requests(a.id)] == [mine]


@pytest.mark.parametrize(
    ("query", "prefix"),
    [
        ({"username": "a@b.c"}, "source: Field required"),
        ({"username": "a@b.c", "source": " "}, "source: "),
        ({"username": "a@b.c", "source": "app", "confnum": "1234567"}, "confnum: "),
        ({"username": "a@b.c", "source": "app", "confnum": "12-34567/NEWYORK"}, "confnum: "),
        ({"source": "app", "confnum": "all"}, "username: "),
        ({"username": "a@b.c", "source": "app", "marketplaceid": "999999"}, "marketplaceid: "),
        ({"id": "zero", "source": "app"}, "id: "),
    ],
)
def test_crawl_parameters_are_validated(broker, query, prefix):
    a = broker()
    message = error(a.get("/v2/crawl", "api_crawl", **query), 400, "E_PARAM")
    assert message.startswith(prefix), message
    assert crawl_requests(a.id) == []


# --- paging and order ids --------------------------------------------------------------------------


def page(broker: Broker, **query: str) -> dict:
    response = broker.get("/v2/sales", **query)
    assert response["statusCode"] == 200, response["body"]
    return body_of(response)


def test_sales_come_a_page_at_a_time_with_a_signed_cursor_in_the_envelope(broker):
    a, b = broker(), broker("Bravo")
    for n in range(7):
        a.add(str(5100 + n), event={"name": "Paged", "venue": "V", "datetimelocal": legacy_date(TODAY)})
    seen, query = [], {"q": "today", "page_size": "3"}
    while True:
        answer = page(a, **query)
        assert set(answer) == {"result", "output", "cursor"} and len(answer["output"]) <= 3
        seen += orders(answer["output"])
        if answer["cursor"] is None:
            break
        query["cursor"] = answer["cursor"]
    assert sorted(seen) == [str(5100 + n) for n in range(7)] and len(seen) == 7

    first = page(a, q="today", page_size="3")["cursor"]
    token, _, mac = first.rpartition(".")
    for bad in (token, f"{token}.{mac[::-1]}", f"{token[:-2]}xx.{mac}"):
        assert error(a.get("/v2/sales", q="today", cursor=bad), 400, "E_PARAM").startswith("cursor:")
    assert error(b.get("/v2/sales", q="today", cursor=first), 400, "E_PARAM").startswith("cursor:")
    message = error(a.get("/v2/sales", q="tomorrow", cursor=first), 400, "E_PARAM")
    assert message == "cursor: it belongs to another query; start without `cursor`"


def test_more_order_ids_than_the_cap_is_a_400_naming_it(broker, dynamodb_calls):
    a = broker()
    dynamodb_calls.calls.clear()
    q = ",".join(str(n) for n in range(1, 151))  # 150 ids: the attack, within q's 500 characters
    message = error(a.get("/v2/sales", q=q), 400, "E_PARAM")
    assert message.startswith("q: at most 50 order ids in one query, not 150;")
    assert [name for name, _ in dynamodb_calls.calls] == ["GetItem"]  # the token only: nothing read


def test_order_ids_are_read_together_not_one_after_another(broker, recorder):
    a = broker()
    for n in (1, 2, 3, 49, 50):
        a.add(str(n))
        a.add(str(n), marketplaceid=4)
    ids = ",".join(str(n) for n in range(1, 51))
    recorder.calls.clear()
    found = page(a, q=f"{ids} stubhub vivid")["output"]
    assert sorted((s["orderid"], s["marketplaceid"]) for s in found) == sorted(
        (str(n), m) for n in (1, 2, 3, 49, 50) for m in (1, 4)
    )
    assert [c["op"] for c in recorder.data_calls()] == ["BatchGetItem"]  # 100 keys, one call
    recorder.calls.clear()
    found = page(a, q=ids, page_size="4")
    assert len(found["output"]) == 4 and found["cursor"]
    queries = recorder.data_calls()
    assert [c["op"] for c in queries] == ["Query"] * 50  # one per id, side by side (round trips: bench)
    rest = page(a, q=ids, page_size="100", cursor=found["cursor"])
    assert len(rest["output"]) == 6 and rest["cursor"] is None
