"""The SkyBox adapter's create_po against the fake SkyBox over HTTP, with its claims and the
tenant's credentials in the emulator: one SkyBox purchase per purchase whatever retries and
races, the right inventory, and every failure a clear PosError."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.skybox.conftest import Fake, SkyBoxAccount
from tixpilot.adapters.http import RetryingHttp
from tixpilot.adapters.pos.base import PoRequest, PosError
from tixpilot.adapters.pos.skybox import SkyBoxPos, skybox_error
from tixpilot.models.accounts import PosSettings
from tixpilot.models.purchases import EventInfo, Items, Money, Purchase, Ticket
from tixpilot.models.tenants import Tenant
from tixpilot.repositories.po_claims import PoClaimRepository
from tixpilot.repositories.tenants import TenantRepository

NOW = dt.datetime(2026, 6, 17, 18, 30, tzinfo=dt.UTC)
SHOW = dt.datetime(2026, 9, 1, 19, 30)


def forget_claim(tenant_id: str, rid: int) -> None:
    """What a run that made the PO and died before recording it leaves: no claim at all."""
    claims = PoClaimRepository()
    claims.table.client.delete_item(
        TableName=claims.table.name, Key={"claim": {"S": f"po#{tenant_id}#{rid}#skybox"}}
    )


@pytest.fixture
def tenant_id(moto_server: str) -> str:
    """A tenant in the emulator (its claims are in the emulator's claims table)."""
    tenant = f"sb-{uuid.uuid4().hex[:10]}"
    TenantRepository().create(Tenant(tenant_id=tenant, name="SkyBox Broker", created=NOW))
    return tenant


def adapter(skybox: Fake, **options: Any) -> SkyBoxPos:
    http = RetryingHttp("skybox", error=skybox_error, backoff_s=0.001, timeout_s=5)
    return SkyBoxPos(http=http, base_url=skybox.url, **options)


def purchase(tenant_id: str, rid: int = 1, **changes: Any) -> Purchase:
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "rid": rid,
        "account_username": "buyer@acme.test",
        "confirmation_number": f"12-{34560 + rid}",
        "confirmation_region": "NY",
        "event": EventInfo(name="Sugarland", venue="Red Rocks Amphitheatre", starts_at=SHOW),
        "items": Items(section="309", row="H", seats=["5", "6"], stock="eticket"),
        "money": Money(cost_perseat=Decimal("75.25"), face_perseat=Decimal("62.50")),
        "purchase_date": dt.date(2026, 6, 17),
        "datefirstseen": NOW,
        "datelastseen": NOW,
        **changes,
    }
    return Purchase(**values)


def request(
    account: SkyBoxAccount, bought: Purchase, stock: str | None = "eticket", card: bool = True
) -> PoRequest:
    settings = PosSettings(
        customer_id=str(account.ids["vendor_id"]),
        creditcard_id=str(account.ids["credit_card_id"]) if card else "",
    )
    return PoRequest(purchase=bought, stock=stock, settings=settings, credentials=account.credentials)


def skybox_purchases(account: SkyBoxAccount, ref: str) -> list[dict[str, Any]]:
    return list(account.ok("GET", "/purchases", externalRef=ref)["rows"])


def inventory(account: SkyBoxAccount, purchase_id: str) -> list[dict[str, Any]]:
    return list(account.ok("GET", "/inventory", purchaseId=purchase_id, includeTickets="true")["rows"])


