"""Domain and IP registration data (RDAP, WHOIS on port 43) against recorded-answer servers
on 127.0.0.1 (``tests/rdap/servers.py``): the answers are in the registries' real formats -
Verisign's thin ``.com`` answer with its "related" link to the registrar's, ARIN's IP network,
CNNIC's WHOIS text for the seed case's ``revapec.cn`` - and nothing is asked beyond loopback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="httpx is not installed (pip install 'mailsleuth[online]')")
pytest.importorskip("whois.parser", reason="python-whois is not installed (pip install 'mailsleuth[online]')")

from mailsleuth.enrich.providers import ProviderUnavailable  # noqa: E402
from mailsleuth.enrich.rdap import Bootstrap, RdapError, RdapProvider  # noqa: E402
from mailsleuth.enrich.registration import (  # noqa: E402
    DomainRegistration,
    FallbackRegistration,
    IpRegistration,
    age_days,
    iso_datetime,
)
from mailsleuth.enrich.whois43 import WhoisError, WhoisProvider, decode_whois, whois_query  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent / "rdap"))
from servers import RecordedServers, recorded_servers  # noqa: E402

MAIL_DATE = datetime(2022, 3, 25, 13, 7, 34, tzinfo=UTC)  # the seed mail's Date:, 2022-03-25 13:07:34 +0800
ALIYUN = "阿里云计算有限公司（万网）"


@pytest.fixture(scope="module")
def servers() -> Iterator[RecordedServers]:
    with recorded_servers() as s:
        yield s


@pytest.fixture()
def bootstrap(servers: RecordedServers) -> Bootstrap:
    d = servers.bootstrap_dir
    return Bootstrap.from_iana(d / "dns.json", d / "ipv4.json", d / "ipv6.json")


@pytest.fixture()
def rdap(bootstrap: Bootstrap) -> Iterator[RdapProvider]:
    with RdapProvider(bootstrap, timeout=3.0) as provider:
        yield provider


@pytest.fixture()
def whois(servers: RecordedServers) -> WhoisProvider:
    return WhoisProvider(servers.whois_servers, timeout=3.0)


# ------------------------------------------------------------------------------- RDAP

def test_domain_via_rdap_thin_registry_and_registrar(rdap: RdapProvider, servers: RecordedServers) -> None:
    reg = rdap.domain("Example-Brand-Login.com.")
    assert reg is not None
    assert reg.domain == "example-brand-login.com"
    assert reg.registrar == "NameSilo, LLC"
    assert reg.created == "2022-03-20T08:12:33+00:00"  # the registry's date, its offset kept
    assert reg.updated == "2022-03-20T08:12:36+00:00"
    assert reg.expires == "2023-03-20T08:12:33+00:00"
    assert reg.nameservers == ("ns1.dnsowl.com", "ns2.dnsowl.com", "ns3.dnsowl.com")
    assert reg.status == ("client transfer prohibited",)
    assert reg.registrant == ""  # "REDACTED FOR PRIVACY" at the registrar
    assert reg.registrant_country == "CN"  # published by the registrar, not redacted
    registry_url = f"{servers.rdap_base}registry/domain/example-brand-login.com"
    assert reg.source == f"rdap:{registry_url} (registrar: {servers.rdap_base}registrar/domain/EXAMPLE-BRAND-LOGIN.COM)"
    assert reg.ttl == 86400 and reg.obtained_at.endswith("+00:00")
    assert age_days(reg.created, MAIL_DATE) == 5


def test_domain_without_following_the_registrar(bootstrap: Bootstrap, servers: RecordedServers) -> None:
    with RdapProvider(bootstrap, timeout=3.0, follow_related=False) as provider:
        reg = provider.domain("example-brand-login.com")
    assert reg is not None and reg.registrar == "NameSilo, LLC" and reg.registrant == ""
    assert reg.registrant_country == ""  # only the registrar publishes it
    assert reg.source == f"rdap:{servers.rdap_base}registry/domain/example-brand-login.com"


def test_domain_with_a_registrant_and_utf8(rdap: RdapProvider) -> None:
    reg = rdap.domain("revapec.test")
    assert reg is not None
    assert (reg.registrar, reg.registrant, reg.registrant_country) == (ALIYUN, "李建华", "CN")
    assert reg.created == "2022-03-21T10:37:19+08:00"
    assert age_days(reg.created, MAIL_DATE) == 4


def test_ip_via_rdap(rdap: RdapProvider, servers: RecordedServers) -> None:
    reg = rdap.ip("104.129.5.102")
    assert reg == IpRegistration(
        ip="104.129.5.102", network="104.129.0.0/18", name="QUADRANET-ENTERPRISES", handle="NET-104-129-0-0-1",
        country="US", org="QuadraNet Enterprises LLC", source=f"rdap:{servers.rdap_base}arin/ip/104.129.5.102",
        obtained_at=reg.obtained_at if reg else "")


def test_unknown_domain_and_network_are_none(rdap: RdapProvider) -> None:
    assert rdap.domain("no-such-domain-here.com") is None
    assert rdap.ip("104.200.1.1") is None  # ARIN's 404: no network in the fixtures holds it


def test_no_rdap_service_for_the_tld(rdap: RdapProvider) -> None:
    with pytest.raises(ProviderUnavailable, match=r"\.cn"):
        rdap.domain("www.eki-net-member.revapec.cn")
    with pytest.raises(ProviderUnavailable):
        rdap.ip("8.8.8.8")  # no bootstrap entry, no default: never a guessed real RIR


def test_one_base_url_for_everything(servers: RecordedServers) -> None:
    with RdapProvider(Bootstrap.single(servers.rdap_base + "registry"), timeout=3.0) as provider:
        reg = provider.domain("revapec.test")
    assert reg is not None and reg.registrant == "李建华"


def test_plain_mapping_bootstrap(servers: RecordedServers) -> None:
    mapping = {"test": servers.rdap_base + "registry/", "104.129.0.0/16": servers.rdap_base + "arin"}
    with RdapProvider(Bootstrap.from_mapping(mapping), timeout=3.0) as provider:
        assert provider.domain("revapec.test") is not None
        assert provider.ip("104.129.5.102") is not None
        with pytest.raises(ProviderUnavailable):
            provider.domain("example-brand-login.com")


def test_bootstrap_longest_match() -> None:
    boot = Bootstrap.from_iana(
        {"services": [[["jp"], ["https://jp.example/rdap/"]], [["co.jp"], ["https://cojp.example/rdap/"]]]},
        {"services": [[["104.0.0.0/8"], ["http://rir-a.example/", "https://rir-a.example/"]],
                      [["104.129.0.0/16"], ["https://rir-b.example"]]]},
        {"services": [[["2001:200::/23"], ["https://rir-c.example/"]]]})
    assert boot.for_ip("104.129.5.102") == ("https://rir-b.example/",)
    assert boot.for_ip("104.1.2.3") == ("https://rir-a.example/", "http://rir-a.example/")  # https first
    assert boot.for_ip("2001:200::1") == ("https://rir-c.example/",)
    assert boot.for_ip("8.8.8.8") == ()
    assert boot.for_domain("www.example.co.jp") == ("https://cojp.example/rdap/",)
    assert boot.for_domain("example.jp") == ("https://jp.example/rdap/",)
    assert boot.for_domain("example.cn") == ()


def test_bootstrap_fetch_iana_files(servers: RecordedServers) -> None:
    with httpx.Client(timeout=3.0) as client:
        boot = Bootstrap.fetch(client, base=servers.rdap_base + "iana")
    assert boot.for_domain("example-brand-login.com") == (servers.rdap_base + "registry/",)
    assert boot.for_ip("104.129.5.102") == (servers.rdap_base + "arin/",)
    assert boot.for_domain("revapec.cn") == ()


def test_redirects_only_to_http(rdap: RdapProvider, servers: RecordedServers) -> None:
    found = rdap.get_json(servers.rdap_base + "redirect/registry/domain/revapec.test")
    assert found is not None and found[0] == servers.rdap_base + "registry/domain/revapec.test"
    with pytest.raises(RdapError, match="not http"):
        rdap.get_json(servers.rdap_base + "redirect-ftp/registry/domain/revapec.test")


def test_garbage_json_is_an_error(servers: RecordedServers) -> None:
    with RdapProvider(Bootstrap.single(servers.rdap_base + "garbage"), timeout=3.0) as provider, \
            pytest.raises(RdapError, match="not RDAP JSON"):
        provider.domain("example-brand-login.com")


def test_rdap_timeout(servers: RecordedServers) -> None:
    with RdapProvider(Bootstrap.single(f"http://{servers.silent_addr}/"), timeout=0.5) as provider:
        start = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            provider.domain("example-brand-login.com")
    assert time.monotonic() - start < 3.0


def test_user_agent(rdap: RdapProvider, servers: RecordedServers) -> None:
    from mailsleuth import __version__
    rdap.domain("revapec.test")
    assert servers.user_agents[-1] == f"mailsleuth/{__version__}"


# ------------------------------------------------------------------------------- WHOIS and the fallback

def test_cn_falls_back_to_whois(rdap: RdapProvider, whois: WhoisProvider, servers: RecordedServers) -> None:
    """The seed case: .cn has no RDAP service, CNNIC answers on port 43 in its own format."""
    reg = FallbackRegistration(rdap, whois).domain("revapec.cn")
    assert reg is not None
    assert reg.registrar == ALIYUN
    assert reg.registrant == "李建华"
    assert reg.created == "2022-03-21T10:37:19"  # CNNIC writes no offset, none is invented
    assert reg.expires == "2023-03-21T10:37:19" and reg.updated is None
    assert reg.nameservers == ("dns29.hichina.com", "dns30.hichina.com")
    assert reg.status == ("ok",)
    assert reg.source == f"whois:{servers.whois_addr}"
    assert age_days(reg.created, MAIL_DATE) == 4
    assert "revapec.cn" in servers.requests


def test_fallback_ip_goes_to_rdap(rdap: RdapProvider, whois: WhoisProvider) -> None:
    both = FallbackRegistration(rdap, whois)
    assert both.name == "rdap+whois"
    reg = both.ip("104.129.5.102")
    assert reg is not None and reg.org == "QuadraNet Enterprises LLC"
    with pytest.raises(ProviderUnavailable):
        whois.ip("104.129.5.102")


def test_whois_no_matching_record(whois: WhoisProvider) -> None:
    assert whois.domain("no-such-domain.cn") is None


def test_whois_thin_registry_referral(whois: WhoisProvider, servers: RecordedServers) -> None:
    reg = whois.domain("example-brand-login.com")
    assert reg is not None
    assert "domain example-brand-login.com" in servers.requests  # Verisign's query form
    assert reg.registrar == "NameSilo, LLC" and reg.registrant == "" and reg.registrant_country == "CN"
    assert reg.created == "2022-03-20T08:12:33+00:00"  # the registry's, not the registrar's
    assert reg.nameservers == ("ns1.dnsowl.com", "ns2.dnsowl.com", "ns3.dnsowl.com")
    assert reg.status == ("clientTransferProhibited",)
    assert reg.source == f"whois:{servers.whois_addr} (registrar: {servers.whois_addr})"


def test_whois_jprs_english(whois: WhoisProvider, servers: RecordedServers) -> None:
    reg = whois.domain("example-brand.jp")
    assert "example-brand.jp/e" in servers.requests
    assert reg is not None
    assert reg.registrant == "Example Brand Co., Ltd."
    assert reg.created is not None and reg.created.startswith("2001-04-16")
    assert reg.updated == "2025-05-01T01:05:09+09:00"  # "(JST)"
    assert reg.nameservers == ("ns1.example-brand.jp", "ns2.example-brand.jp")


def test_whois_iso_2022_jp_answer(servers: RecordedServers) -> None:
    answer = whois_query(servers.whois_addr, "example-brand.jp", timeout=3.0, legacy_charset="iso-2022-jp")
    assert "[ドメイン情報]" in answer.text and "エグザンプル銀行株式会社" in answer.text
    assert not answer.truncated


def test_decode_never_raises() -> None:
    assert decode_whois("登録者名".encode("iso-2022-jp")) == "登録者名"
    assert decode_whois("Registrant: 李建华".encode()) == "Registrant: 李建华"
    assert decode_whois("Société".encode("latin-1"), "iso-8859-1") == "Société"
    assert decode_whois("李建华".encode()[:-1]).startswith("李建")  # cut mid-character
    assert decode_whois(bytes(range(256)), "no-such-charset")


def test_whois_huge_answer_is_truncated(servers: RecordedServers) -> None:
    start = time.monotonic()
    answer = whois_query(servers.whois_addr, "huge.cn", timeout=5.0, max_bytes=64 * 1024)
    assert answer.truncated and answer.size == 64 * 1024
    assert "Domain Name: huge.cn" in answer.text
    reg = WhoisProvider({"cn": servers.whois_addr}, timeout=5.0, max_bytes=64 * 1024).domain("huge.cn")
    assert reg is not None and reg.registrar == ALIYUN
    assert time.monotonic() - start < 5.0


def test_whois_timeout(servers: RecordedServers) -> None:
    provider = WhoisProvider({"cn": servers.silent_addr}, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(WhoisError, match=r"within 0\.5 s"):
        provider.domain("revapec.cn")
    assert time.monotonic() - start < 3.0


def test_whois_refused_and_unknown_tld(servers: RecordedServers) -> None:
    with pytest.raises(ProviderUnavailable, match=r"\.xyz"):
        WhoisProvider({"cn": servers.whois_addr}).domain("example.xyz")
    import socket
    with socket.create_server(("127.0.0.1", 0)) as s:
        closed = f"127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(WhoisError):
        WhoisProvider({"cn": closed}, timeout=1.0).domain("revapec.cn")


# ------------------------------------------------------------------------------- the answers

def test_round_trip(rdap: RdapProvider, whois: WhoisProvider) -> None:
    answers: list[DomainRegistration | IpRegistration | None] = [
        rdap.domain("example-brand-login.com"), whois.domain("revapec.cn"), rdap.ip("104.129.5.102")]
    for answer in answers:
        assert answer is not None
        data = answer.to_dict()
        assert type(answer).from_dict(data) == answer
        if isinstance(answer, DomainRegistration):
            assert isinstance(data["nameservers"], list)
            assert isinstance(DomainRegistration.from_dict(data).nameservers, tuple)


def test_dates_and_age() -> None:
    assert iso_datetime("2022-03-20T08:12:33Z") == "2022-03-20T08:12:33+00:00"
    assert iso_datetime("2022-03-20T08:12:33.512Z") == "2022-03-20T08:12:33.512000+00:00"
    assert iso_datetime("2014-05-05T13:28:40-04:00") == "2014-05-05T13:28:40-04:00"
    assert iso_datetime("2022-03-21 10:37:19") == "2022-03-21T10:37:19"
    assert iso_datetime("not a date") is None and iso_datetime("") is None
    assert age_days("2022-03-21", MAIL_DATE) == 4
    assert age_days("2022-03-21T10:37:19+08:00", datetime(2022, 3, 25)) == 3  # naive "at" read as UTC
    assert age_days("2022-03-26T00:00:00+00:00", MAIL_DATE) == -1  # registered after the mail
    assert age_days(None, MAIL_DATE) is None and age_days("soon", MAIL_DATE) is None
