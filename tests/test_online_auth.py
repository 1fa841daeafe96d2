"""Online authentication (DNS, DKIM, SPF, DMARC, FCrDNS) against a real DNS server: ``nsd`` on
127.0.0.1, serving the zones of ``tests/dns/`` with a DKIM key generated here at run time.

Nothing is asked beyond loopback: every resolver in these tests names 127.0.0.1 and a port.
The tests skip, with the reason, when ``nsd`` (``apt-get install nsd``), ``openssl``, dkimpy or
pyspf is missing.
"""

from __future__ import annotations

import base64
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from string import Template
from typing import Any

import pytest

pytest.importorskip("dns.resolver", reason="dnspython is not installed (pip install 'mailsleuth[online]')")
dkim = pytest.importorskip("dkim", reason="dkimpy is not installed (pip install 'mailsleuth[online]')")
pytest.importorskip("spf", reason="pyspf is not installed (pip install 'mailsleuth[online]')")

from mailsleuth.brands import BrandIndex  # noqa: E402
from mailsleuth.checks import REGISTRY, Hit, all_checks  # noqa: E402
from mailsleuth.enrich.auth import (  # noqa: E402
    Authenticator,
    AuthResults,
    SpfResult,
    aligned,
    brand_spf_allows,
    parse_authentication_results,
    parse_dmarc,
    receiver_results,
)
from mailsleuth.enrich.dnsprovider import DnsAnswer, DnsProvider, MxRecord, parse_server  # noqa: E402
from mailsleuth.enrich.providers import Skipped  # noqa: E402
from mailsleuth.evidence import Evidence, gather  # noqa: E402
from mailsleuth.mime import parse_message  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent / "dns"))
ROOT = Path(__file__).resolve().parents[1]
from nsd_server import NsdServer, closed_port, nsd_binary, start_nsd, txt_strings  # noqa: E402

TEMPLATE = Path(__file__).resolve().parent / "data" / "auth" / "mail.eml.template"
BRAND_IP = "210.0.2.10"  # mail.example-brand.test, inside the brand's SPF (by include), PTR confirmed
PHISH_IP = "104.129.5.102"  # www.eki-net-member.revapec.test, PTR confirmed
BAD_PTR_IP = "104.129.5.103"  # PTR names mail.example-brand.test, which does not lead back
AUTH_CHECKS = ("DKIM_FAIL", "SPF_FAIL", "DMARC_FAIL", "AUTH_NONE_BRAND_DOMAIN", "BRAND_SPF_EXCLUDES_ORIGIN",
               "FCRDNS_FAIL")

BRANDS = BrandIndex.from_json({"brands": [{
    "id": "example-brand", "name": "エグザンプル銀行", "name_en": "ExampleBrand", "country": "JP",
    "names": ["ExampleBrand", "エグザンプル銀行"], "host_tokens": ["example-brand"],
    "official_domains": [{"domain": "example-brand.test", "source": "test"}],
}]})


MODULE = "mailsleuth.checks.auth"


# ------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module", autouse=True)
def auth_checks() -> Iterator[Any]:
    """The checks module, leaving the registry as it found it: until the pipeline imports it
    itself, other tests compare the registry with scores.toml."""
    all_checks()
    wired = "DKIM_FAIL" in REGISTRY
    mod = importlib.import_module(MODULE)
    yield mod
    if not wired:
        for cid in AUTH_CHECKS:
            REGISTRY.pop(cid, None)
        sys.modules.pop(MODULE, None)
        pkg = sys.modules["mailsleuth.checks"]
        if hasattr(pkg, "auth"):
            delattr(pkg, "auth")


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """(PEM private key, base64 public key) of an RSA key generated for this run."""
    if subprocess.run(["sh", "-c", "command -v openssl"], capture_output=True, check=False).returncode != 0:
        pytest.skip("openssl is not installed: cannot generate the DKIM test key")
    d = tmp_path_factory.mktemp("dkim")
    key = d / "key.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", str(key)],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return key.read_bytes(), base64.b64encode(der).decode("ascii")


