"""urlscan.io: what earlier scans (by anyone, made public) concluded about pages on a domain.

Only the search API is used (``GET search/?q=domain:<domain>``, header ``API-Key``); nothing
is submitted for scanning, which would make urlscan.io fetch the link. The search also
returns pages that merely loaded something from the domain (a font, a tracker), so only
scans whose page or task is on the domain itself count. ``positives`` is the number of those
scans with an overall malicious verdict, ``total`` the number of those scans.
Free tier: quotas per account and action (see :mod:`.ratelimit`); one request per link.
"""

from __future__ import annotations

import re
from typing import Any

from ..providers import now_iso
from .base import ReputationAnswer, ReputationError, Verdict
from .transport import HttpProvider

RESULT_PAGE = "https://urlscan.io/result/{uuid}/"
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*")


class UrlscanProvider(HttpProvider):
    """Searches urlscan.io's existing scans of a link's registrable domain."""

    name = "urlscan"
    default_base_url = "https://urlscan.io/api/v1/"
    default_rate = (30, 60.0)

    def lookup(self, url: str, host: str, registrable_domain: str) -> list[ReputationAnswer]:
        domain = (registrable_domain or host).strip().rstrip(".").lower()
        return [self.search_domain(domain)] if domain else []

    def search_domain(self, domain: str) -> ReputationAnswer:
        if not _DOMAIN.fullmatch(domain):
            # the host comes from the mail: never let it become part of a search expression
            raise ReputationError(f"{self.name}: not a domain name: {domain[:100]!r}")
        response = self._request("GET", "search/", params={"q": f"domain:{domain}"},
                                 headers={"API-Key": self._api_key, "Accept": "application/json"})
        if response.status_code != 200:
            raise self._fail(response)
        results = self._json(response).get("results")
        if not isinstance(results, list):
            raise ReputationError(f"{self.name}: the search answer has no results list")
        scans = [r for r in results if isinstance(r, dict) and _on_domain(r, domain)]
        flagged = [r for r in scans if _overall(r).get("malicious") is True]
        categories: set[str] = set()
        for r in flagged:
            categories.update(_strings(_overall(r).get("categories")))
            categories.update(f"brand:{b}" for b in _strings(_overall(r).get("brands")))
        verdict: Verdict = "malicious" if flagged else "unknown"
        if not scans:
            detail = "urlscan: no scans of this domain"
        elif flagged:
            detail = f"urlscan: {len(scans)} scans, verdict malicious ({len(flagged)} of them)"
        else:
            detail = f"urlscan: {len(scans)} scans, none with a malicious verdict"
        shown = flagged[0] if flagged else scans[0] if scans else None  # urlscan.io sorts newest first
        uuid = _uuid(shown) if shown else ""
        return ReputationAnswer(service=self.name, target=domain, kind="domain", verdict=verdict, detail=detail,
                                positives=len(flagged), total=len(scans), categories=tuple(sorted(categories)),
                                permalink=RESULT_PAGE.format(uuid=uuid) if uuid else "", source=self.source,
                                obtained_at=now_iso(), ttl=self.ttl)


def _on_domain(result: dict[str, Any], domain: str) -> bool:
    """Whether the scanned page (or the submitted task) is on ``domain`` or one of its hosts."""
    for part in ("page", "task"):
        info = result.get(part)
        if not isinstance(info, dict):
            continue
        for key in ("apexDomain", "domain"):
            value = str(info.get(key) or "").lower().rstrip(".")
            if value == domain or value.endswith("." + domain):
                return True
    return False


def _overall(result: dict[str, Any]) -> dict[str, Any]:
    verdicts = result.get("verdicts")
    overall = verdicts.get("overall") if isinstance(verdicts, dict) else None
    return overall if isinstance(overall, dict) else {}


def _strings(value: Any) -> list[str]:
    """Category or brand names; urlscan.io writes brands as strings or as ``{"name": ...}``."""
    if not isinstance(value, list):
        return []
    out = []
    for v in value:
        name = v.get("name") or v.get("key") if isinstance(v, dict) else v
        if isinstance(name, str) and name.strip():
            out.append(name.strip())
    return out


def _uuid(result: dict[str, Any]) -> str:
    task = result.get("task")
    uuid = (task.get("uuid") if isinstance(task, dict) else None) or result.get("_id") or ""
    return str(uuid) if re.fullmatch(r"[0-9a-fA-F-]{16,64}", str(uuid)) else ""
