"""DynamoDB tables: keys, indexes and TTL. The access patterns are in docs/data-model.md.

The indexes a repository names in its queries are declared in the layer (`tixpilot.tables`; the
Lambda layer ships without `infra`) and built into the tables here."""

from __future__ import annotations

from dataclasses import dataclass

from tixpilot.tables import (
    MARKETPLACE_ACCOUNT_INDEX,
    MARKETPLACE_TENANTS_INDEX,
    PURCHASE_INDEXES,
    Index,
    Key,
)


@dataclass(frozen=True)
class TableDef:
    id: str  # short name: the suffix of the physical name and the key in `TABLES`
    partition_key: Key
    sort_key: Key | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    purpose: str = ""

    def key_attributes(self) -> list[Key]:
        keys = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        for index in self.indexes:
            keys.append(index.partition_key)
            if index.sort_key:
                keys.append(index.sort_key)
        seen: dict[str, Key] = {}
        for key in keys:
            if key.name in seen and seen[key.name].type != key.type:
                raise ValueError(f"{self.id}: attribute {key.name} declared with two types")
            seen[key.name] = key
        return list(seen.values())


TENANTS = TableDef(
    id="tenants",
    partition_key=Key("tenant_id"),
    purpose="One item per broker account: company name and settings.",
)

TOKENS = TableDef(
    id="tokens",
    partition_key=Key("token_hash"),
    indexes=(Index("by_tenant", Key("tenant_id"), Key("credential_id"), projection="KEYS_ONLY"),),
    purpose="API tokens and marketplace keys, stored only as their SHA-256 hash.",
)

REFERENCE = TableDef(
    id="reference",
    partition_key=Key("kind"),
    sort_key=Key("id", "N"),
    purpose="Buying marketplaces, resale marketplaces and disclosures; the same for every tenant.",
)

DOMAINS = TableDef(
    id="domains",
    partition_key=Key("domain"),
    indexes=(Index("by_tenant", Key("tenant_id"), Key("domain")),),
    # Also the tenants' trusted forwarders: items keyed `forwarder#<tenant>#<address>`, without
    # `tenant_id` so by_tenant lists domains only (repositories/forwarders.py).
    purpose="Email domains; a domain belongs to one tenant, so inbound mail routes by GetItem.",
)

ACCOUNTS = TableDef(
    id="accounts",
    partition_key=Key("tenant_id"),
    sort_key=Key("account_id", "N"),
    indexes=(Index("by_username", Key("tenant_username"), Key("marketplace_id", "N")),),
    purpose="Primary (buying) marketplace accounts of a tenant.",
)

PURCHASES = TableDef(
    id="purchases",
    partition_key=Key("tenant_id"),
    sort_key=Key("rid", "N"),
    # One sparse index per filter of GET /v2/purchases, declared in the layer: the repository
    # queries them by the same declaration.
    indexes=tuple(PURCHASE_INDEXES.values()),
    purpose="Purchases (receipt groups), with one sparse index per search filter.",
)

PURCHASE_INDEX = TableDef(
    id="purchase_index",
    partition_key=Key("ikey"),
    sort_key=Key("skey"),
    purpose="Index items of purchases that one GSI cannot hold: a copy per PO number (a purchase "
    "has one per POS), and per distinct event/venue name its purchase count and its suffixes "
    "(substring search).",
)

SALES = TableDef(
    id="sales",
    partition_key=Key("tenant_id"),
    sort_key=Key("sale_key"),
    # by_event_date: the window of a /v2/sales query; by_order: an order id given without its
    # marketplace (`tenant_order` = "<tenant>#<orderid>"). Both ALL: a query is served from the index.
    indexes=(
        Index("by_event_date", Key("tenant_id"), Key("event_date_key")),
        Index("by_order", Key("tenant_order")),
    ),
    purpose="Marketplace sales with their processing steps.",
)

CRAWL_REQUESTS = TableDef(
    id="crawl_requests",
    partition_key=Key("tenant_id"),
    sort_key=Key("request_key"),  # "<received ISO time>#<uuid>": newest last
    ttl_attribute="expires_at",
    purpose="GET /v2/crawl requests, kept 30 days, for the purchase pipeline to act on.",
)

LEDGER = TableDef(
    id="ledger",
    partition_key=Key("tenant_id"),
    sort_key=Key("entity"),
    ttl_attribute="expires_at",
    purpose="The builtin POS: purchase orders, ticket groups, seats, holds and invoices.",
)

RECEIPTS = TableDef(
    id="receipts",
    partition_key=Key("receipt_key"),  # "<tenant_id>#mid:<sha256 of Message-ID>": duplicates per tenant
    # by_tenant_status: GET /v2/receipts?status=; by_tenant: GET /v2/receipts (every status).
    indexes=(
        Index("by_tenant_status", Key("tenant_status"), Key("received")),
        Index("by_tenant", Key("tenant_id"), Key("received")),
    ),
    purpose="Every inbound email: parsed, unparsed or duplicate, with the raw message's S3 key.",
)

