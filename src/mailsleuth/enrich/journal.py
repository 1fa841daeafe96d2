"""Every answer of a run, kept: to reuse (a SQLite cache with TTLs) and to replay (an evidence bundle).

All look-ups of the enrichment layer - geo-IP, ASN, feed matches, DNS, RDAP/WHOIS, reputation
services - go through one :class:`Journal`. It plays three roles:

* **record** (always): every question and its answer (or the failure, word for word) is kept in
  order, so that ``mailsleuth analyze --bundle out.json`` can write them next to the mail;
* **cache** (online runs, unless switched off): answers that carry a ``ttl`` are stored in an
  :class:`AnswerCache` (SQLite) and reused until they expire, so a batch does not ask a
  registry or a rate-limited reputation service twice about the same domain;
* **replay** (``mailsleuth report --from-bundle``): answers come only from the bundle, nothing
  is asked, and a question the bundle does not hold is answered "skipped, because ..." - so the
  same mail with the same answers gives the same report, byte for byte, on any machine.

Answers are stored as the ``to_dict()`` of the provider's answer type and rebuilt with a
decoder the caller passes, so this module knows no provider. A failure is stored as its message
and replayed as a :class:`RecordedFailure` (or :class:`~.providers.ProviderUnavailable`) carrying
the same message, so the "skipped, because ..." sentences of a replayed report do not change.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .providers import ProviderUnavailable, now_iso

T = TypeVar("T")
Encoded = Any  # JSON-compatible value: the answer's to_dict(), a list of them, or None


class RecordedFailure(Exception):
    """A look-up that failed when the bundle was recorded; ``str()`` is the reason as it was shown."""


class NotRecorded(ProviderUnavailable):
    """Replay: the bundle holds no answer for this question."""


@dataclass(frozen=True, slots=True)
class Entry:
    provider: str
    kind: str  # "geo", "asn", "feed", "dns", "rdap-domain", "rdap-ip", "reputation", ...
    key: str
    answer: Encoded = None
    failure: str = ""  # the message of the exception, when the look-up failed
    unavailable: bool = False  # the failure was ProviderUnavailable (the provider cannot answer at all)
    cached: bool = False  # reused from the answer cache rather than asked

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"provider": self.provider, "kind": self.kind, "key": self.key, "answer": self.answer}
        if self.failure:
            out["failure"] = self.failure
            out["unavailable"] = self.unavailable
        if self.cached:
            out["cached"] = True
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        return cls(provider=str(d["provider"]), kind=str(d["kind"]), key=str(d["key"]), answer=d.get("answer"),
                   failure=str(d.get("failure", "")), unavailable=bool(d.get("unavailable", False)),
                   cached=bool(d.get("cached", False)))


class AnswerCache:
    """Answers with a TTL, kept in SQLite between runs (``~/.cache/mailsleuth/answers.sqlite``).

    Only successful answers are cached, and only until ``stored + ttl``: a failure (a time-out)
    is asked again next time. Safe to share between the threads of one process.
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")  # readers (other runs) do not block the writer
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (provider TEXT, kind TEXT, key TEXT, answer TEXT,"
                         " expires REAL, PRIMARY KEY (provider, kind, key))")
        self._db.commit()

    def get(self, provider: str, kind: str, key: str) -> tuple[bool, Encoded]:
        """(True, answer) for a fresh entry, (False, None) otherwise."""
        with self._lock:
            row = self._db.execute("SELECT answer, expires FROM answers WHERE provider=? AND kind=? AND key=?",
                                   (provider, kind, key)).fetchone()
        if row is None or row[1] <= self._clock():
            return False, None
        return True, json.loads(row[0])

    def put(self, provider: str, kind: str, key: str, answer: Encoded, ttl: int) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                             (provider, kind, key, json.dumps(answer, ensure_ascii=False), self._clock() + ttl))
            self._db.commit()

    def purge(self) -> int:
        """Drop expired entries; how many went."""
        with self._lock:
            cur = self._db.execute("DELETE FROM answers WHERE expires <= ?", (self._clock(),))
            self._db.commit()
            return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Journal:
    """The answers of one message's analysis (see the module docstring for the three roles)."""

    def __init__(self, *, cache: AnswerCache | None = None, replay: list[Entry] | None = None,
                 now: str | None = None) -> None:
        """``now``: the time of the analysis (ISO 8601, UTC), stamped on results computed from the
        answers (DKIM, SPF, DMARC verdicts); a replay passes the recorded one."""
        self.now = now or now_iso()
        self.cache = cache
        self.replaying = replay is not None
        self._replay = {(e.provider, e.kind, e.key): e for e in replay or ()}
        self._entries: dict[tuple[str, str, str], Entry] = {}
        self._lock = threading.Lock()
        self._closed = False

    def ask(self, provider: str, kind: str, key: str, fn: Callable[[], T],
            encode: Callable[[T], Encoded], decode: Callable[[Encoded], T],
            ttl: Callable[[T], int | None] = lambda _a: None) -> T:
        """``fn()``'s answer - live, cached or replayed - recorded under (provider, kind, key).

        Raises what ``fn`` raised (live), or :class:`RecordedFailure` / ``ProviderUnavailable``
        with the recorded message (replay), or :class:`NotRecorded` (replay, question unknown)."""
        ident = (provider, kind, key)
        if self.replaying:
            entry = self._replay.get(ident)
            if entry is None:
                raise NotRecorded("skipped, because the evidence bundle holds no answer to this question")
            self._keep(entry)
            return self._decode(entry, decode)
        if self.cache is not None:
            hit, cached = self.cache.get(*ident)
            if hit:
                self._keep(Entry(provider, kind, key, cached, cached=True))
                return decode(cached)
        try:
            answer = fn()
        except ProviderUnavailable as exc:
            self._keep(Entry(provider, kind, key, None, failure=str(exc), unavailable=True))
            raise
        except Exception as exc:
            self._keep(Entry(provider, kind, key, None, failure=failure_text(exc)))
            raise
        encoded = encode(answer)
        self._keep(Entry(provider, kind, key, encoded))
        life = ttl(answer)
        if self.cache is not None and life:
            self.cache.put(provider, kind, key, encoded, life)
        return answer

    @staticmethod
    def _decode(entry: Entry, decode: Callable[[Encoded], T]) -> T:
        if entry.failure:
            if entry.unavailable:
                raise ProviderUnavailable(entry.failure)
            raise RecordedFailure(entry.failure)
        return decode(entry.answer)

    def _keep(self, entry: Entry) -> None:
        with self._lock:
            if not self._closed:
                self._entries.setdefault((entry.provider, entry.kind, entry.key), entry)

    def note(self, entry: Entry) -> None:
        """Record a fact about the run itself (a task the deadline cut off)."""
        self._keep(entry)

    def replayed(self) -> list[Entry]:
        """The entries of the bundle being replayed (empty when not replaying)."""
        return list(self._replay.values())

    def close(self) -> None:
        """Keep no more entries: answers that arrive after the deadline were not used."""
        with self._lock:
            self._closed = True

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries.values())


def failure_text(exc: BaseException) -> str:
    """How a failed look-up is named in reports: a replayed failure keeps its recorded words."""
    if isinstance(exc, RecordedFailure | ProviderUnavailable):
        return str(exc)
    return f"error: {type(exc).__name__}: {exc}"


def default_cache_path() -> Path:
    """``$MAILSLEUTH_CACHE``, else ``$XDG_CACHE_HOME/mailsleuth/answers.sqlite`` (``~/.cache/...``)."""
    import os

    if os.environ.get("MAILSLEUTH_CACHE"):
        return Path(os.environ["MAILSLEUTH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mailsleuth" / "answers.sqlite"
