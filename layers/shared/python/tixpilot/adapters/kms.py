"""KMS envelope for secrets TixPilot must keep but never show: primary account passwords,
tenants' credentials for the resale marketplaces' own APIs and for their POS's API (each under
its own key)."""

from __future__ import annotations

from typing import Any

from tixpilot import aws
from tixpilot.settings import get_settings

ACCOUNT_PASSWORDS_KEY = "account-passwords"
POS_CREDENTIALS_KEY = "pos-credentials"
MARKETPLACE_CREDENTIALS_KEY = "marketplace-credentials"


class KmsCipher:
    """Encrypts and decrypts small secrets under one KMS key, found by its alias.

    The encryption context binds a ciphertext to what it belongs to (tenant and account): a
    ciphertext copied onto another account does not decrypt.
    """

    def __init__(self, purpose: str = ACCOUNT_PASSWORDS_KEY, client: Any | None = None) -> None:
        self.key_id = get_settings().key_alias(purpose)
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("kms")
        return self._client

    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes:
        response = self.client.encrypt(
            KeyId=self.key_id, Plaintext=plaintext.encode(), EncryptionContext=context
        )
        return bytes(response["CiphertextBlob"])

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str:
        response = self.client.decrypt(
            KeyId=self.key_id, CiphertextBlob=ciphertext, EncryptionContext=context
        )
        return bytes(response["Plaintext"]).decode()
