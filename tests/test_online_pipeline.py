"""The whole online analysis against real servers on loopback - nsd for DNS, a recorded-answer
RDAP (HTTP) and WHOIS (port 43) server - and the evidence bundle that replays it.

The seed mail is analysed unmodified: nsd serves ``revapec.cn`` (its link host resolves to
104.129.5.102), the local WHOIS server answers for ``.cn`` as CNNIC does, and IANA-format
bootstrap files send ``.test`` and 104.0.0.0/8 to the local RDAP server. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("dns.resolver", reason="dnspython is not installed (pip install 'mailsleuth[online]')")
pytest.importorskip("httpx", reason="httpx is not installed (pip install 'mailsleuth[online]')")

sys.path.insert(0, str(Path(__file__).resolve().parent / "dns"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "rdap"))
from nsd_server import NsdServer, nsd_binary, start_nsd
from servers import RecordedServers, recorded_servers

import mailsleuth
from mailsleuth.bundle import Bundle, BundleError, replay
from mailsleuth.cli import main
from mailsleuth.enrich.dnsprovider import DnsProvider
from mailsleuth.enrich.journal import AnswerCache, Journal
from mailsleuth.enrich.online import OnlineLookups
from mailsleuth.enrich.rdap import Bootstrap, RdapProvider
from mailsleuth.enrich.registration import FallbackRegistration
from mailsleuth.enrich.whois43 import WhoisProvider

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "ekinet-account-deleted.eml"


@pytest.fixture(scope="module")
def nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsdServer]:
    if nsd_binary() is None:
        pytest.skip("nsd is not installed (apt-get install nsd): the online tests need a real DNS server")
    server = start_nsd(tmp_path_factory.mktemp("nsd"), {"dkim_txt": '"v=DKIM1; p="'})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def servers() -> Iterator[RecordedServers]:
    with recorded_servers() as s:
        yield s


def online_args(nsd: NsdServer, servers: RecordedServers) -> list[str]:
    return ["--online", "--dns-server", nsd.spec, "--dns-timeout", "2", "--rdap-bootstrap", str(servers.bootstrap_dir),
            "--whois-server", f"cn={servers.whois_addr}", "--no-cache"]


def lookups(nsd: NsdServer, servers: RecordedServers, deadline: float = 20.0) -> OnlineLookups:
    reg = FallbackRegistration(
        RdapProvider(Bootstrap.from_iana(*(str(servers.bootstrap_dir / f) for f in ("dns.json", "ipv4.json",
                                                                                    "ipv6.json"))), timeout=3),
        WhoisProvider({"cn": servers.whois_addr}, timeout=3))
    return OnlineLookups(dns=DnsProvider.from_spec(nsd.spec, timeout=2.0), registration=reg, deadline=deadline)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_seed_online_report(nsd: NsdServer, servers: RecordedServers, capsys: pytest.CaptureFixture[str],
                            tmp_path: Path) -> None:
    """The seed mail, online: link host in Los Angeles with its network, the .cn domain's registrar
    and creation date from WHOIS (no RDAP for .cn), and a young-domain finding."""
    code, out = run_cli(capsys, "analyze", str(SEED), "--format", "json", *online_args(nsd, servers),
                        "--bundle", str(tmp_path / "seed.json"))
    assert code == 2
    report = json.loads(out)
    (host,) = [h for h in report["hosting"] if h["host"] == "www.eki-net-member.revapec.cn"]
    (addr,) = host["addresses"]
    assert addr["ip"] == "104.129.5.102" and addr["geo"]["country_code"] == "US"
    assert "Los Angeles" in addr["geo"]["city"] and addr["asn"]["org"]
    (reg,) = [r for r in report["online"]["registrations"] if r["domain"] == "revapec.cn"]
    assert reg["registrar"] == "阿里云计算有限公司（万网）" and reg["created"].startswith("2022-03-21")
    assert reg["source"].startswith("whois:127.0.0.1:")
    young = {f["id"]: f for f in report["findings"]}["YOUNG_DOMAIN"]
    assert "revapec.cn" in young["explanation"]["en"] and "3 days" in young["explanation"]["en"]
    assert "阿里云" in young["explanation"]["ja"]
    # the origin stays where the offline data puts it, with its source and date
    origin = report["enrichment"]["origin"]
    assert origin["geo"]["country_code"] == "CN" and origin["geo"]["region"] == "Jiangsu"
    assert origin["geo"]["source"] and origin["geo"]["source_date"]
    # the brand is domestic and the link's server is not: named with where it is
    far = {f["id"]: f for f in report["findings"]}["LINK_HOSTING_FAR"]
    assert "104.129.5.102" in far["explanation"]["en"] and "Los Angeles" in far["explanation"]["en"]
    # no DNS name of the seed was asked beyond the test's servers, and the link was never fetched
    assert not any("eki-net-member" in r for r in servers.requests)
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    schema = json.loads(resources.files("mailsleuth").joinpath("schema/report.schema.json").read_text("utf-8"))
    jsonschema.validate(report, schema)


def test_bundle_replays_byte_for_byte(nsd: NsdServer, servers: RecordedServers, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    for fmt in ("json", "md", "html"):
        bundle = tmp_path / f"{fmt}.bundle.json"
        code, live = run_cli(capsys, "analyze", str(SEED), "--format", fmt, *online_args(nsd, servers),
                             "--bundle", str(bundle))
        assert code == 2
        if fmt == "json":
            live = json.dumps(json.loads(live), ensure_ascii=False, indent=2) + "\n"
        asked = len(servers.requests)
        code, again = run_cli(capsys, "report", "--from-bundle", str(bundle), "--format", fmt)
        assert code == 2
        assert again == live, f"--format {fmt}: the replayed report differs"
        assert len(servers.requests) == asked  # the replay asked nothing
        b = Bundle.read(bundle)
        assert {e.kind for e in b.answers} >= {"geo", "asn", "dns", "registration-domain"}
        assert b.report == json.loads(again if fmt == "json" else json.dumps(b.report))


def test_bundle_replays_without_any_server(tmp_path: Path, nsd: NsdServer, servers: RecordedServers) -> None:
    """A bundle made elsewhere replays with no server at all: every answer comes from the file."""
    journal = Journal()
    live = mailsleuth.analyze(SEED.read_bytes(), lookups=lookups(nsd, servers), journal=journal)
    from mailsleuth.bundle import make_bundle
    from mailsleuth.enrich import default_enricher

    bundle = make_bundle(SEED.read_bytes(), live, journal, default_enricher(),
                         lookups(nsd, servers))
    text = bundle.to_json()
    # replaying reads only the bundle: a DNS provider pointed at a closed port would fail every question
    again = replay(Bundle.from_json(text))
    assert again.to_dict() == live.to_dict()
    # a question the bundle does not hold is skipped with the reason, never asked
    trimmed = Bundle.from_json(text)
    trimmed.answers = [e for e in trimmed.answers if e.kind != "registration-domain"]
    partial = replay(trimmed).to_dict()
    assert partial["online"]["registrations"] == []
    assert any("bundle holds no answer" in s["reason"] for s in partial["online"]["skipped"])
    assert "YOUNG_DOMAIN" not in {f["id"] for f in partial["findings"]}


def test_bundle_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(BundleError, match="not an evidence bundle"):
        Bundle.from_json('{"format": "something-else"}')
    good = json.loads(Bundle(message=b"From: a@example.org\n\nhi", analysed_at="2026-01-01T00:00:00+00:00",
                             answers=[], report={}).to_json())
    good["message"]["base64"] = "RnJvbTogYkBleGFtcGxlLm9yZwoKaGk="
    with pytest.raises(BundleError, match="altered"):
        Bundle.from_json(json.dumps(good))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["report", "--from-bundle", str(bad)]) == 3
    assert "not JSON" in capsys.readouterr().err


def test_deadline_cuts_slow_lookups_and_replays_the_same(nsd: NsdServer, servers: RecordedServers) -> None:
    """A registry that never answers does not hold the report: past the per-message deadline the
    look-up is reported as skipped, and a replay says the same."""
    slow = RdapProvider(Bootstrap.single(f"http://{servers.silent_addr}/"), timeout=30)
    look = OnlineLookups(dns=DnsProvider.from_spec(nsd.spec, timeout=2.0),
                         registration=FallbackRegistration(slow, WhoisProvider({})), deadline=1.0)
    journal = Journal()
    started = time.monotonic()
    report = mailsleuth.analyze(SEED.read_bytes(), lookups=look, journal=journal)
    assert time.monotonic() - started < 10  # not the registry's 30 s
    reasons = [s["reason"] for s in report.to_dict()["online"]["skipped"]]
    assert any("deadline of 1 s" in r for r in reasons), reasons
    assert report.hosting, "DNS answered within the deadline and is kept"
    from mailsleuth.bundle import make_bundle
    from mailsleuth.enrich import default_enricher

    text = make_bundle(SEED.read_bytes(), report, journal, default_enricher(), look).to_json()
    assert replay(Bundle.from_json(text)).to_dict() == report.to_dict()


def test_answer_cache_reuses_answers_until_they_expire(nsd: NsdServer, servers: RecordedServers,
                                                       tmp_path: Path) -> None:
    now = [1_000_000.0]
    cache = AnswerCache(tmp_path / "answers.sqlite", clock=lambda: now[0])
    look = lookups(nsd, servers)
    first = Journal(cache=cache)
    mailsleuth.analyze(SEED.read_bytes(), lookups=look, journal=first)
    asked = len(servers.requests)
    second = Journal(cache=cache)
    mailsleuth.analyze(SEED.read_bytes(), lookups=look, journal=second)
    assert len(servers.requests) == asked, "the WHOIS answer was asked again instead of reused"
    cached = {(e.kind, e.key) for e in second.entries() if e.cached}
    assert ("registration-domain", "revapec.cn") in cached
    assert any(kind == "dns" for kind, _ in cached)
    now[0] += 2 * 86400  # past the registration answer's TTL (one day)
    third = Journal(cache=cache)
    mailsleuth.analyze(SEED.read_bytes(), lookups=look, journal=third)
    assert len(servers.requests) > asked
    assert cache.purge() >= 0


def mail_with_link(url: str, subject: str = "Notice") -> bytes:
    return (f"From: Shop <news@example.org>\nTo: you@example.jp\nSubject: {subject}\n"
            "Date: Tue, 22 Mar 2022 18:02:00 +0900\nMessage-ID: <1@example.org>\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n\n"
            f"Please see {url} for details.\n").encode()


def findings(raw: bytes, look: OnlineLookups) -> dict[str, Any]:
    return {f.id: f for f in mailsleuth.analyze(raw, lookups=look).findings}


def test_parked_and_missing_link_hosts(nsd: NsdServer, servers: RecordedServers) -> None:
    look = lookups(nsd, servers)
    parked = findings(mail_with_link("http://www.parked.test/login"), look)
    assert "LINK_HOST_PARKED" in parked and "Sedo" in parked["LINK_HOST_PARKED"].explanation["en"]
    missing = findings(mail_with_link("http://gone.revapec.test/login"), look)
    assert "LINK_HOST_NO_DNS" in missing and "gone.revapec.test" in missing["LINK_HOST_NO_DNS"].explanation["en"]
    fine = findings(mail_with_link("http://www.eki-net-member.revapec.test/"), look)
    assert not {"LINK_HOST_PARKED", "LINK_HOST_NO_DNS"} & set(fine)
    # a link to an existing host of an old domain: no young-domain finding (revapec.test was
    # registered 2022-03-21; this mail is from 2022-03-22, so it IS young - the same mail a year on is not)
    old = findings(mail_with_link("http://www.eki-net-member.revapec.test/").replace(b"2022", b"2023"), look)
    assert "YOUNG_DOMAIN" in fine and "YOUNG_DOMAIN" not in old


def test_hosting_far_needs_a_domestic_brand(nsd: NsdServer, servers: RecordedServers) -> None:
    look = lookups(nsd, servers)
    plain = findings(mail_with_link("http://www.eki-net-member.revapec.test/"), look)
    assert "LINK_HOSTING_FAR" not in plain  # no brand claimed: abroad is nothing special
    claimed = findings(mail_with_link("http://www.eki-net-member.revapec.test/", "【えきねっと】お知らせ")
                       .replace(b"Shop <news", "えきねっと <news".encode()), look)
    assert "LINK_HOSTING_FAR" in claimed


def test_online_checks_stay_silent_offline() -> None:
    report = mailsleuth.analyze(SEED.read_bytes())
    ids = {f.id for f in report.findings}
    assert not ids & {"YOUNG_DOMAIN", "LINK_HOST_NO_DNS", "LINK_HOST_PARKED", "LINK_HOSTING_FAR", "REPUTATION_LISTED"}
    assert "online" not in report.to_dict()


def test_online_options_need_online(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(SEED), "--rdap-url", "http://127.0.0.1:9/"]) == 4
    assert "needs --online" in capsys.readouterr().err
    assert main(["analyze", str(SEED), "--online", "--whois-server", "cn"]) == 4
    assert "TLD=HOST" in capsys.readouterr().err


def test_bundle_replay_makes_no_connection(nsd: NsdServer, servers: RecordedServers, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """An online bundle re-rendered in a network namespace with no route: no connect() at all."""
    from test_offline_guarantee import INET_CONNECT, _traced

    bundle = tmp_path / "seed.bundle.json"
    code, live = run_cli(capsys, "analyze", str(SEED), "--format", "md", "--lang", "en", *online_args(nsd, servers),
                         "--bundle", str(bundle))
    assert code == 2
    proc, trace = _traced(tmp_path, "report", "--from-bundle", str(bundle), "--format", "md", "--lang", "en")
    assert proc.returncode == 2, proc.stderr.decode(errors="replace")[-2000:]
    assert proc.stdout.decode() == live
    assert not INET_CONNECT.findall(trace)


def test_config_file_turns_online_on(nsd: NsdServer, servers: RecordedServers, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Settings from the config file alone: online without --online, the bootstrap fetched from a
    mirror's URL (kept beside the cache for a week), WHOIS per TLD, the answer cache where it says."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""[online]
enabled = true
dns_server = "{nsd.spec}"
rdap_bootstrap = "{servers.rdap_base}iana/"
whois_servers = {{ cn = "{servers.whois_addr}" }}
cache = "{tmp_path / 'cache' / 'answers.sqlite'}"
deadline = 15
""", encoding="utf-8")
    code, out = run_cli(capsys, "analyze", str(SEED), "--format", "json", "--config", str(cfg))
    assert code == 2
    report = json.loads(out)
    assert [r["domain"] for r in report["online"]["registrations"]] == ["revapec.cn"]
    assert report["online"]["deadline"] == 15
    assert "/iana/dns.json" in servers.requests
    assert (tmp_path / "cache" / "rdap-bootstrap" / "dns.json").is_file()
    assert (tmp_path / "cache" / "answers.sqlite").is_file()
    cfg.write_text("[online]\nenabled = true\nresolver = '1.1.1.1'\n", encoding="utf-8")
    assert main(["analyze", str(SEED), "--config", str(cfg)]) == 4
    assert "unknown setting online.resolver" in capsys.readouterr().err
