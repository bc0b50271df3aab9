"""The one HTTP client of the adapters that call outside APIs (marketplaces, SkyBox), with its
retry policy.

urllib3 (already in every Lambda Python runtime, as boto3's transport) does the requests and its
`Retry` the retrying: connection errors, timeouts and the transient statuses (408, 425, 429,
500, 502, 503, 504) are tried again, up to `retries` times, waiting an exponentially growing,
randomly jittered time in between (urllib3's first retry is immediate), or what a Retry-After
header asks (capped). Whatever is still failing then becomes the caller's error (an `HttpError`
unless the client was given another factory): transient for those statuses and for no answer
at all, permanent for any other 4xx.

A request is `repeatable` unless the caller says otherwise: sending it twice does no harm (a read,
or a write the API itself deduplicates, as the marketplaces' writes that name the order). A
request that is not (SkyBox's POST /purchases makes a new PO each time) is only sent again when
the server surely did not act on it: the connection was never made, or it answered 429 or 503.
A timeout or another 5xx after it was sent is reported as transient with the outcome unknown;
the caller finds out what happened before trying again (SkyBox: a search by external reference).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3
from urllib3.util.retry import Retry

USER_AGENT = "TixPilot/0.1 (+https://github.com/tixpilot)"
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# The server refused to act on the request (rate limit, unavailable): any request may be repeated.
REFUSED_STATUSES = frozenset({429, 503})
BACKOFF_CAP_S = 8.0  # no single wait longer than this, Retry-After included
CONNECT_TIMEOUT_S = 5.0
POOL_SIZE = 8  # connections kept per host


class HttpError(Exception):
    """A call failed. `transient`: the same call may succeed later; otherwise it will not until
    something changes (credentials, our request). `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None, service: str = ""):
        super().__init__(f"{service}: {message}" if service else message)
        self.message = message
        self.transient = transient
        self.status = status
        self.service = service


# (message, transient, status) -> the exception the client raises
ErrorFactory = Callable[[str, bool, "int | None"], Exception]


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
    # how the client that received it reports a failure (for a body that is not JSON)
    error: ErrorFactory | None = field(default=None, repr=False, compare=False)

    def json(self, service: str = "") -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            message = f"answered {self.status} with a body that is not JSON: {self.body[:200]!r}"
            if self.error is not None:
                raise self.error(message, True, self.status) from exc
            raise HttpError(message, transient=True, status=self.status, service=service) from exc


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


class RetryingHttp:
    """Requests to one outside service. `retries` and `backoff_s` (the exponential step) are the
    policy; tests make them small. One connection pool per instance, reused across requests.
    `error` makes the exception raised for a failure (default: HttpError naming `service`)."""

    def __init__(
        self,
        service: str,
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        timeout_s: float = 15.0,
        pool: urllib3.PoolManager | None = None,
        error: ErrorFactory | None = None,
    ) -> None:
        self.service = service
        self._error: ErrorFactory = error or (
            lambda message, transient, status: HttpError(
                message, transient=transient, status=status, service=service
            )
        )
        common: dict[str, Any] = {
            "total": retries,
            "allowed_methods": None,  # every method: what may be repeated is decided per request
            "backoff_factor": backoff_s,
            "raise_on_status": False,
            "respect_retry_after_header": True,
            "redirect": False,
        }
        self._retry = _JitteredRetry(status_forcelist=TRANSIENT_STATUSES, **common)
        # Not repeatable: again only when it was never sent, or the server refused it.
        self._retry_once = _JitteredRetry(
            status_forcelist=REFUSED_STATUSES, connect=retries, read=0, other=0, **common
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
        repeatable: bool = True,
    ) -> HttpResponse:
        """The answer when its status is 2xx; otherwise the client's error whose message is
        `describe(answer)` (the service's own words) or the status and the body's start."""
        all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = body.content_type
        try:
            raw = self._pool.request(
                method,
                url,
                body=body.content if body is not None else None,
                headers=all_headers,
                retries=self._retry if repeatable else self._retry_once,
                timeout=self._timeout,
                redirect=False,
            )
        except urllib3.exceptions.MaxRetryError as exc:
            raise self._error(
                f"{method} {_path(url)} got no answer after retries: {exc.reason}", True, None
            ) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise self._error(f"{method} {_path(url)} failed: {exc}", True, None) from exc
        response = HttpResponse(
            raw.status,
            raw.data,
            {name.lower(): value for name, value in raw.headers.items()},
            self._error,
        )
        if 200 <= response.status < 300:
            return response
        detail = (describe(response) if describe else "") or response.body[:300].decode("utf-8", "replace")
        raise self._error(
            f"{method} {_path(url)} answered {response.status}: {detail}",
            response.status in TRANSIENT_STATUSES,
            response.status,
        )


def _path(url: str) -> str:
    """The URL's path: no query (it may carry a token, as Vivid's does), no scheme and host (the
    message names the service already)."""
    return urlsplit(url).path or "/"
