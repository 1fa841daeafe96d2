"""VirusTotal (API v3): what antivirus and URL-filtering engines last said about a URL and
its registrable domain.

Only the stored reports are read (``GET /urls/{id}``, ``GET /domains/{domain}``); a URL that
VirusTotal has never seen answers 404 and stays unknown - it is not submitted for a scan.
Free tier: 4 requests per minute and 500 per day (see :mod:`.ratelimit`); a link costs two.
"""

from __future__ import annotations

import base64
import ipaddress
from typing import Any
from urllib.parse import quote

from ..providers import now_iso
from .base import Kind, ReputationAnswer, ReputationError, Verdict
from .transport import HttpProvider

GUI = "https://www.virustotal.com/gui/"


def url_id(url: str) -> str:
    """VirusTotal's identifier of a URL: unpadded URL-safe base64 of the URL as written."""
    return base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")


def verdict_from_stats(stats: dict[str, Any]) -> tuple[Verdict, int, int]:
    """``last_analysis_stats`` -> (verdict, engines flagging it as malicious, engines that gave
    an opinion). "harmless" only means that engines looked and none flagged it - weak evidence
    for a fresh phishing page, which is why the counts travel with the verdict."""
    counts = {k: _int(stats.get(k)) for k in ("malicious", "suspicious", "harmless", "undetected")}
    total = sum(counts.values())
    if counts["malicious"]:
        verdict: Verdict = "malicious"
    elif counts["suspicious"]:
        verdict = "suspicious"
    elif counts["harmless"]:
        verdict = "harmless"
    else:
        verdict = "unknown"
    return verdict, counts["malicious"], total


def _int(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


class VirusTotalProvider(HttpProvider):
    """Reads VirusTotal's reports of a link's URL and registrable domain (header ``x-apikey``)."""

    name = "virustotal"
    default_base_url = "https://www.virustotal.com/api/v3/"
    default_rate = (4, 60.0)

    def lookup(self, url: str, host: str, registrable_domain: str) -> list[ReputationAnswer]:
        """The URL's report and the domain's (``registrable_domain``, else ``host``); an IP
        address host has no domain report. When the domain's fails, the raised error's
        ``partial`` holds the URL's answer."""
        answers = [self.lookup_url(url)] if url else []
        domain = registrable_domain or host
        if domain and not _is_ip(domain):
            try:
                answers.append(self.lookup_domain(domain))
            except ReputationError as exc:
                exc.partial = (*answers, *exc.partial)
                raise
        return answers

    def lookup_url(self, url: str) -> ReputationAnswer:
        return self._report("url", url, f"urls/{url_id(url)}")

    def lookup_domain(self, domain: str) -> ReputationAnswer:
        domain = domain.strip().rstrip(".").lower()
        return self._report("domain", domain, f"domains/{quote(domain, safe='')}")

    def _report(self, kind: Kind, target: str, path: str) -> ReputationAnswer:
        response = self._request("GET", path, headers={"x-apikey": self._api_key, "Accept": "application/json"})
        if response.status_code == 404:
            return self._answer(kind, target, "unknown", "not known to VirusTotal", None, None, (), "")
        if response.status_code != 200:
            raise self._fail(response)
        data = self._json(response).get("data")
        attrs = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(attrs, dict):
            raise ReputationError(f"{self.name}: the answer has no data.attributes")
        stats = attrs.get("last_analysis_stats")
        verdict, positives, total = verdict_from_stats(stats if isinstance(stats, dict) else {})
        detail = f"{positives}/{total} engines flag it" if total else "no engine has analysed it yet"
        suspicious = _int(stats.get("suspicious")) if isinstance(stats, dict) else 0
        if suspicious:
            detail += f", {suspicious} call it suspicious"
        gui_id = str(data.get("id") or "") if kind == "url" else target
        permalink = f"{GUI}{kind}/{quote(gui_id, safe='')}" if gui_id else ""
        return self._answer(kind, target, verdict, detail, positives, total, _categories(attrs), permalink)

    def _answer(self, kind: Kind, target: str, verdict: Verdict, detail: str, positives: int | None,
                total: int | None, categories: tuple[str, ...], permalink: str) -> ReputationAnswer:
        return ReputationAnswer(service=self.name, target=target, kind=kind, verdict=verdict, detail=detail,
                                positives=positives, total=total, categories=categories, permalink=permalink,
                                source=self.source, obtained_at=now_iso(), ttl=self.ttl)


def _categories(attrs: dict[str, Any]) -> tuple[str, ...]:
    """The engines' categories (``{"Sophos": "phishing", ...}``) and, for URLs, ``threat_names``."""
    found: set[str] = set()
    cats = attrs.get("categories")
    if isinstance(cats, dict):
        found.update(str(v).strip().lower() for v in cats.values() if str(v).strip())
    names = attrs.get("threat_names")
    if isinstance(names, list):
        found.update(str(v).strip() for v in names if str(v).strip())
    return tuple(sorted(found))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
