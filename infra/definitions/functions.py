"""Lambda functions, the API routes each serves, and what each may touch.

One function per resource group of the API: a group shares its tables, so one role per group is
still least privilege, and far fewer functions means far fewer cold starts than one per endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tixpilot.settings import FULFILLMENT_TIMER_ARN, PIPELINE_ARN

Access = Literal["read", "write"]
# A state machine's: "write" = start executions, "answer" = report the result of its callback
# tasks (SendTaskSuccess/SendTaskFailure with the task token it handed out).
MachineAccess = Literal["write", "answer"]

# The state machines a function may start, each with the variable that gives a function its ARN.
STATE_MACHINE_ARN_VARIABLES: dict[str, str] = {
    "purchase-pipeline": PIPELINE_ARN,
    "fulfillment-timer": FULFILLMENT_TIMER_ARN,
}


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str  # without trailing slash; API Gateway and the local gateway also accept it with one
    # No x-api-token: the caller proves itself another way (a marketplace's webhook signature),
    # checked by the handler; the gateway throttles these routes on their own, tighter.
    public: bool = False


@dataclass(frozen=True)
class FunctionDef:
    id: str  # folder under functions/, and the function's logical name
    description: str
    routes: tuple[Route, ...] = ()
    tables: dict[str, Access] = field(default_factory=dict)
    buckets: dict[str, Access] = field(default_factory=dict)
    keys: dict[str, Access] = field(default_factory=dict)  # KMS: "write" = encrypt, "read" = decrypt
    queues: dict[str, Access] = field(default_factory=dict)  # "write" = send messages, "read" = consume
    # Queues whose messages invoke the function (batches of up to 10, partial batch failures).
    consumes: tuple[str, ...] = ()
    secrets: dict[str, Access] = field(default_factory=dict)  # Secrets Manager: "read" only
    # Step Functions state machines (STATE_MACHINE_ARN_VARIABLES): "write" = start executions,
    # "answer" = end the callback tasks it waits on
    state_machines: dict[str, MachineAccess] = field(default_factory=dict)
    timeout_s: int = 10
    memory_mb: int = 512
    # Caps the function's concurrency where it protects a downstream (a POS's rate limits);
    # applied in environments whose cdk.json sets reserve_concurrency (staging, prod).
    reserved_concurrency: int | None = None
    # Files of the repository (paths from its root) the function's code needs beside its
    # handler: copied into the function's asset, under their own names.
    files: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return f"functions.{self.id}.handler"


# Every API function authenticates with the tokens table.
_AUTH: dict[str, Access] = {"tokens": "read"}

API_REFERENCE = FunctionDef(
    id="api_reference",
    description="Token check and reference data: verify, marketplaces, disclosures.",
    routes=(Route("GET", "/v2/verify"), Route("GET", "/v2/marketplaces"), Route("GET", "/v2/disclosures")),
    tables={**_AUTH, "tenants": "read", "reference": "read"},
)

API_DOMAINS = FunctionDef(
    id="api_domains",
    description="The tenant's email domains.",
    routes=(Route("GET", "/v2/domains/list"),),
    tables={**_AUTH, "domains": "read"},
)

API_PURCHASES = FunctionDef(
    id="api_purchases",
    description="Purchases: search and the per-purchase actions.",
    routes=(
        Route("GET", "/v2/purchases"),
        Route("GET", "/v2/getpdf"),
        Route("POST", "/v2/purchases/recordpo"),
    ),
    # recordpo rewrites the purchase together with its index items (PO copies)
    tables={**_AUTH, "purchases": "write", "purchase_index": "write"},
    buckets={"ticket-pdfs": "read"},  # presigned links are signed with the function's own rights
    secrets={"cursor-key": "read"},  # signs and checks the page cursors
)

API_RECEIPTS = FunctionDef(
    id="api_receipts",
    description="Every email received: parsed, unparsed (with the reason) or duplicate.",
    routes=(Route("GET", "/v2/receipts"),),
    tables={**_AUTH, "receipts": "read"},
    secrets={"cursor-key": "read"},
)

API_SALES = FunctionDef(
    id="api_sales",
    description="Sales: add, query, fulfill, complete-sale, and confirm or reject an ION sale.",
    routes=(
        Route("POST", "/v2/sales/add"),
        Route("GET", "/v2/sales"),
        Route("GET", "/v2/fulfill"),
        Route("POST", "/sales/v1/complete-sale"),
        Route("POST", "/v2/sales/confirm"),
        Route("POST", "/v2/sales/reject"),
    ),
    # tenants: the time zone of date windows; tokens: the credid check of /v2/sales/add;
    # ion-tasks: a person's confirm/reject of an ION sale, carried out by the sales worker; ledger:
    # complete-sale completes an order TixPilot placed in the POS (builtin seats, SkyBox records).
    tables={**_AUTH, "sales": "write", "tenants": "read", "ledger": "write"},
    keys={"pos-credentials": "read"},  # complete-sale in SkyBox: the tenant's SkyBox credentials
    queues={"fulfillment": "write", "ion-tasks": "write"},
    secrets={"cursor-key": "read"},
)

API_CRAWL = FunctionDef(
    id="api_crawl",
    description="Crawl requests (GET /v2/crawl): recorded, crawled, the pipeline started per order found.",
    routes=(Route("GET", "/v2/crawl"),),
    # purchases/claims/sequences/purchase_index: an order the crawl finds creates or merges its
    # purchase; accounts: the username of an account given by id; ticket-pdfs: the ticket files
    # the primary shows.
    tables={
        **_AUTH,
        "crawl_requests": "write",
        "accounts": "read",
        "purchases": "write",
        "claims": "write",
        "sequences": "write",
        "purchase_index": "write",
    },
    buckets={"ticket-pdfs": "write"},
    state_machines={"purchase-pipeline": "write"},
    timeout_s=30,
)

API_ACCOUNTS = FunctionDef(
    id="api_accounts",
    description="Marketplace accounts: list, add, update (passwords encrypted with KMS).",
    routes=(
        Route("GET", "/v2/accounts/list"),
        Route("POST", "/v2/accounts/add"),
        Route("POST", "/v2/accounts/update"),
        Route("POST", "/v2/accounts/update/v2"),
    ),
    # Buying marketplaces come from the layer's reference data (no read); tenants: the time zone
    # (error times, AutoPO's default date); claims: one account per username and marketplace;
    # purchases/purchase_index: an updated account's parked or failed purchases run again (their
    # run claimed on the purchase, services.pipeline.rerun_after_account_fix).
    tables={
        **_AUTH,
        "accounts": "write",
        "claims": "write",
        "sequences": "write",
        "tenants": "read",
        "purchases": "write",
        "purchase_index": "write",
    },
    keys={"account-passwords": "write"},
    state_machines={"purchase-pipeline": "write"},
)

API_SETTINGS = FunctionDef(
    id="api_settings",
    description="The tenant's settings: Safeguard level, mobile PO mode, time zone.",
    routes=(Route("GET", "/v2/settings"), Route("POST", "/v2/settings/update")),
    tables={**_AUTH, "tenants": "write"},
)

API_OPENAPI = FunctionDef(
    id="api_openapi",
    description="The OpenAPI document of the whole API, as committed (generated from the routes).",
    routes=(Route("GET", "/openapi.json"),),
    memory_mb=256,
    files=("docs/openapi.json",),
)

INTAKE = FunctionDef(
    id="intake",
    description="Inbound email: the raw message is already in S3; record and parse it.",
    # purchases/claims/sequences/purchase_index: a receipt creates or merges its purchase
    # (record_observation, through PurchaseRepository).
    tables={
        "receipts": "write",
        "domains": "read",
        "purchases": "write",
        "claims": "write",
        "sequences": "write",
        "purchase_index": "write",
    },
    buckets={"raw-email": "read"},
    state_machines={"purchase-pipeline": "write"},  # a recorded purchase starts its pipeline
    timeout_s=30,
)

API_INVENTORY = FunctionDef(
    id="api_inventory",
    description="The builtin POS: inventory (ticket groups and seats) and QuickPO.",
    routes=(Route("GET", "/v2/inventory"), Route("POST", "/v2/purchases/quickpo")),
    # QuickPO: the PO in the ledger with its claim, the purchase rewritten with its PO number.
    tables={
        **_AUTH,
        "ledger": "write",
        "claims": "write",
        "sequences": "write",
        "purchases": "write",
        "purchase_index": "write",
        "tenants": "read",
        "accounts": "read",
    },
    keys={"pos-credentials": "read"},  # QuickPO into SkyBox: the tenant's SkyBox credentials
)

MARKETPLACE_OI = FunctionDef(
    id="marketplace_oi",
    description="Order Integration for marketplaces (x-marketplace-key): hold, release, invoice.",
    routes=(
        Route("POST", "/oi/v1/holds"),
        Route("POST", "/oi/v1/orders/{order_id}/release"),
        Route("POST", "/oi/v1/orders/{order_id}/invoice"),
        Route("GET", "/oi/v1/orders/{order_id}/tickets"),
    ),
    # tokens: the marketplace key (and the sale's credential check); tenants: which POS sells
    # (inventory_pos); ledger: the order and its seats (builtin POS), or TixPilot's record of the
    # order (SkyBox); sales: the order's sale; ion-tasks: the hold's expiry, for the sales worker;
    # ticket-pdfs: the delivered tickets' links.
    tables={**_AUTH, "tenants": "read", "ledger": "write", "sales": "write"},
    buckets={"ticket-pdfs": "read"},
    keys={"pos-credentials": "read"},  # a tenant selling from SkyBox: its SkyBox credentials
    queues={"ion-tasks": "write"},
)

MARKETPLACE_ION = FunctionDef(
    id="marketplace_ion",
    description="Instant Notification for marketplaces (x-marketplace-key): sales, their state, holds.",
    routes=(
        Route("POST", "/ion/v1/sales"),
        Route("GET", "/ion/v1/sales/{order_id}"),
        Route("POST", "/ion/v1/sales/{order_id}/cancel"),
        Route("GET", "/ion/v1/sales/{order_id}/tickets"),
        Route("POST", "/ion/v1/holds"),
        Route("POST", "/ion/v1/holds/{hold_id}/release"),
    ),
    # sales: the order's record (received, its lease while a hold is made) and sale; ledger and
    # tenants: holds in the inventory POS; the queues: sales for the worker, hold expiries;
    # ticket-pdfs: the delivered tickets' links.
    tables={**_AUTH, "tenants": "read", "ledger": "write", "sales": "write"},
    buckets={"ticket-pdfs": "read"},
    keys={"pos-credentials": "read"},  # holds in SkyBox: the tenant's SkyBox credentials
    queues={"ion-sales": "write", "ion-tasks": "write"},
)

ION_WORKER = FunctionDef(
    id="ion_worker",
    description="Instant Notification sales worker: invoice in the POS, confirm or reject with the "
    "marketplace; automatic rejections and hold expiries.",
    consumes=("ion-sales", "ion-tasks"),
    # tenants/ledger: the inventory POS; sales: sales and the per-order records; credentials:
    # the tenant's marketplace API credentials (decrypted with their key); ion-tasks: the
    # automatic rejection and hold expiry it schedules (and re-delays until due).
    tables={"tenants": "read", "ledger": "write", "sales": "write", "marketplace_credentials": "read"},
    # pos-credentials: holds and invoices in SkyBox for a tenant selling from it
    keys={"marketplace-credentials": "read", "pos-credentials": "read"},
    queues={"ion-tasks": "write"},
    timeout_s=60,
)

MARKETPLACE_WEBHOOKS = FunctionDef(
    id="marketplace_webhooks",
    description="Sales the marketplaces push (StubHub, TEvo): verified, queued for the ION worker.",
    routes=(Route("POST", "/webhooks/{marketplace}", public=True),),
    # The account a delivery claims -> its tenant and credentials (to verify it); no tokens table:
    # a marketplace proves itself its own way.
    tables={"marketplace_credentials": "read"},
    keys={"marketplace-credentials": "read"},
    queues={"ion-sales": "write"},
)

# The poller runs on a schedule (infra/cdk/marketplaces.py; locally every TIXPILOT_POLL_S).
MARKETPLACE_POLLER = FunctionDef(
    id="marketplace_poller",
    description="Polls the marketplaces that do not push sales (Vivid Seats) within their rate limits.",
    tables={"marketplace_credentials": "read", "marketplace_polls": "write"},
    keys={"marketplace-credentials": "read"},
    queues={"ion-sales": "write"},
    timeout_s=60,
)
POLL_SCHEDULE_MINUTES = 1  # EventBridge's finest rate; each feed's own limit is kept in marketplace_polls


FULFILLMENT_WORKER = FunctionDef(
    id="fulfillment_worker",
    description="Fulfillment worker: deliver sold tickets through the marketplaces (retried on 1Ticket's "
    "schedule), complete sales in the POS.",
    consumes=("fulfillment",),
    # sales: the sale, its attempts and its lease; tenants/ledger: the POS and its ticket data
    # (complete marks an order fulfilled); purchases/purchase_index/claims/sequences and the
    # ticket-pdfs bucket: a crawl of the primary for tickets not there yet, the files it finds
    # and the files a generic v1 delivery keeps; credentials: the marketplaces' APIs; the timer:
    # each retry, due later.
    tables={
        "sales": "write",
        "tenants": "read",
        "ledger": "write",
        "purchases": "write",
        "purchase_index": "write",
        "claims": "write",
        "sequences": "write",
        "marketplace_credentials": "read",
    },
    buckets={"ticket-pdfs": "write"},
    # pos-credentials: ticket data and completion in SkyBox for a sale sold from it
    keys={"marketplace-credentials": "read", "pos-credentials": "read"},
    state_machines={"fulfillment-timer": "write"},
    timeout_s=60,
)

# The purchase pipeline's Lambda tasks (infra/definitions/purchase_pipeline.asl.json).
_PIPELINE_TABLES: dict[str, Access] = {
    "purchases": "write",
    "purchase_index": "write",
    "claims": "write",
    "sequences": "write",
    "tenants": "read",
    "accounts": "read",
}
PIPELINE_CRAWL = FunctionDef(
    id="pipeline_crawl",
    description="Purchase pipeline: crawl the primary for a purchase's order, merge what it says, "
    "and let the Safeguard decide (AutoPO, wait and crawl again, or park).",
    tables=_PIPELINE_TABLES,
    buckets={"ticket-pdfs": "write"},  # the ticket files the primary shows
    timeout_s=60,
)
# The recrawl loop runs on SQS, not in the state machine: the execution waits once, in its
# Recrawl callback task, while this function crawls and evaluates each time a delayed message
# comes due, sends the next one delayed by the next wait, and answers the task when decided.
PIPELINE_RECRAWL = FunctionDef(
    id="pipeline_recrawl",
    description="Purchase pipeline: crawl again when a wait is over; answer the execution once decided.",
    tables=_PIPELINE_TABLES,
    consumes=("recrawl",),
    queues={"recrawl": "write"},
    state_machines={"purchase-pipeline": "answer"},
    timeout_s=60,
)
PIPELINE_AUTOPO = FunctionDef(
    id="pipeline_autopo",
    description="Purchase pipeline: AutoPO in each POS where the account has it on.",
    tables={**_PIPELINE_TABLES, "ledger": "write"},
    keys={"pos-credentials": "read"},  # the tenant's SkyBox credentials
    timeout_s=60,
    reserved_concurrency=10,  # POS APIs (SkyBox and others) rate-limit per broker account
)
PIPELINE_RECORD = FunctionDef(
    id="pipeline_record",
    description="Purchase pipeline: record a parked (awaiting QuickPO) or failed execution on the purchase.",
    tables=_PIPELINE_TABLES,
)


FUNCTIONS: dict[str, FunctionDef] = {
    f.id: f
    for f in (
        API_REFERENCE,
        API_DOMAINS,
        API_PURCHASES,
        API_RECEIPTS,
        API_SALES,
        API_CRAWL,
        API_ACCOUNTS,
        API_SETTINGS,
        API_OPENAPI,
        INTAKE,
        API_INVENTORY,
        MARKETPLACE_OI,
        MARKETPLACE_ION,
        ION_WORKER,
        FULFILLMENT_WORKER,
        MARKETPLACE_WEBHOOKS,
        MARKETPLACE_POLLER,
        PIPELINE_CRAWL,
        PIPELINE_RECRAWL,
        PIPELINE_AUTOPO,
        PIPELINE_RECORD,
    )
}


def api_functions() -> list[FunctionDef]:
    return [f for f in FUNCTIONS.values() if f.routes]
