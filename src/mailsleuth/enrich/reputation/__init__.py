"""Reputation services: what VirusTotal, urlscan.io and Google Safe Browsing already know
about a mail's links. Online and opt-in (an API key per service); a link is never fetched
and never submitted for scanning - only existing reports are read.

* :mod:`.base` - ``ReputationAnswer``, the ``ReputationProvider`` protocol, the errors.
* :mod:`.ratelimit` - ``RateLimit``, and each service's free-tier limits.
* :mod:`.virustotal`, :mod:`.urlscan`, :mod:`.safebrowsing` - one provider per service.
* :mod:`.env` - ``providers_from_env``: the providers whose API key is configured.
"""

from __future__ import annotations

from .base import RateLimited, ReputationAnswer, ReputationError, ReputationProvider
from .env import providers_from_env
from .ratelimit import RateLimit
from .safebrowsing import SafeBrowsingProvider
from .urlscan import UrlscanProvider
from .virustotal import VirusTotalProvider

__all__ = [
    "RateLimit",
    "RateLimited",
    "ReputationAnswer",
    "ReputationError",
    "ReputationProvider",
    "SafeBrowsingProvider",
    "UrlscanProvider",
    "VirusTotalProvider",
    "providers_from_env",
]
