"""Every example of the legacy API reference (docs/legacy-api.md), replayed against the local stack.

Each request is the reference's own `requests` call with only the base URL changed (and, where
the example names one of its own ids — rid, account id, credid, user id — the id of a record
this test made). Each answer is checked against the shape the reference documents: every key
the example shows is there, with the same JSON type. Where the example itself is malformed
(`...@password=`, `"10/15/s2018 4:55 PM"`), the answer must be the 400 that says so.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.stack import DEMO_DOMAIN, HTTP_TIMEOUT_S, LocalStack, poll_until
from tests.e2e.test_intake_e2e import purchase_with, receipt_for_a_new_order, send

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

OK = {"status": "success", "message": "", "messageid": ""}
VIVID = "4"  # the resale marketplace of the reference's sales example

# The shapes the reference documents (its example outputs, abridged to one element each).
PURCHASE_SHAPE = {
    "rid": 17016286,
    "event": {
        "name": "",
        "venue": "",
        "datetime": "",
        "eventid_1ticket": "",
        "eventid_primary": "",
        "printdelay_hours": "",
    },
    "purchasing_account": {"account_username": "", "account_id": "", "account_id_1ticket": ""},
    "purchaseorders": {},
    "disclosures": [],
    "marketplace": {"marketplace": "", "marketplaceid": ""},
    "receipt": {
        "status": "",
        "confirmation_number": "",
        "confrmation_number_1ticket": "",
        "confirmation_region": "",
        "pricecode": "",
        "cost_group": "",
        "cost_perseat": "",
        "face_perseat": "",
        "seen_emailreceipt": False,
        "seen_onlinereceipt": False,
        "creditcard": "",
        "buyer_name": "",
        "purchasedate": "",
    },
    "attributes": {"refund": ""},
    "items": {
        "section": "",
        "row": "",
        "section_original": "",
        "row_original": "",
        "seat_first": "",
        "seat_last": "",
        "quantity": "",
        "stock": "",
    },
    "haspdf": False,
    "datelastseen": "",
    "datefirstseen": "",
}
ACCOUNT_SHAPE = {
    "accountid": "",
    "userid": "",
    "notes": "",
    "active": True,
    "account_username": "",
    "account_password": "",
    "marketplace": {"id": "", "name": ""},
    "error": {"error_datetime": "", "error_id": "", "error_description": ""},
    "quickpo_settings": {
        **{
            f"{kind}_{pos}": ""
            for pos in ("skybox", "posnext", "core", "ticketutils", "ticketnetwork", "tradedeskpos")
            for kind in ("custid", "creditcardid")
        },
        "autoposettings": {
            **{
                f"autopo_{pos}": False
                for pos in ("skybox", "ticketnetwork", "posnext", "ticketutils", "tradedeskpos")
            },
            **{
                f"autopo_{pos}_dateafter": ""
                for pos in ("skybox", "ticketnetwork", "posnext", "ticketutils", "tradedeskpos")
            },
        },
    },
}
SALE_SHAPE = {
    "orderid": "",
    "marketplace": "",
    "marketplaceid": 4,
    "ticketstock": "",
    "type": "",
    "processing": [],
    "event": {"name": "", "venue": "", "date": "", "time": ""},
    "tickets": {
        "section": "",
        "row": "",
        "quantity": 2,
        "seatfirst": "",
        "seatlast": "",
        "total_order": "",
        "total_payment": "",
    },
    "hold_details": {"received": "", "removed_date": "", "removed_by": ""},
}
SEAT_SHAPE = {
    "seatid": "",
    "status": "",
    "haspdf": "",
    "obstructions": [],
    "ticketstock": "",
    "printdate": "",
    "1ticketid": "",
    "seatnumber": "",
    "section": "",
    "row": "",
    "pdfguid": "",
    "barcode": "",
    "pdfurl": "",
}


def assert_shape(actual: Any, documented: Any, where: str = "$") -> None:
    """Every key of the documented example is present, with the same JSON type."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for key, value in documented.items():
            assert key in actual, f"{where}.{key} is missing"
            assert_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(documented, bool):
        assert isinstance(actual, bool), f"{where}: {actual!r} is not a boolean"
    elif isinstance(documented, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), (
            f"{where}: {actual!r} is not a number"
        )
    elif isinstance(documented, str):
        assert isinstance(actual, str), f"{where}: {actual!r} is not a string"
    elif isinstance(documented, list):
        assert isinstance(actual, list), f"{where}: {actual!r} is not a list"


