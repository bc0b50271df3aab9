"""Ticket PDFs in S3, handed out as presigned URLs (the local stack presigns against moto)."""

from __future__ import annotations

from typing import Any

from tixpilot import aws
from tixpilot.settings import get_settings

URL_LIFETIME_S = 3600


def pdf_key(tenant_id: str, rid: int, seatnumber: str) -> str:
    """Where a seat's PDF is kept: under the tenant, so a key never crosses tenants."""
    return f"{tenant_id}/{rid}/{seatnumber}.pdf"


class TicketFiles:
    def __init__(self, client: Any | None = None, bucket: str | None = None) -> None:
        self._client = client
        self.bucket = bucket or get_settings().bucket_name("ticket-pdfs")

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("s3")
        return self._client

    def put(self, key: str, pdf: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=pdf, ContentType="application/pdf")

    def url(self, key: str) -> str:
        """A GET URL valid for an hour; signing is local, no request is made."""
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=URL_LIFETIME_S
            )
        )

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
