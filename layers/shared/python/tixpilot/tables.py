"""Key and index declarations the repositories query by, in the layer so Lambda can read them.

`infra/definitions/tables.py` builds the tables from these (the CDK app, the local stack and the
tests), so a repository and the table it queries cannot name an index differently. Plain
dataclasses, cheap to import on a cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AttrType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class Key:
    name: str
    type: AttrType = "S"


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: Key
    sort_key: Key | None = None
    # KEYS_ONLY indexes are lookups whose hits are then read by key; ALL where a query's page
    # is served from the index alone.
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


# The purchases table's GSIs, one per filter of GET /v2/purchases, keyed by the filter they serve
# (docs/data-model.md). Each is sparse and projected ALL, so a page is served from the index
# alone. The date indexes are partitioned by tenant with the value as sort key (a range is one
# key condition); the others by `<tenant>#<value>`, newest rid first.
PURCHASE_INDEXES: dict[str, Index] = {
    "confirmation": Index("by_confirmation", Key("tenant_confirmation"), Key("confirmation_region")),
    "firstseen": Index("by_firstseen", Key("tenant_id"), Key("ix_firstseen")),
    "event_at": Index("by_event_at", Key("tenant_id"), Key("ix_event_at")),
    "purchase_date": Index("by_purchase_date", Key("tenant_id"), Key("ix_purchase_date")),
    "username": Index("by_username", Key("ix_username"), Key("rid", "N")),
    "region": Index("by_region", Key("ix_region"), Key("rid", "N")),
    "card": Index("by_card", Key("ix_card"), Key("rid", "N")),
    "refund": Index("by_refund", Key("ix_refund"), Key("rid", "N")),
    "status": Index("by_status", Key("ix_status"), Key("rid", "N")),
    "event_name": Index("by_event_name", Key("ix_event_name"), Key("rid", "N")),
    "venue_name": Index("by_venue_name", Key("ix_venue_name"), Key("rid", "N")),
}

# The marketplace_credentials table's GSIs. by_account: a webhook's claimed account
# (`<marketplace id>#<account key>`) -> the tenant and its (encrypted) credentials, ALL so a
# delivery costs one Query. by_marketplace: every tenant with credentials for one marketplace (the
# poller), KEYS_ONLY since the poller reads a tenant's credentials only when one of its feeds is due.
MARKETPLACE_ACCOUNT_INDEX = Index("by_account", Key("marketplace_account"))
MARKETPLACE_TENANTS_INDEX = Index(
    "by_marketplace", Key("marketplace_id", "N"), Key("tenant_id"), projection="KEYS_ONLY"
)