def envelope(response: requests.Response, status: int = 200) -> list[Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) - {"cursor"} == {"result", "output"}  # cursor: TixPilot's paging (GET /v2/sales)
    if status == 200:
        # a success may say what it did (crawl does); it is never an error id
        assert body["result"]["status"] == "success" and body["result"]["messageid"] == "", body
    else:
        assert body["result"]["status"] == "error" and body["result"]["messageid"], body
    assert isinstance(body["output"], list)
    return body["output"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def api(stack: LocalStack) -> Any:
    """`requests` with the reference's base URL (https://1ticket.com/api) swapped for the stack's."""

    class Api:
        headers = {"x-api-token": stack.token}

        def get(self, url: str) -> requests.Response:
            return requests.get(stack.api_url + url, headers=self.headers, timeout=HTTP_TIMEOUT_S)

        def post(self, url: str, data: str | None = None) -> requests.Response:
            return requests.post(stack.api_url + url, data=data, headers=self.headers, timeout=HTTP_TIMEOUT_S)

    return Api()


@pytest.fixture(scope="module")
def purchase(stack: LocalStack) -> dict[str, Any]:
    raw, confirmation, _ = receipt_for_a_new_order()
    send(stack, raw, f"buyer@{DEMO_DOMAIN}")
    return poll_until(lambda: purchase_with(stack, confirmation), "the receipt's purchase", 30)


@pytest.fixture(scope="module")
def account(api: Any) -> dict[str, Any]:
    username = f"johndoe-{uuid.uuid4().hex[:8]}@gmail.com"
    (row,) = envelope(
        api.post(f"/v2/accounts/add/?marketplaceid=1&username={username}&password=yourpassword")
    )
    return row  # type: ignore[no-any-return]


def test_getpdf(api, purchase):
    # The receipt names seats 5 and 6 (nothing has delivered barcodes or files for them yet).
    (group,) = envelope(api.get(f"/v2/getpdf/?rid={purchase['rid']}"))
    assert [seat["seatnumber"] for seat in group["seats"]] == ["5", "6"]
    for seat in group["seats"]:
        assert_shape(seat, SEAT_SHAPE)
        assert seat["1ticketid"] == str(purchase["rid"])


def test_purchases(api, purchase):
    (page,) = envelope(api.get("/v2/purchases/"))
    assert page["purchases"], "the receipt's purchase is listed"
    for row in page["purchases"]:
        assert_shape(row, PURCHASE_SHAPE)


def test_crawl(api, purchase):
    username = purchase["purchasing_account"]["account_username"]
    confnum = f"{purchase['receipt']['confirmation_number']}/{purchase['receipt']['confirmation_region']}"
    # a crawl reads only the broker's own accounts: the receipt's buyer is one once added
    api.post(f"/v2/accounts/add/?marketplaceid=1&username={username}&password=yourpassword")
    assert envelope(api.get(f"/v2/crawl/?username={username}&confnum={confnum}&source=joebroker_app")) == []


def test_verify(api):
    (row,) = envelope(api.get("/v2/verify/"))
    assert_shape(row, {"company_name": ""})


def test_sales_query(api, stack):
    # An unfilled Vivid Seats sale of an event two days from now, and one already fulfilled.
    credid = marketplace_key(stack, api, VIVID)
    soon = dt.date.today() + dt.timedelta(days=2)
    event_time = f"{soon.month}/{soon.day}/{soon.year} 7:30 PM"
    unfilled = sale_record(credid, "10/15/2018 4:55 PM", marketplaceid=VIVID, event_time=event_time)
    filled = sale_record(credid, "10/15/2018 4:55 PM", marketplaceid=VIVID, event_time=event_time)
    filled["fulfilled"] = True
    for record in (unfilled, filled):
        envelope(api.post("/v2/sales/add", data=json.dumps(record)))

    rows = envelope(api.get("/v2/sales/?q=next%207%20days%20vivid%20unfilled"))
    orderids = [row["orderid"] for row in rows]
    assert unfilled["saleid"] in orderids and filled["saleid"] not in orderids
    for row in rows:
        assert_shape(row, SALE_SHAPE)
        assert row["marketplaceid"] == int(VIVID)


def test_marketplaces(api):
    rows = envelope(api.get("/v2/marketplaces"))
    for row in rows:
        assert_shape(row, {"id": "395", "name": "", "url": "", "password_required": False})
    assert {"58", "359", "395"} <= {r["id"] for r in rows}


def test_disclosures(api):
    (group,) = envelope(api.get("/v2/disclosures"))
    assert group["disclosures"], "the reference data has disclosures"
    for row in group["disclosures"]:
        assert_shape(
            row,
            {
                "id": 1,
                "description": "",
                "description_short": "",
                "description_long": "",
                "description_skybox": "",
                "description_dti": "",
            },
        )


def test_accounts_list(api, account):
    rows = envelope(
        api.get(f"/v2/accounts/list/?marketplacename=ticketmaster&username={account['account_username']}")
    )
    assert [r["accountid"] for r in rows] == [account["accountid"]]
    assert_shape(rows[0], ACCOUNT_SHAPE)
    assert rows[0]["account_password"] == ""


def test_domains_list(api):
    rows = envelope(api.get("/v2/domains/list"))
    assert DEMO_DOMAIN in [row["domain"] for row in rows]
    for row in rows:
        assert_shape(
            row,
            {
                "domain_id": "",
                "domain": "",
                "owned_by": "",
                "used_by": "",
                "defaults": {"password": "", "customer_id": "", "creditcard_id": ""},
            },
        )


def test_accounts_add_as_the_reference_writes_it(api):
    # The reference's URL joins password with '@' instead of '&': no password reaches us, and a
    # Ticketmaster account needs one.
    response = api.post("/v2/accounts/add/?marketplaceid=1&username=johndoe@gmail.com@password=yourpassword")
    envelope(response, 400)
    assert "password" in response.json()["result"]["message"]


def test_accounts_add(account):
    assert_shape(account, ACCOUNT_SHAPE)


def test_accounts_update(api, account):
    envelope(
        api.post(
            f"/v2/accounts/update/?id={account['accountid']}&creditcardid_skybox=32266&custid_skybox=123456"
        )
    )
    rows = envelope(api.get(f"/v2/accounts/list/?username={account['account_username']}"))
    assert rows[0]["quickpo_settings"]["custid_skybox"] == "123456"
    assert rows[0]["quickpo_settings"]["creditcardid_skybox"] == "32266"


def sale_record(
    credid: str, saledatetime: str, *, marketplaceid: str = "1", event_time: str = "1/1/2020 7:30 PM"
) -> dict[str, Any]:
    return {
        "saleid": str(uuid.uuid4().int % 10**9),
        "credid": credid,
        "posused": "ticketnetworkapi",
        "deliveryformat": "eticket",
        "saledatetime": saledatetime,
        "marketplaceid": marketplaceid,
        "ticketgroupid": "12345678",
        "invoiceid": "99999",
        "inhanddate": "5/25/2019",
        "confirmed": True,
        "fulfilled": False,
        "priceperseat": {"list": "200.55", "face": "99.20", "cost": "125.00"},
        "pricepersale": {"total": "608.00", "fees": "45.00", "payout": "590.00"},
        "event": {
            "name": "taylor swift",
            "venue": "verizon center",
            "state": "DC",
            "datetimelocal": event_time,
        },
        "section": "ORCH",
        "row": "AA",
        "seats": [
            {"seatnumber": "1", "seatid": "1000"},
            {"seatnumber": "2", "seatid": "1001"},
            {"seatnumber": "3", "seatid": "1003"},
        ],
    }


def marketplace_key(stack: LocalStack, api: Any, marketplace_id: str) -> str:
    """The credid of a new marketplace key of the demo tenant for that resale marketplace."""
    (tenant,) = envelope(api.get("/v2/verify"))
    key = stack.cli(
        "marketplace-key", "create", "--tenant-id", tenant["userid"], "--marketplace-id", marketplace_id
    )
    assert key.returncode == 0, key.output
    return str(key.output["credid"])


@pytest.fixture(scope="module")
def credid(stack: LocalStack, api: Any) -> str:
    return marketplace_key(stack, api, "1")


def test_sales_add_as_the_reference_writes_it(api, credid):
    response = api.post("/v2/sales/add", data=json.dumps(sale_record(credid, "10/15/s2018 4:55 PM")))
    envelope(response, 400)
    assert response.json()["result"]["message"].startswith("saledatetime")


def test_sales_add_then_fulfill_then_complete(api, credid):
    record = sale_record(credid, "10/15/2018 4:55 PM")
    envelope(api.post("/v2/sales/add", data=json.dumps(record)))
    assert envelope(api.get(f"/v2/fulfill/?orderid={record['saleid']}&marketplaceid=1")) == []
    (tenant,) = envelope(api.get("/v2/verify"))
    done = [{"user_id": tenant["userid"], "order_id": record["saleid"], "marketplace_id": 1}]
    # the reference's host for this one is apis.dti1ticketapps.com: swapped for the stack's too
    envelope(api.post("/sales/v1/complete-sale", data=json.dumps(done)))
    rows = envelope(api.get(f"/v2/sales/?q={record['saleid']}%201/1/2020"))
    assert [r["orderid"] for r in rows] == [record["saleid"]]
    assert_shape(rows[0], SALE_SHAPE)


def test_recordpo(api, purchase):
    assert envelope(api.post(f"/v2/purchases/recordpo/?pos=skybox&po=123456&rid={purchase['rid']}")) == []
    (page,) = envelope(api.get(f"/v2/purchases/?rid={purchase['rid']}"))
    assert page["purchases"][0]["purchaseorders"]["skybox"] == "123456"


def test_accounts_update_v2(api, account):
    envelope(
        api.post(
            f"/v2/accounts/update/v2/?id={account['accountid']}&posid=2&autopo=true&autopodateafter=1/7/2020"
        )
    )
    rows = envelope(api.get(f"/v2/accounts/list/?username={account['account_username']}"))
    settings = rows[0]["quickpo_settings"]["autoposettings"]
    assert (
        settings["autopo_ticketnetwork"] is True and settings["autopo_ticketnetwork_dateafter"] == "1/7/2020"
    )


def test_accounts_update_v2_with_the_reference_body(api, account):
    body = {
        "result": OK,
        "output": [
            {**account, "quickpo_settings": {**account["quickpo_settings"], "custid_posnext": "3040"}}
        ],
    }
    envelope(api.post(f"/v2/accounts/update/v2/?id={account['accountid']}&posid=47", data=json.dumps(body)))
    rows = envelope(api.get(f"/v2/accounts/list/?username={account['account_username']}"))
    assert rows[0]["quickpo_settings"]["custid_posnext"] == "3040"
