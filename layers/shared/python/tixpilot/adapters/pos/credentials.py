"""A tenant's POS API credentials: stored as KMS ciphertext on the tenant (repositories/
pos_credentials.py), decrypted only by the functions that call the POS.

The encryption context names tenant and POS, so a ciphertext copied onto another tenant (or
another POS) does not decrypt. Decrypted values are kept per container for as long as the stored
ciphertext is the same: one GetItem per use, one KMS call only after `pos-credentials set`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import ClientError

from tixpilot.adapters.kms import POS_CREDENTIALS_KEY, KmsCipher
from tixpilot.adapters.pos.base import PosError

# KMS refusals that trying again will not change: the ciphertext is not this key's (a key made
# anew, a ciphertext copied from elsewhere) or its context does not match.
UNREADABLE = frozenset({"InvalidCiphertextException", "IncorrectKeyException", "AccessDeniedException"})


class CiphertextStore(Protocol):
    def put(self, tenant_id: str, pos: str, ciphertext: bytes) -> bool: ...

    def get(self, tenant_id: str, pos: str) -> bytes | None: ...


class Cipher(Protocol):
    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes: ...

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str: ...


def _context(tenant_id: str, pos: str) -> dict[str, str]:
    return {"tenant_id": tenant_id, "pos": pos}


class PosCredentialVault:
    def __init__(self, store: CiphertextStore | None = None, cipher: Cipher | None = None) -> None:
        self._store = store
        self._cipher = cipher
        self._plain: dict[tuple[str, str], tuple[bytes, dict[str, str]]] = {}
        self._lock = threading.Lock()

    @property
    def store(self) -> CiphertextStore:
        if self._store is None:
            from tixpilot.repositories.pos_credentials import PosCredentialRepository

            self._store = PosCredentialRepository()
        return self._store

    @property
    def cipher(self) -> Cipher:
        if self._cipher is None:
            self._cipher = KmsCipher(POS_CREDENTIALS_KEY)
        return self._cipher

    def put(self, tenant_id: str, pos: str, values: Mapping[str, str]) -> bool:
        """Encrypt and store; False when there is no such tenant."""
        plaintext = json.dumps(dict(values), sort_keys=True)
        return self.store.put(tenant_id, pos, self.cipher.encrypt(plaintext, _context(tenant_id, pos)))

    def get(self, tenant_id: str, pos: str) -> dict[str, str] | None:
        """The tenant's credentials for the POS, or None when none are set."""
        ciphertext = self.store.get(tenant_id, pos)
        if ciphertext is None:
            return None
        key = (tenant_id, pos)
        with self._lock:
            cached = self._plain.get(key)
        if cached is not None and cached[0] == ciphertext:
            return dict(cached[1])
        try:
            values: Any = json.loads(self.cipher.decrypt(ciphertext, _context(tenant_id, pos)))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in UNREADABLE:
                raise
            raise PosError(
                f"the stored {pos} credentials cannot be decrypted ({code}); set them again with "
                f"`tixpilot pos-credentials set --tenant-id {tenant_id} --pos {pos} ...`"
            ) from exc
        plain = {str(k): str(v) for k, v in values.items()}
        with self._lock:
            self._plain[key] = (ciphertext, plain)
        return dict(plain)
