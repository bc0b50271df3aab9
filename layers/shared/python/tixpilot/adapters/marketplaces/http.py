"""The one HTTP client of the marketplace adapters, with their retry policy.

urllib3 (already in every Lambda Python runtime, as boto3's transport) does the requests and its
`Retry` the retrying: connection errors, timeouts and the transient statuses (408, 425, 429,
500, 502, 503, 504) are tried again, up to `retries` times, waiting an exponentially growing,
randomly jittered time in between (urllib3's first retry is immediate), or what a Retry-After
header asks (capped). Whatever is still failing then becomes a `MarketplaceError`: transient for
those statuses and for no answer at all, permanent for any other 4xx.

Every method is retried, writes too: the adapters' writes name the order, and each adapter treats
"already confirmed" / "already rejected" as done, so a repeat cannot do harm.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import urllib3
from urllib3.util.retry import Retry

from tixpilot.adapters.marketplaces.base import MarketplaceError

USER_AGENT = "TixPilot/0.1 (+https://github.com/tixpilot)"
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
BACKOFF_CAP_S = 8.0  # no single wait longer than this, Retry-After included
CONNECT_TIMEOUT_S = 5.0
POOL_SIZE = 8  # connections kept per host


class _JitteredRetry(Retry):
    """urllib3's Retry with full jitter (a uniform draw up to the exponential delay, so clients
    that failed together do not retry together) and every wait capped at BACKOFF_CAP_S. Works
    with urllib3 1.26 (older Lambda runtimes) and 2.x alike."""

    def get_backoff_time(self) -> float:
        delay = min(super().get_backoff_time(), BACKOFF_CAP_S)
        return random.uniform(0, delay) if delay > 0 else 0.0

    def get_retry_after(self, response: Any) -> float | None:
        after = super().get_retry_after(response)
        return None if after is None else min(after, BACKOFF_CAP_S)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names

    def json(self, marketplace: str) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise MarketplaceError(
                f"answered {self.status} with a body that is not JSON: {self.body[:200]!r}",
                transient=True,
                status=self.status,
                marketplace=marketplace,
            ) from exc


@dataclass(frozen=True)
class Body:
    """A request body with its content type."""

    content: bytes
    content_type: str

    @classmethod
    def of_json(cls, value: Any) -> Body:
        return cls(json.dumps(value, separators=(",", ":")).encode(), "application/json")

    @classmethod
    def of_form(cls, fields: Sequence[tuple[str, str]]) -> Body:
        return cls(urlencode(list(fields)).encode(), "application/x-www-form-urlencoded")

    @classmethod
    def of_multipart(cls, fields: Sequence[tuple[str, Any]]) -> Body:
        """Form fields and files: a file is (filename, bytes, content type)."""
        content, content_type = urllib3.encode_multipart_formdata(list(fields))
        return cls(content, content_type)


class MarketplaceHttp:
    """Requests to one marketplace. `retries` and `backoff_s` (the exponential step) are the
    policy; tests make them small. One connection pool per instance, reused across requests."""

    def __init__(
        self,
        marketplace: str,
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        timeout_s: float = 15.0,
        pool: urllib3.PoolManager | None = None,
    ) -> None:
        self.marketplace = marketplace
        self._retry = _JitteredRetry(
            total=retries,
            status_forcelist=TRANSIENT_STATUSES,
            allowed_methods=None,  # every method (see the module docstring)
            backoff_factor=backoff_s,
            raise_on_status=False,
            respect_retry_after_header=True,
            redirect=False,
        )
        self._timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=timeout_s)
        # Several connections per host: the poller calls one marketplace from several threads,
        # and urllib3's default of one would open (and discard) a connection per extra request.
        self._pool = pool or urllib3.PoolManager(headers={"User-Agent": USER_AGENT}, maxsize=POOL_SIZE)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: Body | None = None,
        describe: Callable[[HttpResponse], str] | None = None,
    ) -> HttpResponse:
        """The answer when its status is 2xx; otherwise a MarketplaceError whose message is
        `describe(answer)` (the marketplace's own words) or the status and the body's start."""
        all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = body.content_type
        try:
            raw = self._pool.request(
                method,
                url,
                body=body.content if body is not None else None,
                headers=all_headers,
                retries=self._retry,
                timeout=self._timeout,
                redirect=False,
            )
        except urllib3.exceptions.MaxRetryError as exc:
            raise MarketplaceError(
                f"{method} {_path(url)} got no answer after retries: {exc.reason}",
                transient=True,
                marketplace=self.marketplace,
            ) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise MarketplaceError(
                f"{method} {_path(url)} failed: {exc}", transient=True, marketplace=self.marketplace
            ) from exc
        response = HttpResponse(
            raw.status, raw.data, {name.lower(): value for name, value in raw.headers.items()}
        )
        if 200 <= response.status < 300:
            return response
        detail = (describe(response) if describe else "") or response.body[:300].decode("utf-8", "replace")
        raise MarketplaceError(
            f"{method} {_path(url)} answered {response.status}: {detail}",
            transient=response.status in TRANSIENT_STATUSES,
            status=response.status,
            marketplace=self.marketplace,
        )


def _path(url: str) -> str:
    """The URL without its query (which may carry a token, as Vivid's does)."""
    return url.split("?", 1)[0]
