"""Connecting a tenant's resale marketplace account: the credentials TixPilot calls that
marketplace's own API with (`tixpilot marketplace-credentials set`).

They are checked against the adapter's `required_credentials`, stored encrypted, and never
answered back. For a marketplace whose webhooks are registered through its API (StubHub),
setting the credentials registers TixPilot's webhook URL with a random Authorization value of
ours, kept with the credentials: the marketplace echoes it in every delivery, which is how the
webhook route knows the delivery is genuine and whose it is.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from tixpilot.adapters.marketplaces.base import WEBHOOK_CREDENTIAL, MarketplaceAdapter, MarketplaceError
from tixpilot.errors import InvalidParameter, NotFound, Unavailable
from tixpilot.models.tenants import Tenant

# Kept with a registered webhook's credentials; TixPilot writes them, a tenant never gives them.
WEBHOOK_ID = "webhook_id"
WEBHOOK_URL = "webhook_url"
MANAGED_KEYS = frozenset({WEBHOOK_CREDENTIAL, WEBHOOK_ID, WEBHOOK_URL})
# KMS encrypts at most 4 KiB; credentials are a few tokens.
MAX_CREDENTIALS_BYTES = 2048


class CredentialStore(Protocol):
    def get(self, tenant_id: str, marketplace_id: int) -> dict[str, str] | None: ...

    def put(
        self, tenant_id: str, marketplace_id: int, credentials: Mapping[str, str], account_key: str
    ) -> None: ...


class TenantSource(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...


@dataclass(frozen=True)
class SellerDeps:
    store: CredentialStore
    tenants: TenantSource
    adapter_for: Callable[[int], MarketplaceAdapter | None]


@dataclass(frozen=True)
class CredentialsSet:
    tenant_id: str
    marketplace_id: int
    webhook_url: str | None = None  # the URL the marketplace calls, where TixPilot registered one
    webhook_registered: bool = False  # False with a webhook_url: the earlier registration was kept


def webhook_url(base_url: str, adapter: MarketplaceAdapter) -> str:
    """The URL a marketplace's webhooks reach TixPilot at: `<base>/webhooks/<name>`."""
    return f"{base_url.rstrip('/')}/webhooks/{adapter.name}"


def set_credentials(
    deps: SellerDeps,
    tenant_id: str,
    marketplace_id: int,
    given: object,
    *,
    webhook_base_url: str,
    register_webhook: bool = False,
    new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(32),
) -> CredentialsSet:
    """Check and store a tenant's credentials for a marketplace with a native adapter.

    Where the marketplace registers webhooks through its API, the webhook is registered on the
    first `set`, and again when the URL changed or `register_webhook` asks (a new account);
    otherwise the earlier registration is kept, so renewing a token does not add a webhook."""
    if deps.tenants.get(tenant_id) is None:
        raise NotFound(f"no tenant {tenant_id}; create it with `tixpilot tenant create`")
    adapter = deps.adapter_for(marketplace_id)
    if adapter is None:
        raise InvalidParameter(
            "marketplace_id",
            f"resale marketplace {marketplace_id} has no native adapter (StubHub 1, Vivid Seats 4, "
            "Ticket Evolution 1001); other marketplaces call TixPilot with a key from "
            "`tixpilot marketplace-key create`",
        )
    credentials = validated_credentials(adapter, given)
    result = CredentialsSet(tenant_id, marketplace_id)
    if adapter.registers_webhooks:
        webhook, registered = _webhook(
            deps, adapter, tenant_id, credentials, webhook_base_url, register_webhook, new_secret
        )
        credentials.update(webhook)
        result = CredentialsSet(tenant_id, marketplace_id, webhook[WEBHOOK_URL], registered)
    deps.store.put(tenant_id, marketplace_id, credentials, adapter.account_key(credentials))
    return result


def validated_credentials(adapter: MarketplaceAdapter, given: object) -> dict[str, str]:
    """The credentials as the adapter takes them (a mapping of strings), or InvalidParameter
    naming what is wrong: not an object, a value that is not text, a missing key."""
    example = json.dumps({key: "..." for key in sorted(adapter.required_credentials)})
    if not isinstance(given, dict):
        raise InvalidParameter("json", f"{adapter.name} credentials are a JSON object, e.g. {example}")
    credentials: dict[str, str] = {}
    for key, value in given.items():
        if key in MANAGED_KEYS:
            raise InvalidParameter(
                "json", f"{key} is written by TixPilot when it registers the webhook; leave it out"
            )
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # an id given as a number, e.g. TEvo's reviewer_id
        if not isinstance(value, str):
            raise InvalidParameter("json", f"{key}: a string, not {json.dumps(value)}")
        if value.strip():
            credentials[str(key)] = value.strip()
    missing = sorted(adapter.required_credentials - credentials.keys())
    if missing:
        raise InvalidParameter(
            "json",
            f"{adapter.name} credentials need {', '.join(missing)} (required: "
            f"{', '.join(sorted(adapter.required_credentials))}), e.g. {example}",
        )
    if len(json.dumps(credentials).encode()) > MAX_CREDENTIALS_BYTES:
        raise InvalidParameter("json", f"the credentials are over {MAX_CREDENTIALS_BYTES} bytes")
    return credentials


def _webhook(
    deps: SellerDeps,
    adapter: MarketplaceAdapter,
    tenant_id: str,
    credentials: Mapping[str, str],
    base_url: str,
    force: bool,
    new_secret: Callable[[], str],
) -> tuple[dict[str, str], bool]:
    """The webhook keys to store with the credentials, and whether a webhook was registered now."""
    if not base_url:
        raise InvalidParameter(
            "webhook_base_url",
            f"TIXPILOT_WEBHOOK_BASE_URL is not set: {adapter.name} needs the URL of TixPilot's API "
            "to send its sales to (e.g. https://api.example.com)",
        )
    url = webhook_url(base_url, adapter)
    previous = deps.store.get(tenant_id, adapter.marketplace_id) or {}
    if not force and previous.get(WEBHOOK_URL) == url and previous.get(WEBHOOK_CREDENTIAL):
        return {key: previous[key] for key in MANAGED_KEYS if key in previous}, False
    authorization = new_secret()
    try:
        webhook_id = adapter.register_webhook(credentials, url, authorization)
    except MarketplaceError as error:
        if error.transient:
            raise Unavailable(
                f"{adapter.name} did not take the webhook registration ({error.message}); try again"
            ) from error
        raise InvalidParameter(
            "json", f"{adapter.name} refused to register the webhook with these credentials: {error.message}"
        ) from error
    return {WEBHOOK_CREDENTIAL: authorization, WEBHOOK_ID: webhook_id, WEBHOOK_URL: url}, True
