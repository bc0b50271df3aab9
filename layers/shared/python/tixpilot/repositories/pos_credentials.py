"""A tenant's POS API credentials (SkyBox's account id and tokens), encrypted at rest.

One binary attribute per POS on the tenant's own item (`pos_credentials_<pos>`): the KMS
ciphertext of the credentials as a JSON object, its encryption context naming the tenant and the
POS, so a ciphertext copied onto another tenant (or POS) does not decrypt. The functions that
call the POS already read the tenant; only those allowed to decrypt with the `pos-credentials`
key can read the credentials. The tenant model does not declare the attribute, so it never
reaches an API answer.

The cipher is given, not built here (repositories sit below the adapters): anything with
`encrypt(plaintext, context)` and `decrypt(ciphertext, context)`, i.e. `adapters.kms.KmsCipher`.
Decrypted values are kept per container while the stored ciphertext stays the same: one GetItem
per use, one KMS call only after the credentials were set again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import ClientError

from tixpilot.errors import Unprocessable
from tixpilot.repositories.dynamo import Table

# KMS refusals that trying again will not change: the ciphertext is not this key's (a key made
# anew, a ciphertext copied from elsewhere) or its context does not match.
UNREADABLE = frozenset({"InvalidCiphertextException", "IncorrectKeyException", "AccessDeniedException"})


class Cipher(Protocol):
    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes: ...

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str: ...


def attribute(pos: str) -> str:
    return f"pos_credentials_{pos}"


def encryption_context(tenant_id: str, pos: str) -> dict[str, str]:
    return {"purpose": "pos-credentials", "tenant_id": tenant_id, "pos": pos}


class PosCredentialRepository:
    def __init__(self, cipher: Cipher, client: Any | None = None) -> None:
        self.cipher = cipher
        self.table = Table("tenants", client)
        self._plain: dict[tuple[str, str], tuple[bytes, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def put(self, tenant_id: str, pos: str, credentials: Mapping[str, str]) -> bool:
        """Encrypt and store (replacing what was there); False when there is no such tenant."""
        plaintext = json.dumps(dict(credentials), sort_keys=True)
        ciphertext = self.cipher.encrypt(plaintext, encryption_context(tenant_id, pos))
        client = self.table.client
        try:
            client.update_item(
                TableName=self.table.name,
                Key={"tenant_id": {"S": tenant_id}},
                UpdateExpression="SET #c = :c",
                ConditionExpression="attribute_exists(tenant_id)",
                ExpressionAttributeNames={"#c": attribute(pos)},
                ExpressionAttributeValues={":c": {"B": ciphertext}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, tenant_id: str, pos: str) -> dict[str, str] | None:
        """The tenant's credentials for the POS (decrypted), or None when none are set.
        Unprocessable when the stored ones no longer decrypt (they must be set again)."""
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key={"tenant_id": {"S": tenant_id}},
            ProjectionExpression="#c",
            ExpressionAttributeNames={"#c": attribute(pos)},
        ).get("Item")
        if not item or attribute(pos) not in item:
            return None
        ciphertext = bytes(item[attribute(pos)]["B"])
        with self._lock:
            cached = self._plain.get((tenant_id, pos))
        if cached is not None and cached[0] == ciphertext:
            return dict(cached[1])
        try:
            plaintext = self.cipher.decrypt(ciphertext, encryption_context(tenant_id, pos))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in UNREADABLE:
                raise
            raise Unprocessable(
                f"the stored {pos} credentials cannot be decrypted ({code}); set them again with "
                f"`tixpilot pos-credentials set --tenant-id {tenant_id} --pos {pos} ...`"
            ) from exc
        plain = {str(k): str(v) for k, v in json.loads(plaintext).items()}
        with self._lock:
            self._plain[(tenant_id, pos)] = (ciphertext, plain)
        return dict(plain)
