"""Building the online look-ups from the command line, the environment and the config file.

Settings, later ones winning: the config file (``--config FILE``, else
``$MAILSLEUTH_CONFIG``, else ``~/.config/mailsleuth/config.toml`` when it exists), then the
environment, then command-line options. The file's ``[online]`` table::

    [online]
    enabled = true                 # online look-ups without --online
    dns_server = "127.0.0.1:53"    # else the system's resolvers
    dns_timeout = 3
    deadline = 20                  # seconds for all look-ups of one message
    rdap = true                    # RDAP/WHOIS of link and sender domains, origin address
    rdap_url = "https://rdap.example.net/"     # one RDAP server for everything (a proxy), or:
    rdap_bootstrap = "~/rdap-bootstrap"        # IANA's dns.json, ipv4.json, ipv6.json: a folder or a mirror's URL
    whois_servers = { cn = "whois.example.net:43" }  # WHOIS server per TLD (on top of the built-in map)
    reputation = true              # services whose API key is set
    cache = "~/.cache/mailsleuth/answers.sqlite"   # or false

    [online.keys]                  # instead of MAILSLEUTH_VT_API_KEY etc.
    MAILSLEUTH_VT_API_KEY = "..."

Without ``rdap_url`` or ``rdap_bootstrap``, IANA's bootstrap files are downloaded once and kept
for a week beside the cache (this is online mode: the user asked for it).
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .journal import AnswerCache, default_cache_path
from .online import DEFAULT_DEADLINE, OnlineLookups

BOOTSTRAP_MAX_AGE = 7 * 86400


class SetupError(ValueError):
    """A setting that cannot be used (bad file, bad address); the message says which."""


@dataclass
class OnlineSettings:
    enabled: bool = False
    dns_server: str | None = None
    dns_timeout: float = 3.0
    deadline: float = DEFAULT_DEADLINE
    rdap: bool = True
    rdap_url: str | None = None
    rdap_bootstrap: str | None = None
    whois_servers: dict[str, str] = field(default_factory=dict)
    reputation: bool = True
    cache: str | None = None  # path; "" = no cache
    keys: dict[str, str] = field(default_factory=dict)


def config_path(explicit: str | None = None, env: Mapping[str, str] = os.environ) -> Path | None:
    if explicit:
        return Path(explicit).expanduser()
    if env.get("MAILSLEUTH_CONFIG"):
        return Path(env["MAILSLEUTH_CONFIG"]).expanduser()
    default = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "mailsleuth" / "config.toml"
    return default if default.is_file() else None


def load_settings(path: Path | None) -> OnlineSettings:
    """The ``[online]`` table of the config file (defaults without a file)."""
    s = OnlineSettings()
    if path is None:
        return s
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SetupError(f"{path}: cannot read the config file: {exc}") from exc
    online = data.get("online", {})
    if not isinstance(online, dict):
        raise SetupError(f"{path}: [online] must be a table")
    for key, value in online.items():
        if key in ("keys", "whois_servers"):
            if not isinstance(value, dict):
                raise SetupError(f"{path}: online.{key} must be a table")
            setattr(s, key, {str(k): str(v) for k, v in value.items()})
        elif key == "cache":
            s.cache = "" if value is False else str(Path(str(value)).expanduser())
        elif hasattr(s, key):
            setattr(s, key, value)
        else:
            raise SetupError(f"{path}: unknown setting online.{key}")
    return s


def build_lookups(s: OnlineSettings, env: Mapping[str, str] = os.environ) -> tuple[OnlineLookups, AnswerCache | None]:
    """The online providers the settings ask for (needs the 'online' extra), and the answer cache."""
    from .dnsprovider import DnsProvider

    try:
        dns = DnsProvider.from_spec(s.dns_server, timeout=float(s.dns_timeout))
    except ValueError as exc:
        raise SetupError(f"dns_server {s.dns_server}: {exc} (give an address: HOST:PORT)") from exc
    cache = None
    if s.cache != "":
        cache = AnswerCache(s.cache or default_cache_path())
    registration = _registration(s, cache) if s.rdap else None
    reputation: list[Any] = []
    if s.reputation:
        from .reputation import providers_from_env

        reputation = providers_from_env({**s.keys, **env}, timeout=min(10.0, float(s.deadline)))
    return OnlineLookups(dns=dns, registration=registration, reputation=reputation,
                         deadline=float(s.deadline)), cache


def _registration(s: OnlineSettings, cache: AnswerCache | None) -> Any:
    from .rdap import BOOTSTRAP_FILES, Bootstrap, RdapProvider
    from .registration import FallbackRegistration
    from .whois43 import DEFAULT_SERVERS, WhoisProvider

    timeout = min(10.0, float(s.deadline))
    keep = (Path(cache.path).parent if cache is not None else default_cache_path().parent) / "rdap-bootstrap"
    if s.rdap_url:
        boot = Bootstrap.single(s.rdap_url)
    elif s.rdap_bootstrap and not s.rdap_bootstrap.startswith(("http://", "https://")):
        folder = Path(s.rdap_bootstrap).expanduser()
        try:
            boot = Bootstrap.from_iana(*(str(folder / f) for f in BOOTSTRAP_FILES))
        except (OSError, ValueError) as exc:
            raise SetupError(f"rdap_bootstrap {folder}: {exc}") from exc
    else:  # IANA's files, or a mirror's
        boot = _iana_bootstrap(keep, timeout, s.rdap_bootstrap)
    whois = WhoisProvider({**DEFAULT_SERVERS, **s.whois_servers}, timeout=timeout)
    return FallbackRegistration(RdapProvider(boot, timeout=timeout), whois)


def _iana_bootstrap(keep: Path, timeout: float, base: str | None = None) -> Any:
    """IANA's bootstrap files (or a mirror's at ``base``), downloaded at most once a week into
    ``keep``. Unreachable: an empty table, so that RDAP is skipped (WHOIS still answers for its
    TLDs)."""
    import httpx

    from .rdap import BOOTSTRAP_FILES, IANA_BASE, Bootstrap

    paths = [keep / f for f in BOOTSTRAP_FILES]
    if all(p.is_file() and time.time() - p.stat().st_mtime < BOOTSTRAP_MAX_AGE for p in paths):
        return Bootstrap.from_iana(*(str(p) for p in paths))
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            return Bootstrap.fetch(client, base or IANA_BASE, keep=keep)
    except Exception as exc:  # no network, IANA unreachable, disk full: RDAP is skipped
        sys.stderr.write(f"mailsleuth: IANA's RDAP bootstrap could not be fetched ({exc}): "
                         "RDAP look-ups will be skipped\n")
        return Bootstrap.from_mapping({})
