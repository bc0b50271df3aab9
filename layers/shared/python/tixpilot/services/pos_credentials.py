"""POS API credentials of a tenant (`tixpilot pos-credentials set`): checked against the POS table,
stored encrypted, never shown again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from tixpilot.errors import InvalidParameter, NotFound
from tixpilot.models.pos import WITH_CREDENTIALS


class CredentialStore(Protocol):
    def put(self, tenant_id: str, pos: str, credentials: Mapping[str, str]) -> bool: ...


def set_pos_credentials(store: CredentialStore, tenant_id: str, pos: str, values: Mapping[str, str]) -> None:
    """Store the credentials TixPilot calls `pos` with for this tenant, replacing any before."""
    spec = WITH_CREDENTIALS.get(pos)
    if spec is None:
        raise InvalidParameter(
            "pos", f"pos {pos!r} takes no credentials; one of: {', '.join(sorted(WITH_CREDENTIALS))}"
        )
    given = {key: (values.get(key) or "").strip() for key in spec.credentials}
    missing = [key for key, value in given.items() if not value]
    if missing:
        options = ", ".join("--" + key.replace("_", "-") for key in missing)
        raise InvalidParameter(missing[0], f"{spec.title} needs {options}")
    unknown = sorted(set(values) - set(spec.credentials))
    if unknown:
        raise InvalidParameter(unknown[0], f"{spec.title} takes only {', '.join(spec.credentials)}")
    if not store.put(tenant_id, pos, given):
        raise NotFound(f"no tenant {tenant_id}")