@pytest.fixture(scope="session")
def nsd(tmp_path_factory: pytest.TempPathFactory, dkim_key: tuple[bytes, str]) -> Iterator[NsdServer]:
    if nsd_binary() is None:
        pytest.skip("nsd is not installed (apt-get install nsd): the online DNS tests need a real server")
    record = txt_strings(f"v=DKIM1; k=rsa; p={dkim_key[1]}")
    server = start_nsd(tmp_path_factory.mktemp("nsd"), {"dkim_txt": record})
    try:
        yield server
    finally:
        server.stop()
        assert server.process.poll() is not None, "nsd is still running after teardown"


@pytest.fixture
def dnsp(nsd: NsdServer) -> DnsProvider:
    return DnsProvider.from_spec(nsd.spec, timeout=2.0)


def make_mail(*, from_: str, return_path: str, ip: str, helo: str,
              subject: str = "Please confirm your account") -> bytes:
    text = Template(TEMPLATE.read_text()).substitute(
        {"from": from_, "return_path": return_path, "ip": ip, "helo": helo, "subject": subject})
    return text.replace("\n", "\r\n").encode("ascii")


def sign(raw: bytes, key: bytes, domain: str = "example-brand.test", selector: str = "sel") -> bytes:
    sig: bytes = dkim.sign(raw, selector.encode(), domain.encode(), key,
                           include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return sig + raw


def evidence(raw: bytes) -> Evidence:
    return gather(parse_message(raw), brand_index=BRANDS, countries=None)


def authenticate(raw: bytes, dnsp: DnsProvider | None) -> tuple[Evidence, AuthResults, dict[str, Hit]]:
    ev = evidence(raw)
    res = Authenticator(dnsp).authenticate(ev, raw)
    vars(ev)["auth"] = res  # as analyze(online=True) attaches it (works with or without an ``auth`` field)
    hits = {cid: h for cid in AUTH_CHECKS if (h := REGISTRY[cid].fn(ev)) is not None}
    return ev, res, hits


BRAND_MAIL: dict[str, Any] = {"from_": "ExampleBrand <info@example-brand.test>",
                              "return_path": "bounce@example-brand.test", "ip": BRAND_IP,
                              "helo": "mail.example-brand.test"}


# ------------------------------------------------------------------------------ DNS itself

def test_dns_answers_carry_source_time_and_ttl(dnsp: DnsProvider, nsd: NsdServer) -> None:
    ans = dnsp.txt("example-brand.test")
    assert isinstance(ans, DnsAnswer)
    assert ans.records == ("v=spf1 ip4:192.0.2.0/24 include:_spf.example-brand.test -all",)
    assert ans.source == f"dns:127.0.0.1:{nsd.port}" and ans.ttl == 300 and ans.obtained_at
    a = dnsp.a("www.eki-net-member.revapec.test")
    assert isinstance(a, DnsAnswer) and a.records == (PHISH_IP,)
    nx = dnsp.a("nothing.revapec.test")
    assert isinstance(nx, DnsAnswer) and nx.status == "nxdomain" and nx.records == ()
    assert dnsp.mx("example-brand.test") == [MxRecord(10, "mail.example-brand.test")]
    long_txt = dnsp.txt("sel._domainkey.example-brand.test")  # several character strings, joined
    assert isinstance(long_txt, DnsAnswer) and long_txt.records[0].startswith("v=DKIM1; k=rsa; p=MI")


def test_fcrdns(dnsp: DnsProvider) -> None:
    ok = dnsp.fcrdns(PHISH_IP)
    assert ok.confirmed is True and ok.confirmed_names == ("www.eki-net-member.revapec.test",)
    bad = dnsp.fcrdns(BAD_PTR_IP)
    assert bad.confirmed is False and bad.ptr_names == ("mail.example-brand.test",)
    none = dnsp.fcrdns("104.129.5.104")
    assert none.confirmed is False and none.ptr_names == () and "no reverse DNS" in none.reason


def test_closed_port_times_out_into_skipped() -> None:
    p = DnsProvider("127.0.0.1", closed_port(), timeout=0.5)
    ans = p.txt("example-brand.test")
    assert isinstance(ans, Skipped) and ans.reason.startswith("skipped, because")
    assert ans.provider.startswith("dns:127.0.0.1:")
    f = p.fcrdns(PHISH_IP)
    assert f.confirmed is None and f.reason.startswith("skipped, because")
    # the whole online pass survives a dead server, and no check fires on it
    raw = make_mail(**BRAND_MAIL)
    _, res, hits = authenticate(raw, p)
    assert res.online and res.spf is not None and res.spf.result == "temperror" and hits == {}
    assert res.skipped and all(s.reason.startswith("skipped, because") for s in res.skipped)


def test_parse_server() -> None:
    assert parse_server("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_server("[::1]:53") == ("::1", 53)
    assert parse_server("192.0.2.53") == ("192.0.2.53", 53)
    with pytest.raises(ValueError):
        parse_server("dns.example:53")


# ------------------------------------------------------------------------------------ DKIM

def test_dkim_signed_mail_verifies_and_nothing_fires(dnsp: DnsProvider, dkim_key: tuple[bytes, str]) -> None:
    raw = sign(make_mail(**BRAND_MAIL), dkim_key[0])
    _, res, hits = authenticate(raw, dnsp)
    assert [(d.domain, d.selector, d.result) for d in res.dkim] == [("example-brand.test", "sel", "pass")]
    assert res.spf is not None and res.spf.result == "pass"
    assert res.dmarc is not None and res.dmarc.result == "pass" and res.dmarc.dkim_aligned and res.dmarc.spf_aligned
    assert res.fcrdns is not None and res.fcrdns.confirmed is True
    assert res.brand_spf == ()  # the From address is on the brand's own domain
    assert hits == {}


def test_tampered_copy_fails_dkim(dnsp: DnsProvider, dkim_key: tuple[bytes, str]) -> None:
    raw = sign(make_mail(**BRAND_MAIL), dkim_key[0]).replace(b"within 24 hours", b"within 2 hours!")
    _, res, hits = authenticate(raw, dnsp)
    assert [d.result for d in res.dkim] == ["fail"]
    assert set(hits) == {"DKIM_FAIL"}  # SPF still passes aligned, so DMARC passes
    assert hits["DKIM_FAIL"].params["domain"] == "example-brand.test"


def test_unknown_selector_is_permerror(dnsp: DnsProvider, dkim_key: tuple[bytes, str]) -> None:
    raw = sign(make_mail(**BRAND_MAIL), dkim_key[0], selector="gone")
    _, res, hits = authenticate(raw, dnsp)
    assert [d.result for d in res.dkim] == ["permerror"]
    assert hits["DKIM_FAIL"].confidence == 0.5


# ------------------------------------------------------------------------- SPF, DMARC, brand

def test_spoofed_brand_domain(dnsp: DnsProvider) -> None:
    """From and Return-Path on the brand's domain, sent from the phisher's server."""
    raw = make_mail(from_="ExampleBrand <info@example-brand.test>", return_path="info@example-brand.test",
                    ip=PHISH_IP, helo="www.eki-net-member.revapec.test")
    _, res, hits = authenticate(raw, dnsp)
    assert res.spf is not None and res.spf.result == "fail" and res.spf.domain == "example-brand.test"
    assert res.dmarc is not None and res.dmarc.result == "fail" and res.dmarc.policy == "reject"
    assert set(hits) == {"SPF_FAIL", "DMARC_FAIL", "AUTH_NONE_BRAND_DOMAIN"}
    assert hits["SPF_FAIL"].confidence == 1.0 and hits["SPF_FAIL"].params["ip"] == PHISH_IP
    assert any("p=reject" in line for line in hits["DMARC_FAIL"].evidence)
    assert hits["DMARC_FAIL"].params["policy"] == "reject"
    # the forged "dkim=pass; spf=pass" header from mx.example-brand.test was not believed
    assert res.header_results == () and res.ignored_authserv_ids == ("mx.example-brand.test",)


def test_softfail_counts_half(dnsp: DnsProvider) -> None:
    raw = make_mail(from_="ExampleBrand News <news@news.example-brand.test>",
                    return_path="news@news.example-brand.test", ip=PHISH_IP, helo="www.eki-net-member.revapec.test")
    _, res, hits = authenticate(raw, dnsp)
    assert res.spf is not None and res.spf.result == "softfail"
    assert hits["SPF_FAIL"].confidence == 0.5
    # the subdomain has no _dmarc record of its own: the organisational domain's applies
    assert res.dmarc is not None and res.dmarc.record is not None and res.dmarc.record.domain == "example-brand.test"


@pytest.mark.parametrize(("ip", "spf", "fcrdns_fails"), [(PHISH_IP, "pass", False), (BAD_PTR_IP, "fail", True)])
def test_phish_claiming_brand(dnsp: DnsProvider, ip: str, spf: str, fcrdns_fails: bool) -> None:
    """The seed's shape: the display name claims the brand, the domain is the phisher's own."""
    raw = make_mail(from_="ExampleBrand <info@eki-net-member.revapec.test>", return_path="bounce@revapec.test",
                    ip=ip, helo="www.eki-net-member.revapec.test", subject="[ExampleBrand] Account suspended")
    _, res, hits = authenticate(raw, dnsp)
    assert res.spf is not None and res.spf.result == spf
    assert res.dmarc is not None and res.dmarc.result == "none"  # the phisher publishes no policy
    assert [(b.brand_id, b.allows) for b in res.brand_spf] == [("example-brand", False)]
    assert "BRAND_SPF_EXCLUDES_ORIGIN" in hits
    assert hits["BRAND_SPF_EXCLUDES_ORIGIN"].params["domains"] == "example-brand.test"
    assert ("FCRDNS_FAIL" in hits) is fcrdns_fails
    assert ("SPF_FAIL" in hits) is (spf == "fail")
    assert "DMARC_FAIL" not in hits and "AUTH_NONE_BRAND_DOMAIN" not in hits


def test_brand_spf_allows(dnsp: DnsProvider) -> None:
    inside = brand_spf_allows("example-brand.test", "192.0.2.99", dnsp)
    assert isinstance(inside, SpfResult) and inside.allows is True
    outside = brand_spf_allows("example-brand.test", PHISH_IP, dnsp)
    assert isinstance(outside, SpfResult) and outside.allows is False and outside.result == "fail"
    soft = brand_spf_allows("news.example-brand.test", PHISH_IP, dnsp)
    assert isinstance(soft, SpfResult) and soft.result == "softfail" and soft.allows is False
    nothing = brand_spf_allows("nothing.revapec.test", PHISH_IP, dnsp)
    assert isinstance(nothing, SpfResult) and nothing.result == "none" and nothing.allows is None
    for dom in ("mxtest.revapec.test", "atest.revapec.test", "redir.revapec.test"):  # mx, a:, redirect=
        r = brand_spf_allows(dom, PHISH_IP, dnsp)
        assert isinstance(r, SpfResult) and r.result == "pass", dom
        r = brand_spf_allows(dom, BAD_PTR_IP, dnsp)
        assert isinstance(r, SpfResult) and r.result == "fail", dom
    loop = brand_spf_allows("loop.revapec.test", PHISH_IP, dnsp)  # the 10-look-up limit
    assert isinstance(loop, SpfResult) and loop.result == "permerror" and loop.allows is None
    v6 = brand_spf_allows("example-brand.test", "2001:db8::1", dnsp)
    assert isinstance(v6, SpfResult) and v6.allows is False


# ------------------------------------------------------------- offline parts (no server)

def test_checks_silent_without_online_results(auth_checks: Any) -> None:
    raw = make_mail(**BRAND_MAIL)
    ev, res, hits = authenticate(raw, None)
    assert not res.online and hits == {}
    assert all(REGISTRY[cid].fn(evidence(raw)) is None for cid in AUTH_CHECKS)  # no ev.auth at all
    assert auth_checks.online_auth(ev) is None


def test_authentication_results_only_from_the_receiver() -> None:
    raw = make_mail(**BRAND_MAIL).replace(
        b"Received: from mx.receiver.test",
        b"ARC-Authentication-Results: i=1; mx.receiver.test; spf=softfail smtp.mailfrom=x.test\r\n"
        b"Authentication-Results: mx.receiver.test (Postfix); dkim=fail (bad signature) header.d=example-brand.test"
        b" header.s=sel; spf=fail (ip not allowed) smtp.mailfrom=bounce@example-brand.test;"
        b" dmarc=fail reason=\"policy\" header.from=example-brand.test\r\n"
        b"Received: from mx.receiver.test", 1)
    ev = evidence(raw)
    trusted, results, ignored = receiver_results(ev.message, ev.hops)
    assert trusted == ["mx.receiver.test"] and ignored == ["mx.example-brand.test"]
    got = [(r.header, r.method, r.result, r.domain) for r in results]
    assert got == [("Authentication-Results", "dkim", "fail", "example-brand.test"),
                   ("Authentication-Results", "spf", "fail", "example-brand.test"),
                   ("Authentication-Results", "dmarc", "fail", "example-brand.test"),
                   ("ARC-Authentication-Results", "spf", "softfail", "x.test")]
    assert results[2].reason == "policy"


def test_parse_authentication_results_none_and_versions() -> None:
    sid, res = parse_authentication_results("mx.google.com 1; none")
    assert sid == "mx.google.com" and res == []
    sid, res = parse_authentication_results("a.test; dkim/1=pass header.i=@b.test (comment (nested))")
    assert [(r.method, r.result, r.domain) for r in res] == [("dkim", "pass", "b.test")]


def test_dmarc_record_and_alignment() -> None:
    rec = parse_dmarc("example-brand.test", "v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50")
    assert rec is not None and (rec.p, rec.sp, rec.adkim, rec.aspf, rec.pct) == ("reject", "quarantine", "s", "r", 50)
    assert rec.policy_for("example-brand.test") == "reject" and rec.policy_for("a.example-brand.test") == "quarantine"
    assert parse_dmarc("x.test", "v=spf1 -all") is None
    assert aligned("news.example-brand.test", "example-brand.test", "r")
    assert not aligned("news.example-brand.test", "example-brand.test", "s")
    assert not aligned("example-brand.test", "revapec.test", "r")


def test_link_host_resolves_and_is_placed(nsd: NsdServer) -> None:
    """The seed's link host (modelled as www.eki-net-member.revapec.test) resolves to
    104.129.5.102, which the offline data places in Los Angeles; the link is never fetched."""
    import mailsleuth

    raw = (ROOT / "examples" / "ekinet-account-deleted.eml").read_bytes().replace(
        b"www.eki-net-member.revapec.cn", b"www.eki-net-member.revapec.test")
    report = mailsleuth.analyze(raw, online=True, dns_server=nsd.spec)
    (hosting,) = [h for h in report.hosting if h.host == "www.eki-net-member.revapec.test"]
    (addr,) = hosting.addresses
    assert addr.ip == "104.129.5.102"
    assert addr.geo is not None and addr.geo.country_code == "US" and "Los Angeles" in addr.geo.city
    assert addr.asn is not None and addr.asn.org
    assert report.to_dict()["hosting"][0]["addresses"][0]["ip"] == "104.129.5.102"


def test_offline_analysis_never_imports_the_dns_library() -> None:
    code = ("import sys, mailsleuth; mailsleuth.analyze(b'From: a@example.org\\n\\nhi'); "
            "sys.exit(1 if 'dns' in sys.modules or 'dkim' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_receiver_results_trust_only_the_receiving_side() -> None:
    """An Authentication-Results header without authserv-id (Exchange Online's form) counts only
    when every receiving hop is Microsoft's; one naming another host is ignored, whatever it says."""
    ms = ("Received: from mail.bank-alert.example (45.67.89.10) by DM6NAM11FT012.mail.protection.outlook.com "
          "(10.13.173.80) with Microsoft SMTP Server; Tue, 22 Mar 2022 18:02:11 +0900\n")
    other = ("Received: from mail.bank-alert.example (mail.bank-alert.example [45.67.89.10]) by mx.example.net "
             "(Postfix) with ESMTP id 1; Tue, 22 Mar 2022 18:02:11 +0900\n")
    ar = "Authentication-Results: spf=fail smtp.mailfrom=bank-alert.example; dmarc=fail header.from=bank.example\n"
    forged = "Authentication-Results: mx.google.com; dmarc=pass header.from=bank.example\n"
    body = "From: Bank <alert@bank.example>\nSubject: hi\n\nhi\n"
    trusted = Authenticator().authenticate(evidence((ms + ar + body).encode()), b"")
    assert {(r.method, r.result) for r in trusted.header_results} == {("spf", "fail"), ("dmarc", "fail")}
    assert trusted.authserv_ids == ("dm6nam11ft012.mail.protection.outlook.com",)
    assert not Authenticator().authenticate(evidence((other + ar + body).encode()), b"").header_results
    spoofed = Authenticator().authenticate(evidence((ms + forged + body).encode()), b"")
    assert not spoofed.header_results and "mx.google.com" in spoofed.ignored_authserv_ids