SEQUENCES = TableDef(
    id="sequences",
    partition_key=Key("name"),
    purpose="Atomic counters for the numeric ids the legacy API exposes (rid, accountid, ...).",
)

CLAIMS = TableDef(
    id="claims",
    partition_key=Key("claim"),
    purpose="Uniqueness claims written in the same transaction as what they guard: one purchase "
    "per order (tenant, confirmation number, region), one PO per purchase per POS.",
)

MARKETPLACE_CREDENTIALS = TableDef(
    id="marketplace_credentials",
    partition_key=Key("tenant_id"),
    sort_key=Key("marketplace_id", "N"),
    # Declared in the layer: the repository queries them by the same declaration.
    indexes=(MARKETPLACE_ACCOUNT_INDEX, MARKETPLACE_TENANTS_INDEX),
    purpose="A tenant's credentials for a marketplace's own API (KMS ciphertext), with the account "
    "key its webhooks carry and the index of tenants per marketplace the poller reads.",
)

MARKETPLACE_POLLS = TableDef(
    id="marketplace_polls",
    partition_key=Key("poll_key"),
    ttl_attribute="expires_at",
    purpose="What the marketplace pollers share: each tenant's feed's last request (the rate-limit "
    "slot) and cursor, and markers of the notifications already sent (TTL).",
)

TABLES: dict[str, TableDef] = {
    t.id: t
    for t in (
        TENANTS,
        TOKENS,
        REFERENCE,
        DOMAINS,
        ACCOUNTS,
        PURCHASES,
        PURCHASE_INDEX,
        SALES,
        CRAWL_REQUESTS,
        LEDGER,
        RECEIPTS,
        SEQUENCES,
        CLAIMS,
        MARKETPLACE_CREDENTIALS,
        MARKETPLACE_POLLS,
    )
}

# KMS keys, found by alias `alias/tixpilot-<env>-<id>` (Settings.key_alias).
KEYS: dict[str, str] = {
    "account-passwords": "Marketplace account passwords: the API encrypts, only the crawl decrypts.",
    "pos-credentials": "POS API credentials (SkyBox): the CLI encrypts, functions calling the POS decrypt.",
    "marketplace-credentials": "Tenants' credentials for the marketplaces' own APIs: the admin CLI "
    "encrypts, the webhook routes, the poller and the sales worker decrypt.",
}

# Secrets Manager secrets (`tixpilot-<env>-<id>`): generated by the stack, never in a template or an
# environment variable; the local stack generates its own and keeps it with its state.
SECRETS: dict[str, str] = {
    "cursor-key": "The key that signs the API's page cursors (HMAC-SHA256): a tampered cursor is a 400.",
}

BUCKETS: dict[str, str] = {
    "raw-email": "Raw inbound messages, written before anything else happens.",
    "ticket-pdfs": "Ticket PDFs per purchase and seat, handed out as presigned URLs by /v2/getpdf.",
}


@dataclass(frozen=True)
class QueueDef:
    """An SQS queue with its dead-letter queue: a message received `max_receive_count` times
    without being handled is parked there (and alarmed). `visibility_timeout_s`: at least six
    times the timeout of the function consuming it, as Lambda's SQS integration advises."""

    purpose: str
    max_receive_count: int = 5
    visibility_timeout_s: int = 120
    # Alarm when the oldest message has waited this long: its worker is not keeping up (or down).
    oldest_message_alarm_s: int | None = None


QUEUES: dict[str, QueueDef] = {
    # Delayed by SQS up to 15 minutes a message; the pipeline's longest wait is 10.
    "recrawl": QueueDef(
        "Purchases waiting to be crawled again: {token, state} per message (the execution's "
        "Recrawl task token and state), delayed by the wait the Safeguard chose.",
        visibility_timeout_s=360,
    ),
    # The fulfillment worker takes a message within seconds; a delivery that fails is rescheduled
    # on the retry timer (not left on the queue), so an old message means the worker is stuck.
    "fulfillment": QueueDef(
        "Sales to deliver (GET /v2/fulfill, and each retry when due) and to complete in the POS "
        "(complete-sale): {tenant_id, marketplace_id, order_id, kind, schedule?} per message.",
        max_receive_count=20,
        visibility_timeout_s=360,
        oldest_message_alarm_s=900,
    ),
    # The sales worker hands a message that failed for a passing reason back with a growing delay
    # (TIXPILOT_ION_RETRY_S doubling, at most 15 minutes): 20 receives cover a marketplace down
    # for about four hours before the message is parked.
    "ion-sales": QueueDef(
        "Instant Notification sales: {tenant_id, notification, credential_id} per message, from "
        "POST /ion/v1/sales, the StubHub and Ticket Evolution webhooks and the Vivid Seats poller.",
        max_receive_count=20,
        visibility_timeout_s=360,
    ),
    "ion-tasks": QueueDef(
        "Instant Notification tasks due now or later (automatic rejections, hold expiries, a "
        "person's confirm or reject): delayed up to 15 minutes a hop, sent again until due.",
        max_receive_count=20,
        visibility_timeout_s=360,
    ),
}
