"""One instance per container of each repository and adapter, built when first asked for.

Every route, task and dependency bundle takes its repositories from here, so each exists once
per container whoever uses it: the purchase repository remembers which names it has indexed
(name caps), and QuickPO, recordpo, search, intake and the pipeline share that one instance.
Each builder imports its class when first called, so a function loads only the repositories
its own requests use (cold start). Clients are created lazily (tixpilot.aws).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tixpilot.adapters.kms import KmsCipher
    from tixpilot.adapters.secrets import SecretValue
    from tixpilot.adapters.stepfunctions import FulfillmentTimer, StepFunctionsPipeline, TaskCallbacks
    from tixpilot.repositories.accounts import AccountRepository
    from tixpilot.repositories.crawl_requests import CrawlRequestRepository
    from tixpilot.repositories.domains import DomainRepository
    from tixpilot.repositories.forwarders import ForwarderRepository
    from tixpilot.repositories.fulfillment import FulfillmentLocks
    from tixpilot.repositories.ion import IonOrderRepository, IonSales, IonTasks, SqsQueue
    from tixpilot.repositories.ledger import LedgerRepository
    from tixpilot.repositories.marketplace_credentials import MarketplaceCredentialRepository
    from tixpilot.repositories.marketplace_polls import MarketplacePollRepository
    from tixpilot.repositories.pos_credentials import PosCredentialRepository
    from tixpilot.repositories.purchases import PurchaseRepository
    from tixpilot.repositories.receipts import RawMailStore, ReceiptRepository
    from tixpilot.repositories.reference import ReferenceRepository
    from tixpilot.repositories.sales import FulfillmentQueue, SaleRepository
    from tixpilot.repositories.sequences import SequenceRepository
    from tixpilot.repositories.tenants import CredentialRepository, TenantRepository
    from tixpilot.repositories.ticket_files import TicketFiles

# --- repositories -------------------------------------------------------------------------------


@cache
def tenants() -> TenantRepository:
    from tixpilot.repositories.tenants import TenantRepository

    return TenantRepository()


@cache
def credentials() -> CredentialRepository:
    from tixpilot.repositories.tenants import CredentialRepository

    return CredentialRepository()


@cache
def sequences() -> SequenceRepository:
    from tixpilot.repositories.sequences import SequenceRepository

    return SequenceRepository()


@cache
def reference() -> ReferenceRepository:
    from tixpilot.repositories.reference import ReferenceRepository

    return ReferenceRepository()


@cache
def domains() -> DomainRepository:
    from tixpilot.repositories.domains import DomainRepository

    return DomainRepository()


@cache
def forwarders() -> ForwarderRepository:
    from tixpilot.repositories.forwarders import ForwarderRepository

    return ForwarderRepository()


@cache
def accounts() -> AccountRepository:
    from tixpilot.repositories.accounts import AccountRepository

    return AccountRepository()


@cache
def purchases() -> PurchaseRepository:
    """Stateful: it remembers which names it has indexed and their caps."""
    from tixpilot.repositories.purchases import PurchaseRepository

    return PurchaseRepository()


@cache
def ticket_files() -> TicketFiles:
    from tixpilot.repositories.ticket_files import TicketFiles

    return TicketFiles()


@cache
def receipts() -> ReceiptRepository:
    from tixpilot.repositories.receipts import ReceiptRepository

    return ReceiptRepository()


@cache
def raw_mail() -> RawMailStore:
    from tixpilot.repositories.receipts import RawMailStore

    return RawMailStore()


@cache
def crawl_requests() -> CrawlRequestRepository:
    from tixpilot.repositories.crawl_requests import CrawlRequestRepository

    return CrawlRequestRepository()


@cache
def ledger() -> LedgerRepository:
    from tixpilot.repositories.ledger import LedgerRepository

    return LedgerRepository()


@cache
def sales() -> SaleRepository:
    from tixpilot.repositories.sales import SaleRepository

    return SaleRepository()


@cache
def fulfillment_queue() -> FulfillmentQueue:
    """Stateful: it looks its queue's URL up once when the settings do not give it."""
    from tixpilot.repositories.sales import FulfillmentQueue

    return FulfillmentQueue()


@cache
def fulfillment_locks() -> FulfillmentLocks:
    from tixpilot.repositories.fulfillment import FulfillmentLocks

    return FulfillmentLocks()


@cache
def marketplace_credentials() -> MarketplaceCredentialRepository:
    """A tenant's credentials for a marketplace's own API, decrypted on read:
    `get(tenant_id, marketplace_id)`, `find_by_account(marketplace_id, account_key)`,
    `tenants_of(marketplace_id)`."""
    from tixpilot.repositories.marketplace_credentials import MarketplaceCredentialRepository

    return MarketplaceCredentialRepository(credentials_cipher())


@cache
def marketplace_polls() -> MarketplacePollRepository:
    from tixpilot.repositories.marketplace_polls import MarketplacePollRepository

    return MarketplacePollRepository()


@cache
def ion_orders() -> IonOrderRepository:
    from tixpilot.repositories.ion import IonOrderRepository

    return IonOrderRepository()


@cache
def ion_sales() -> IonSales:
    """Stateful: it looks its queue's URL up once."""
    from tixpilot.repositories.ion import IonSales

    return IonSales()


@cache
def ion_tasks() -> IonTasks:
    """Stateful: it looks its queue's URL up once."""
    from tixpilot.repositories.ion import IonTasks

    return IonTasks()


@cache
def pos_credentials() -> PosCredentialRepository:
    """A tenant's credentials for its POS's API (SkyBox), decrypted on read: `get(tenant_id, pos)`."""
    from tixpilot.adapters.kms import POS_CREDENTIALS_KEY, KmsCipher
    from tixpilot.repositories.pos_credentials import PosCredentialRepository

    return PosCredentialRepository(KmsCipher(POS_CREDENTIALS_KEY))


# --- adapters -----------------------------------------------------------------------------------


@cache
def password_cipher() -> KmsCipher:
    from tixpilot.adapters.kms import KmsCipher

    return KmsCipher()


@cache
def credentials_cipher() -> KmsCipher:
    from tixpilot.adapters.kms import MARKETPLACE_CREDENTIALS_KEY, KmsCipher

    return KmsCipher(MARKETPLACE_CREDENTIALS_KEY)


def cursor_key() -> SecretValue:
    """The key that signs page cursors (tixpilot.api.cursors)."""
    from tixpilot.adapters.secrets import SecretValue

    return SecretValue("cursor-key")


@cache
def pipeline_starter() -> StepFunctionsPipeline:
    from tixpilot.adapters.stepfunctions import StepFunctionsPipeline

    return StepFunctionsPipeline()


@cache
def fulfillment_timer() -> FulfillmentTimer:
    from tixpilot.adapters.stepfunctions import FulfillmentTimer

    return FulfillmentTimer()


@cache
def task_callbacks() -> TaskCallbacks:
    from tixpilot.adapters.stepfunctions import TaskCallbacks

    return TaskCallbacks()


@cache
def recrawl_queue() -> SqsQueue:
    """The purchases waiting to be crawled again (the pipeline's Recrawl task)."""
    from tixpilot.repositories.ion import SqsQueue

    return SqsQueue("recrawl")
