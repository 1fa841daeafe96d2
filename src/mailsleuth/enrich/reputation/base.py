"""What a reputation service answers about a link, and the interface its providers share.

A reputation answer is evidence from someone else's observation ("12 of 90 engines flag
it"), never from fetching the link: mailsleuth does not open, download or submit a link
for scanning. ``verdict`` is the service's own conclusion, mapped onto four words;
``positives``/``total`` keep the numbers behind it so that scoring can set its own
thresholds (one engine of ninety is not the same evidence as forty).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

Kind = Literal["url", "domain"]
Verdict = Literal["malicious", "suspicious", "harmless", "unknown"]
KINDS: tuple[Kind, ...] = ("url", "domain")
VERDICTS: tuple[Verdict, ...] = ("malicious", "suspicious", "harmless", "unknown")
DEFAULT_TTL = 3600  # reputations change within hours: a phishing page is listed, then taken down


class ReputationError(Exception):
    """A look-up failed (no answer in time, refused, an answer we cannot read). The message
    names the service and the cause and never carries the API key.

    ``partial`` holds the answers a multi-request look-up got before it failed (VirusTotal's
    URL report when the domain report then hit the quota), so that they are not lost."""

    partial: tuple[ReputationAnswer, ...] = ()


class RateLimited(ReputationError):
    """The service (HTTP 429) or our own limiter refuses another request for now.

    ``retry_after`` is how many seconds to wait before asking again, when known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class ReputationAnswer:
    """One service's opinion of one link (``kind`` ``url``) or one domain (``kind`` ``domain``).

    ``detail`` is a short phrase a reader understands ("12/90 engines flag it"); ``positives``
    and ``total`` are the counts behind it when the service counts (engines for VirusTotal,
    scans for urlscan.io), else None. ``permalink`` is the service's public page about the
    target ("" when there is none). ``source`` is ``"<service>:<API base URL>"``.
    """

    service: str
    target: str
    kind: Kind
    verdict: Verdict
    detail: str
    positives: int | None
    total: int | None
    categories: tuple[str, ...]
    permalink: str
    source: str
    obtained_at: str
    ttl: int | None = DEFAULT_TTL

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReputationAnswer:
        kind, verdict = data["kind"], data["verdict"]
        if kind not in KINDS or verdict not in VERDICTS:
            raise ValueError(f"not a reputation answer: kind {kind!r}, verdict {verdict!r}")
        return cls(service=str(data["service"]), target=str(data["target"]), kind=kind, verdict=verdict,
                   detail=str(data["detail"]), positives=_opt_int(data.get("positives")),
                   total=_opt_int(data.get("total")), categories=tuple(str(c) for c in data.get("categories", ())),
                   permalink=str(data.get("permalink", "")), source=str(data["source"]),
                   obtained_at=str(data["obtained_at"]), ttl=_opt_int(data.get("ttl", DEFAULT_TTL)))


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


class ReputationProvider(Protocol):
    """A link -> what one reputation service already knows about it (URL and/or domain).

    Raises :class:`~mailsleuth.enrich.providers.ProviderUnavailable` when it cannot ask at all
    (the HTTP package is missing) and :class:`ReputationError` (or :class:`RateLimited`) when a
    look-up fails; the caller turns both into "skipped, because ..." entries."""

    name: str

    def lookup(self, url: str, host: str, registrable_domain: str) -> list[ReputationAnswer]: ...
