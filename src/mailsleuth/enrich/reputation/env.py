"""Which reputation providers the user configured: one per API key found in the environment.

Keys: ``MAILSLEUTH_VT_API_KEY`` (or ``VT_API_KEY``, the name other VirusTotal tools use),
``MAILSLEUTH_URLSCAN_API_KEY``, ``MAILSLEUTH_GSB_API_KEY``. A service without a key is simply
absent: asking it would fail. Base URLs can be pointed elsewhere (a proxy, a local test
server) with ``MAILSLEUTH_VT_URL``, ``MAILSLEUTH_URLSCAN_URL``, ``MAILSLEUTH_GSB_URL``.
A configuration file can feed the same names in through ``env``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .base import ReputationProvider
from .safebrowsing import SafeBrowsingProvider
from .transport import DEFAULT_TIMEOUT, HttpProvider
from .urlscan import UrlscanProvider
from .virustotal import VirusTotalProvider

# provider class, key variables (first set wins), base-URL variable
SERVICES: tuple[tuple[type[HttpProvider], tuple[str, ...], str], ...] = (
    (VirusTotalProvider, ("MAILSLEUTH_VT_API_KEY", "VT_API_KEY"), "MAILSLEUTH_VT_URL"),
    (UrlscanProvider, ("MAILSLEUTH_URLSCAN_API_KEY",), "MAILSLEUTH_URLSCAN_URL"),
    (SafeBrowsingProvider, ("MAILSLEUTH_GSB_API_KEY",), "MAILSLEUTH_GSB_URL"),
)


def providers_from_env(env: Mapping[str, str] = os.environ, *,
                       timeout: float = DEFAULT_TIMEOUT) -> list[ReputationProvider]:
    """The providers whose API key is set (non-blank) in ``env``, in the order VirusTotal,
    urlscan.io, Safe Browsing."""
    out: list[ReputationProvider] = []
    for cls, key_names, url_name in SERVICES:
        key = next((env[n].strip() for n in key_names if env.get(n, "").strip()), "")
        if key:
            out.append(cls(key, env.get(url_name, "").strip() or None, timeout=timeout))
    return out
