"""Page cursors as clients see them: the endpoint's own token, signed.

A cursor is `<token>.<mac>`: the token the endpoint encodes (where the next page starts, never
the tenant) and an HMAC-SHA256 over the endpoint, the tenant and the token, with the key the
stack keeps in Secrets Manager (`tixpilot-<env>-cursor-key`). A cursor edited by hand, made up,
or taken from another tenant or endpoint is a 400 before any read; the tenant's own key
conditions already kept a cursor inside its tenant, the signature keeps it to what we issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from tixpilot.api.app import tenant_id
from tixpilot.wiring import components

BAD_CURSOR = "cursor is not one this API returned; pass the `cursor` of the previous page"
_MAC_BYTES = 16  # 128 bits


def _mac(key: bytes, endpoint: str, tenant: str, token: str) -> str:
    digest = hmac.new(key, f"{endpoint}\n{tenant}\n{token}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")


def seal(endpoint: str, token: str | None, *, key: bytes, tenant: str) -> str | None:
    if token is None:
        return None
    return f"{token}.{_mac(key, endpoint, tenant, token)}"


def unseal(endpoint: str, cursor: str, *, key: bytes, tenant: str) -> str:
    """The token of a cursor we issued to this tenant for this endpoint; ValueError otherwise."""
    token, dot, mac = cursor.strip().rpartition(".")
    if not dot or not token or not hmac.compare_digest(mac, _mac(key, endpoint, tenant, token)):
        raise ValueError(BAD_CURSOR)
    return token


def sign(endpoint: str, token: str | None) -> str | None:
    """The cursor to hand out for the authenticated tenant (None stays None: the last page, which
    needs no key, so a first page that is also the last reads no secret)."""
    if token is None:
        return None
    return seal(endpoint, token, key=components.cursor_key().get(), tenant=tenant_id())


def verify(endpoint: str, cursor: str) -> str:
    """The token inside a cursor handed out to the authenticated tenant; ValueError otherwise."""
    return unseal(endpoint, cursor, key=components.cursor_key().get(), tenant=tenant_id())
