"""Ticket files in S3 (PDFs, and screenshots of mobile tickets), handed out as presigned URLs
(the local stack presigns against moto). Keys start with the tenant id, so a key never crosses
tenants: `<tenant>/<rid>/<seat>.<ext>` for what the crawl found on the primary,
`<tenant>/deliveries/<marketplaceid>/<orderid>/<seat>.<ext>` for what a sale delivered."""

from __future__ import annotations

from typing import Any

from tixpilot import aws
from tixpilot.models.marketplaces import file_type
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
        self.client.put_object(Bucket=self.bucket, Key=key, Body=pdf, ContentType=file_type(pdf)[1])

    def store(self, tenant_id: str, rid: int, seat: str, content: bytes) -> str:
        """Keep a seat's ticket file as the primary gave it; answers its key."""
        extension, content_type = file_type(content)
        key = f"{tenant_id}/{rid}/{_safe(seat)}.{extension}"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=content, ContentType=content_type)
        return key

    def store_delivered(
        self, tenant_id: str, marketplace_id: int, order_id: str, seat: str, content: bytes
    ) -> str:
        """Keep a file as a sale delivered it (what the marketplace reads stays what was
        delivered, whatever happens to the purchase's files later); answers its key."""
        extension, content_type = file_type(content)
        key = f"{tenant_id}/deliveries/{marketplace_id}/{_safe(order_id)}/{_safe(seat)}.{extension}"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=content, ContentType=content_type)
        return key

    def url(self, key: str) -> str:
        """A GET URL valid for an hour; signing is local, no request is made."""
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=URL_LIFETIME_S
            )
        )

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())


def _safe(part: str) -> str:
    """A key segment: no '/' (a seat or order id never opens another folder)."""
    return part.replace("/", "_")