def test_a_po_is_one_skybox_purchase_with_the_purchases_inventory(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    bought = purchase(tenant_id)
    result = adapter(skybox).create_po(request(account, bought))
    assert result.created
    (made,) = skybox_purchases(account, "12-34561/NY")
    assert str(made["id"]) == result.poid
    assert made["vendorId"] == account.ids["vendor_id"]
    assert made["creditCardId"] == account.ids["credit_card_id"]
    assert (made["paymentMethod"], made["deliveryMethod"], made["total"]) == ("CREDITCARD", "EMAIL", 150.5)
    assert "12-34561/NY" in made["internalNotes"] and "rid 1" in made["internalNotes"]
    (stock,) = inventory(account, result.poid)
    assert stock["eventId"] == event["id"] and "eventMapping" not in stock
    assert (stock["section"], stock["row"], stock["lowSeat"], stock["highSeat"]) == ("309", "H", 5, 6)
    assert (stock["cost"], stock["faceValue"], stock["stockType"]) == (75.25, 62.5, "ELECTRONIC")
    assert (stock["seatType"], stock["splitType"], stock["inHandDate"]) == (
        "CONSECUTIVE",
        "DEFAULT",
        "2026-09-01",
    )
    assert stock["notes"] == "12-34561/NY (TixPilot rid 1)"
    assert [t["seatNumber"] for t in stock["tickets"]] == [5, 6]

    again = adapter(skybox).create_po(request(account, bought))
    assert (again.poid, again.created) == (result.poid, False)
    assert len(skybox.calls("purchases.create")) == 1


def test_mobile_transfer_alternating_seats_and_barcodes(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    bought = purchase(
        tenant_id,
        rid=2,
        items=Items(section="101", row="A", seats=["1", "3", "5"], stock="mobile"),
        tickets=[Ticket(seatnumber="1", barcode="BC-1"), Ticket(seatnumber="5", barcode="BC-5")],
    )
    result = adapter(skybox).create_po(request(account, bought, stock="transfer", card=False))
    (made,) = skybox_purchases(account, "12-34562/NY")
    assert made["deliveryMethod"] == "MOBILE_DELIVERY" and "creditCardId" not in made
    (stock,) = inventory(account, result.poid)
    assert (stock["seatType"], stock["lowSeat"], stock["highSeat"], stock["stockType"]) == (
        "ALTERNATING",
        1,
        5,
        "MOBILE_TRANSFER",
    )
    assert [(t["seatNumber"], t["barCode"]) for t in stock["tickets"]] == [
        (1, "BC-1"),
        (3, None),
        (5, "BC-5"),
    ]


def test_an_event_skybox_does_not_list_goes_as_an_event_mapping(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    bought = purchase(
        tenant_id, rid=3, event=EventInfo(name="Sugarland", venue="Other Venue", starts_at=SHOW)
    )
    result = adapter(skybox).create_po(request(account, bought))
    (stock,) = inventory(account, result.poid)
    assert stock.get("eventId") is None and stock["mappingId"]
    assert stock["eventMapping"] == {
        "eventName": "Sugarland",
        "venueName": "Other Venue",
        "eventDate": "2026-09-01T19:30:00",
    }


def test_a_po_already_in_skybox_under_the_order_number_is_used_not_made_again(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    bought = purchase(tenant_id, rid=4)
    first = adapter(skybox).create_po(request(account, bought))
    forget_claim(tenant_id, 4)
    second = adapter(skybox).create_po(request(account, bought))
    assert (second.poid, second.created) == (first.poid, False)
    assert len(skybox_purchases(account, "12-34564/NY")) == 1


def test_a_dead_runs_expired_lease_is_taken_over(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    claims = PoClaimRepository()
    assert claims.acquire(tenant_id, 5, "skybox", "dead-run", lease_s=-1).mine  # already run out
    result = adapter(skybox).create_po(request(account, purchase(tenant_id, rid=5)))
    assert result.created and claims.get(tenant_id, 5, "skybox").poid == result.poid  # type: ignore[union-attr]


def test_concurrent_runs_make_one_skybox_purchase(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    bought = purchase(tenant_id, rid=6)
    results: list[Any] = []
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        try:
            results.append(adapter(skybox).create_po(request(account, bought)))
        except PosError as exc:  # pragma: no cover - shown in the assertion below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.poid for r in results}) == 1 and sum(r.created for r in results) == 1
    assert len(skybox_purchases(account, "12-34566/NY")) == 1
    assert len(skybox.calls("purchases.create")) == 1


def test_refused_credentials_are_a_clear_error_and_a_fix_recovers(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    pos = adapter(skybox)
    good = request(account, purchase(tenant_id, rid=7))
    wrong = replace(good, credentials={**account.credentials, "api_token": "wrong"})
    with pytest.raises(PosError) as refused:
        pos.create_po(wrong)
    assert refused.value.status == 401 and not refused.value.transient
    assert "SkyBox refused the credentials" in refused.value.message
    assert "tixpilot pos-credentials set" in refused.value.message
    assert PoClaimRepository().get(tenant_id, 7, "skybox") is None  # released: nothing waits for it
    assert pos.create_po(good).created


def test_an_outage_is_transient_and_the_next_try_makes_the_po(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    skybox.control("faults", {"operation": "purchases.create", "status": 503, "times": 4})  # 1 + 3 retries
    pos = adapter(skybox)
    with pytest.raises(PosError) as down:
        pos.create_po(request(account, purchase(tenant_id, rid=8)))
    assert down.value.transient and down.value.status == 503
    assert down.value.message.startswith("SkyBox is unavailable, TixPilot will try again")
    result = pos.create_po(request(account, purchase(tenant_id, rid=8)))
    assert result.created and len(skybox_purchases(account, "12-34568/NY")) == 1


def test_a_rate_limit_is_waited_out(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    skybox.control("rate-limit", {"calls": 2, "window_s": 1})
    result = adapter(skybox).create_po(request(account, purchase(tenant_id, rid=9)))
    assert result.created
    statuses = [c["status"] for c in skybox.fake.calls]
    assert 429 in statuses and statuses[-1] == 200


def test_skybox_validation_words_reach_the_broker(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    wrong_vendor = replace(
        request(account, purchase(tenant_id, rid=10)), settings=PosSettings(customer_id="999")
    )
    with pytest.raises(PosError) as refused:
        adapter(skybox).create_po(wrong_vendor)
    assert refused.value.status == 400 and not refused.value.transient
    assert refused.value.message == (
        f"SkyBox refused the request (POST /purchases answered 400: vendorId 999: no such vendor in "
        f"account {account.account_id})"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (PosSettings(), "custid_skybox '' is not a SkyBox id"),
        (PosSettings(customer_id="ACME"), "custid_skybox 'ACME' is not a SkyBox id"),
        (PosSettings(customer_id="5", creditcard_id="visa"), "creditcardid_skybox 'visa' is not a SkyBox id"),
    ],
)
def test_the_accounts_vendor_and_card_must_be_skybox_ids(
    skybox: Fake, account: SkyBoxAccount, tenant_id: str, settings: PosSettings, message: str
) -> None:
    with pytest.raises(PosError, match=message):
        adapter(skybox).create_po(replace(request(account, purchase(tenant_id, rid=11)), settings=settings))
    assert skybox.fake.calls == []


def test_without_credentials_nothing_is_called(
    skybox: Fake, account: SkyBoxAccount, moto_server: str
) -> None:
    without = replace(request(account, purchase("nobody", rid=12)), credentials={})
    with pytest.raises(PosError, match=r"no SkyBox credentials .* pos-credentials set --tenant-id nobody"):
        adapter(skybox).create_po(without)
    assert skybox.fake.calls == []


def test_searches_are_read_as_a_bare_list_too(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any], tenant_id: str
) -> None:
    skybox.control("search-shape", {"shape": "list"})
    bought = purchase(tenant_id, rid=13)
    first = adapter(skybox).create_po(request(account, bought))
    (stock,) = account.ok("GET", "/inventory", purchaseId=first.poid)
    assert stock["eventId"] == event["id"]  # the event search was read
    forget_claim(tenant_id, 13)
    again = adapter(skybox).create_po(request(account, bought))  # found by the externalRef search
    assert (again.poid, again.created) == (first.poid, False)
    assert len(skybox.calls("purchases.create")) == 1
