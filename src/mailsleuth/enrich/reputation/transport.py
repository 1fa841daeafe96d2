"""The HTTP side shared by the reputation providers: one httpx client, the rate limit, the
timeout, HTTP 429, and error messages that never carry the API key.

httpx is imported only when a look-up is made, so that importing mailsleuth never needs it;
without it a look-up raises :class:`~mailsleuth.enrich.providers.ProviderUnavailable`.
Redirects are not followed: an API answer that redirects is an error to report, and a
redirect must not carry the key header to another host.
"""

from __future__ import annotations

import importlib.metadata
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from ..providers import ProviderUnavailable
from .base import DEFAULT_TTL, RateLimited, ReputationAnswer, ReputationError
from .ratelimit import RateLimit

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_WAIT = 60.0  # longest wait for our own rate limit before a look-up gives up


def user_agent() -> str:
    """``mailsleuth/<version>``: services ask clients to name themselves."""
    version = getattr(sys.modules.get("mailsleuth"), "__version__", None)
    if not isinstance(version, str):
        try:
            version = importlib.metadata.version("mailsleuth")
        except importlib.metadata.PackageNotFoundError:
            version = "0"
    return f"mailsleuth/{version}"


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from a 429 answer: ``Retry-After`` (seconds or an HTTP date), else
    urlscan.io's ``X-Rate-Limit-Reset-After``; None when the answer says nothing."""
    for name in ("retry-after", "x-rate-limit-reset-after"):
        value = (headers.get(name) or "").strip()
        if not value:
            continue
        try:
            return max(float(value), 0.0)
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
    return None


def error_text(payload: Any) -> str:
    """The short error a service put in its JSON body: VirusTotal's ``error.code``, Google's
    ``error.status: error.message``, urlscan.io's ``message``."""
    if not isinstance(payload, dict):
        return ""
    err = payload.get("error")
    if isinstance(err, dict):
        code = err.get("status") or err.get("code") or ""
        message = err.get("message") or ""
        return ": ".join(str(p) for p in (code, message) if p)[:200]
    message = payload.get("message") or payload.get("description") or ""
    return str(message)[:200]


class HttpProvider:
    """Base of the reputation providers: holds the key, base URL, client, timeout and limit.

    ``client`` may be a caller's ``httpx.Client`` (proxies, certificates); it is never closed
    here and the key is sent per request, never stored in it. ``max_wait`` is how long a
    look-up may wait for the rate limit before raising :class:`RateLimited`."""

    name = ""
    default_base_url = ""
    default_rate: tuple[int, float] = (60, 60.0)

    def __init__(self, api_key: str, base_url: str | None = None, client: httpx.Client | None = None,
                 timeout: float = DEFAULT_TIMEOUT, rate: RateLimit | None = None,
                 max_wait: float | None = DEFAULT_MAX_WAIT, ttl: int | None = DEFAULT_TTL) -> None:
        if not api_key.strip():
            raise ValueError(f"{self.name}: an API key is needed")
        base = (base_url or self.default_base_url).strip()
        self._api_key = api_key.strip()
        self.base_url = base if base.endswith("/") else base + "/"
        self.timeout = timeout
        self.rate = rate if rate is not None else RateLimit(*self.default_rate)
        self.max_wait = max_wait
        self.ttl = ttl
        self._client = client
        self._own_client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, timeout={self.timeout:g}, rate={self.rate!r})"

    def lookup(self, url: str, host: str, registrable_domain: str) -> list[ReputationAnswer]:
        raise NotImplementedError

    @property
    def source(self) -> str:
        return f"{self.name}:{self.base_url}"

    def close(self) -> None:
        """Close the client this provider opened (a caller's client stays open)."""
        with self._lock:
            if self._own_client is not None:
                self._own_client.close()
                self._own_client = None

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***")

    def _http(self) -> httpx.Client:
        if self._client is not None:
            return self._client
        with self._lock:
            if self._own_client is None:
                try:
                    import httpx
                except ImportError:
                    raise ProviderUnavailable("the httpx package is not installed (pip install httpx)") from None
                self._own_client = httpx.Client(headers={"User-Agent": user_agent()}, follow_redirects=False,
                                                timeout=self.timeout)
            return self._own_client

    def _request(self, method: str, path: str, *, headers: Mapping[str, str],
                 params: Mapping[str, str] | None = None, json: Any = None) -> httpx.Response:
        """Send one request within the rate limit; 429 -> :class:`RateLimited` (and the
        limiter holds off for its Retry-After); no answer -> :class:`ReputationError`."""
        client = self._http()
        import httpx

        try:
            self.rate.acquire(self.max_wait)
        except RateLimited as exc:
            raise RateLimited(f"{self.name}: {exc}", exc.retry_after) from None
        try:
            response = client.request(method, self.base_url + path, headers={"User-Agent": user_agent(), **headers},
                                      params=params, json=json, timeout=self.timeout)
        except httpx.TimeoutException:
            raise ReputationError(f"{self.name}: no answer from {self.base_url} within {self.timeout:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ReputationError(self._redact(f"{self.name}: cannot ask {self.base_url}: "
                                               f"{type(exc).__name__}: {exc}")) from None
        if response.status_code == 429:
            wait = retry_after(response.headers)
            self.rate.hold_off(wait if wait is not None else self.rate.per_seconds)
            after = f"; retry after {wait:.0f} s" if wait is not None else ""
            raise RateLimited(self._redact(f"{self.name}: HTTP 429 {error_text(_json_or_none(response))}{after}"),
                              wait)
        return response

    def _fail(self, response: httpx.Response) -> ReputationError:
        """The error for an HTTP status the provider does not expect (401 bad key, 5xx ...)."""
        text = error_text(_json_or_none(response)) or response.reason_phrase
        return ReputationError(self._redact(f"{self.name}: HTTP {response.status_code} {text}".rstrip()))

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        payload = _json_or_none(response)
        if not isinstance(payload, dict):
            raise ReputationError(f"{self.name}: the answer (HTTP {response.status_code}) is not a JSON object")
        return payload


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
