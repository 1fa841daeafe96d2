"""A client-side rate limit, so that a mail with many links does not exhaust a free quota.

Free tiers (as the services document them; a paid key allows more, so every provider takes
its own ``rate=``):

* VirusTotal public API: 4 requests per minute and 500 per day (15.5 thousand a month). The
  default ``RateLimit(4, 60)`` keeps the per-minute limit; the daily one is the service's to
  enforce (it answers HTTP 429 ``QuotaExceededError``, which becomes :class:`RateLimited`).
* urlscan.io search: per-minute, per-hour and per-day quotas that depend on the account (the
  account's quota page and the ``X-Rate-Limit-*`` headers tell them); configurable, default
  ``RateLimit(30, 60)``, the smallest per-minute search limit urlscan.io documents.
* Google Safe Browsing Lookup API (v4): a per-project daily quota set in the Google Cloud
  console; configurable, default ``RateLimit(60, 60)``.

A sliding window: at most ``calls`` calls in any ``per_seconds``. An HTTP 429 answer's
``Retry-After`` is honoured through :meth:`RateLimit.hold_off`. Clock and sleep are injected
so that tests never really wait.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from .base import RateLimited


class RateLimit:
    """At most ``calls`` calls in any window of ``per_seconds`` seconds; thread-safe."""

    def __init__(self, calls: int, per_seconds: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if calls < 1 or per_seconds <= 0:
            raise ValueError(f"a rate limit needs calls >= 1 and per_seconds > 0, not {calls}/{per_seconds}")
        self.calls = calls
        self.per_seconds = per_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._stamps: deque[float] = deque()
        self._not_before = float("-inf")

    def __repr__(self) -> str:
        return f"RateLimit({self.calls}, {self.per_seconds:g})"

    def _wait_locked(self, now: float) -> float:
        while self._stamps and self._stamps[0] <= now - self.per_seconds:
            self._stamps.popleft()
        wait = self._not_before - now
        if len(self._stamps) >= self.calls:
            wait = max(wait, self._stamps[0] + self.per_seconds - now)
        return max(wait, 0.0)

    def wait_time(self) -> float:
        """Seconds the next :meth:`acquire` would wait now (0 when a call may go at once)."""
        with self._lock:
            return self._wait_locked(self._clock())

    def acquire(self, max_wait: float | None = None) -> float:
        """Wait until a call is allowed, count it, and return the seconds waited.

        Raises :class:`RateLimited` instead of sleeping when the wait would exceed ``max_wait``
        (a quota that resets in an hour should become "skipped", not a hung analysis)."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_locked(now)
                if wait <= 0:
                    self._stamps.append(now)
                    return waited
                if max_wait is not None and waited + wait > max_wait:
                    raise RateLimited(f"rate limit ({self.calls} calls per {self.per_seconds:g} s) needs a wait of "
                                      f"{wait:.0f} s, more than the {max_wait:g} s allowed", retry_after=wait)
            self._sleep(wait)
            waited += wait

    def hold_off(self, seconds: float) -> None:
        """Allow no call for ``seconds`` from now (a service's ``Retry-After``)."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + max(seconds, 0.0))
