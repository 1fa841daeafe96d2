"""Google Safe Browsing (Lookup API v4): is the URL on Google's threat lists?

One ``POST threatMatches:find`` per link with the URL itself (the server expands it into the
host-suffix and path-prefix expressions it matches). A match is a listing: verdict
``malicious`` with the threat types as categories, kept no longer than the match's
``cacheDuration``. No match (``{}``) means only "not listed": lists lag behind new phishing
pages, so it is weak evidence and stays ``unknown`` with detail "not listed", not harmless.

The key goes in the ``X-Goog-Api-Key`` header, which every Google REST API accepts in place
of the ``?key=`` parameter (Google's "system parameters"): a URL is written to logs (httpx
logs every request URL at INFO level) and to error messages, a header is not.
Free tier: a per-project daily quota set in the Google Cloud console (see :mod:`.ratelimit`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ..providers import now_iso
from .base import ReputationAnswer
from .transport import HttpProvider, user_agent

THREAT_TYPES = ("MALWARE", "SOCIAL_ENGINEERING", "UNWANTED_SOFTWARE", "POTENTIALLY_HARMFUL_APPLICATION")
CLIENT_ID = "mailsleuth"
TRANSPARENCY = "https://transparencyreport.google.com/safe-browsing/search?url="


def request_body(urls: list[str]) -> dict[str, Any]:
    """The v4 ``FindThreatMatchesRequest`` for ``urls``."""
    return {
        "client": {"clientId": CLIENT_ID, "clientVersion": user_agent().partition("/")[2]},
        "threatInfo": {
            "threatTypes": list(THREAT_TYPES),
            "platformTypes": ["ANY_PLATFORM"],
            "threatEntryTypes": ["URL"],
            "threatEntries": [{"url": u} for u in urls],
        },
    }


class SafeBrowsingProvider(HttpProvider):
    """Asks Safe Browsing whether a link's URL is listed (a bare host is asked as ``http://host/``)."""

    name = "safebrowsing"
    default_base_url = "https://safebrowsing.googleapis.com/v4/"
    default_rate = (60, 60.0)

    def lookup(self, url: str, host: str, registrable_domain: str) -> list[ReputationAnswer]:
        target = url or (f"http://{host}/" if host else "")
        return [self.lookup_url(target)] if target else []

    def lookup_url(self, url: str) -> ReputationAnswer:
        response = self._request("POST", "threatMatches:find", json=request_body([url]),
                                 headers={"X-Goog-Api-Key": self._api_key, "Accept": "application/json"})
        if response.status_code != 200:
            raise self._fail(response)
        matches = [m for m in self._json(response).get("matches") or () if isinstance(m, dict)]
        types = tuple(sorted({str(m["threatType"]) for m in matches if m.get("threatType")}))
        durations = [d for d in (_seconds(m.get("cacheDuration")) for m in matches) if d is not None]
        ttl = self.ttl
        if durations:  # Google asks not to reuse a match for longer than its cacheDuration
            ttl = min(durations) if ttl is None else min(ttl, *durations)
        listed = bool(matches)
        return ReputationAnswer(
            service=self.name, target=url, kind="url", verdict="malicious" if listed else "unknown",
            detail=f"Safe Browsing: {', '.join(types) or 'listed'}" if listed else "Safe Browsing: not listed",
            positives=None, total=None, categories=types, permalink=TRANSPARENCY + quote(url, safe=""),
            source=self.source, obtained_at=now_iso(), ttl=ttl)


def _seconds(value: Any) -> int | None:
    """A protobuf Duration as JSON (``"300s"``, ``"1.5s"``) -> whole seconds."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(value or "").strip())
    return int(float(m.group(1))) if m else None
