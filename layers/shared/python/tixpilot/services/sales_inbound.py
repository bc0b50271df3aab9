"""How sales reach TixPilot from the marketplaces' own APIs: webhooks they push, and feeds TixPilot
polls. Both end the same way: each `SaleNotification`, for the tenant whose marketplace account it
concerns, goes to a `NotificationSink` (the ION intake queue), and nothing else happens here:
invoicing, confirming and rejecting are the ION worker's, so a webhook is answered at once.

Webhooks: the delivery names the account it claims (`adapter.webhook_account`), the account's
stored credentials verify it (`adapter.parse_webhook`); an unknown account and a forged delivery
are both Unauthorized, an unreadable one InvalidParameter.

Polls: for every marketplace with poll feeds (`adapter.poll_feeds`: Vivid Seats, which sends no
webhooks, and Ticket Evolution's fallback feed) and every tenant with credentials for it, each feed
is asked for at most once per its interval, however many pollers run at once: a request slot is
taken in the shared `PollState` first (a conditional write), and only then are the credentials
read and the request made. A feed's page cursor is kept between runs, so a sweep of several pages
continues at the next slot. Orders a feed keeps showing (unconfirmed orders stay unconfirmed for
a while) are sent once per `SEEN_TTL_S`, not at every poll: a marker per notification, written
after the send, so a failed send is retried by the next poll.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from tixpilot.adapters.marketplaces.base import MarketplaceAdapter, MarketplaceError, WebhookRejected
from tixpilot.errors import InvalidParameter, NotFound, Unauthorized, Unavailable
from tixpilot.models.ion import SaleMessage
from tixpilot.models.marketplace_credentials import SellerAccount
from tixpilot.models.marketplace_polls import FeedSlot
from tixpilot.models.marketplaces import SaleNotification, WebhookRequest

# A feed's slot is taken this long after its interval: the request reaches the marketplace a
# little after the slot is taken, and the next one should not arrive early by its clock.
SLOT_SLACK_S = 1.0
# How long a polled notification is not sent again. Unconfirmed orders stay in a feed until
# the worker confirms or rejects them; past this the same order is sent again (the worker
# dedupes), which also recovers a notification lost downstream.
SEEN_TTL_S = 3600
POLL_WORKERS = 8  # tenants polled side by side (each poll is one HTTP request)


class NotificationSink(Protocol):
    def put_all(self, messages: Sequence[SaleMessage]) -> None:
        """Queue the messages for the ION worker; raises Unavailable when they are not taken."""
        ...


def _queue(sink: NotificationSink, tenant_id: str, notifications: Sequence[SaleNotification]) -> None:
    sink.put_all([SaleMessage(tenant_id=tenant_id, notification=n) for n in notifications])


class SellerAccounts(Protocol):
    def get(self, tenant_id: str, marketplace_id: int) -> dict[str, str] | None: ...

    def find_by_account(self, marketplace_id: int, account_key: str) -> SellerAccount | None: ...

    def tenants_of(self, marketplace_id: int) -> list[str]: ...


# -- webhooks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookDeps:
    accounts: SellerAccounts
    sink: NotificationSink
    adapters: Mapping[str, MarketplaceAdapter]  # by name: those whose sales come by webhook


@dataclass(frozen=True)
class Received:
    tenant_id: str
    notifications: list[SaleNotification]


def receive_webhook(deps: WebhookDeps, marketplace: str, request: WebhookRequest) -> Received:
    """Verify one delivery to `/webhooks/<marketplace>` and queue its notifications.

    NotFound: no such webhook; Unauthorized: no connected account claims it, or the account's
    credentials do not verify it; InvalidParameter: authentic but unreadable."""
    adapter = deps.adapters.get(marketplace)
    if adapter is None:
        raise NotFound(
            f"no webhooks for {marketplace!r}; TixPilot takes them for {', '.join(sorted(deps.adapters))}"
        )
    key = adapter.webhook_account(request)
    account = deps.accounts.find_by_account(adapter.marketplace_id, key) if key else None
    if account is None:
        raise Unauthorized(f"the delivery is not from a {adapter.name} account connected to TixPilot")
    try:
        notifications = adapter.parse_webhook(request, account.credentials)
    except WebhookRejected as rejected:
        if rejected.status == 400:
            raise InvalidParameter("body", rejected.message) from None
        raise Unauthorized(
            f"the delivery is not from a {adapter.name} account connected to TixPilot"
        ) from None
    if notifications:
        _queue(deps.sink, account.tenant_id, notifications)
    return Received(account.tenant_id, notifications)


# -- polls -------------------------------------------------------------------------------------------


class PollState(Protocol):
    """What pollers share: each feed's last request and cursor, and the notifications sent."""

    def take_slot(
        self, tenant_id: str, marketplace_id: int, feed: str, now: float, interval_s: float
    ) -> FeedSlot | None:
        """The slot if the feed's last request was `interval_s` ago or more (now recorded as
        the last), else None; atomic across pollers."""
        ...

    def finish(
        self, tenant_id: str, marketplace_id: int, feed: str, cursor: str | None, error: str | None
    ) -> None:
        """Record where the feed's sweep continues and the last error (None: it succeeded)."""
        ...

    def unseen(self, tenant_id: str, keys: Sequence[str], now: float) -> set[str]:
        """Those of `keys` (dedupe keys) not marked as sent, or whose mark has expired."""
        ...

    def mark_seen(self, tenant_id: str, keys: Sequence[str], until: float) -> None: ...


