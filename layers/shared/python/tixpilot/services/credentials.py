"""API tokens and marketplace keys: random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Protocol

from tixpilot.errors import Unauthorized
from tixpilot.models.tenants import Credential, CredentialKind, IssuedCredential

_PREFIX: dict[CredentialKind, str] = {"api": "tpk_", "marketplace": "tpm_"}


class CredentialStore(Protocol):
    def get(self, token_hash: str) -> Credential | None: ...

    def put(self, token_hash: str, credential: Credential) -> None: ...


class CredentialAdmin(CredentialStore, Protocol):
    """What revoking needs besides issuing: a tenant's credentials, and deleting one."""

    def of_tenant(self, tenant_id: str) -> list[tuple[str, Credential]]: ...

    def delete(self, token_hash: str) -> None: ...


def hash_secret(secret: str) -> str:
    """SHA-256 of a token. Tokens carry 256 random bits, so a fast hash is enough to make a
    leaked table useless; a slow KDF would only add latency to every request."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_credential(
    store: CredentialStore,
    *,
    tenant_id: str,
    kind: CredentialKind,
    credential_id: str,
    marketplace_id: int | None = None,
    secret: str | None = None,
) -> IssuedCredential:
    """Create a credential and return its secret, which is not kept anywhere."""
    secret = secret or _PREFIX[kind] + secrets.token_urlsafe(32)
    credential = Credential(
        tenant_id=tenant_id,
        kind=kind,
        credential_id=credential_id,
        marketplace_id=marketplace_id,
        created=datetime.now(UTC),
    )
    store.put(hash_secret(secret), credential)
    return IssuedCredential(credential=credential, secret=secret)


def authenticate(store: CredentialStore, secret: str | None, kind: CredentialKind = "api") -> Credential:
    """The credential a presented secret stands for, or Unauthorized."""
    header = "x-api-token" if kind == "api" else "x-marketplace-key"
    if not secret or not secret.strip():
        raise Unauthorized(f"missing {header} header; send the token TixPilot issued for your account")
    credential = store.get(hash_secret(secret.strip()))
    if credential is None or credential.kind != kind:
        raise Unauthorized(f"the {header} is not valid; check it, or ask for a new one")
    return credential