@dataclass(frozen=True)
class PollDeps:
    accounts: SellerAccounts
    state: PollState
    sink: NotificationSink
    adapters: Sequence[MarketplaceAdapter]  # those with poll feeds
    clock: Callable[[], float] = time.time


@dataclass
class PollReport:
    """What one run did: feed requests made, skipped (not due), notifications sent; `errors`
    the marketplaces' and the queue's failures (expected now and then: the next slot retries),
    `crashes` anything else, one tenant's not stopping the others'."""

    polled: int = 0
    not_due: int = 0
    sent: int = 0
    already_sent: int = 0
    errors: list[str] = field(default_factory=list)
    crashes: list[BaseException] = field(default_factory=list)
    tenants_left: int = 0  # not reached before the deadline (the next run starts elsewhere)

    def add(self, other: PollReport) -> None:
        self.polled += other.polled
        self.not_due += other.not_due
        self.sent += other.sent
        self.already_sent += other.already_sent
        self.errors += other.errors
        self.crashes += other.crashes


def poll_marketplaces(
    deps: PollDeps,
    *,
    out_of_time: Callable[[], bool] = lambda: False,
    workers: int = POLL_WORKERS,
) -> PollReport:
    """Poll every due feed of every tenant with credentials for a polled marketplace.

    Tenants are taken in a random order, so that when `out_of_time()` stops a run early, the next
    run does not leave the same tenants for last."""
    jobs = [
        (adapter, tenant)
        for adapter in deps.adapters
        for tenant in deps.accounts.tenants_of(adapter.marketplace_id)
    ]
    random.shuffle(jobs)
    report = PollReport()

    def run(job: tuple[MarketplaceAdapter, str]) -> PollReport | None:
        if out_of_time():
            return None
        try:
            return poll_tenant(deps, job[0], job[1])
        except Exception as crash:  # isolated per tenant; the caller raises after the run
            return PollReport(crashes=[crash])

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for result in pool.map(run, jobs):
            if result is None:
                report.tenants_left += 1
            else:
                report.add(result)
    return report


def poll_tenant(deps: PollDeps, adapter: MarketplaceAdapter, tenant_id: str) -> PollReport:
    """One request to each of the tenant's due feeds on the marketplace; never raises for a
    marketplace's failure (it is recorded with the feed and reported)."""
    report = PollReport()
    credentials: dict[str, str] | None = None
    for feed, interval_s in adapter.poll_feeds.items():
        slot = deps.state.take_slot(
            tenant_id, adapter.marketplace_id, feed, deps.clock(), interval_s + SLOT_SLACK_S
        )
        if slot is None:
            report.not_due += 1
            continue
        credentials = credentials or deps.accounts.get(tenant_id, adapter.marketplace_id)
        if credentials is None:  # removed since the listing
            return report
        report.polled += 1
        try:
            page = adapter.poll(credentials, feed, slot.cursor)
        except MarketplaceError as error:
            # A transient failure asks for the same page next time; a permanent one (a bookmark
            # the marketplace no longer knows, revoked credentials) starts the sweep again.
            cursor = slot.cursor if error.transient else None
            deps.state.finish(tenant_id, adapter.marketplace_id, feed, cursor, error.message)
            report.errors.append(f"{adapter.name} {feed} of tenant {tenant_id}: {error.message}")
            continue
        fresh = _not_sent_yet(deps, tenant_id, page.notifications)
        if fresh:
            try:
                _queue(deps.sink, tenant_id, fresh)
            except Unavailable as error:  # unmarked: the same page is asked for and sent next time
                deps.state.finish(tenant_id, adapter.marketplace_id, feed, slot.cursor, error.message)
                report.errors.append(f"{adapter.name} {feed} of tenant {tenant_id}: {error.message}")
                continue
            deps.state.mark_seen(tenant_id, [n.dedupe_key for n in fresh], deps.clock() + SEEN_TTL_S)
        deps.state.finish(tenant_id, adapter.marketplace_id, feed, page.cursor, None)
        report.sent += len(fresh)
        report.already_sent += len({n.dedupe_key for n in page.notifications}) - len(fresh)
    return report


def _not_sent_yet(
    deps: PollDeps, tenant_id: str, notifications: Iterable[SaleNotification]
) -> list[SaleNotification]:
    unique = {n.dedupe_key: n for n in notifications}  # a page may repeat an order
    if not unique:
        return []
    unseen = deps.state.unseen(tenant_id, list(unique), deps.clock())
    return [n for key, n in unique.items() if key in unseen]
