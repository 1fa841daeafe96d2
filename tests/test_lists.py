"""Domain lists (data/lists/*.txt) and their lookups (mailsleuth.lists)."""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable

import pytest

from mailsleuth.lists import domain_set, in_list, list_names, tld_is_suspicious

EXPECTED = {
    "free_email_providers",
    "japanese_free_email_providers",
    "disposable_email_providers",
    "url_shorteners",
    "suspicious_tlds",
    "free_file_hosts",
    "free_subdomain_hosts",
    "bulk_mailer_url_root_domains",
    "self_service_creation_platform_domains",
    "popular_domains",
}
# A host name in lower-case ASCII: labels of letters, digits and inner hyphens, dot-separated.
HOSTNAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def lists_dir() -> Traversable:
    return resources.files("mailsleuth").joinpath("data", "lists")


def test_all_lists_are_shipped() -> None:
    assert set(list_names()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_list_loads_with_clean_entries(name: str) -> None:
    entries = domain_set(name)
    assert len(entries) >= 10
    for entry in entries:
        assert HOSTNAME.fullmatch(entry), (name, entry)
        if name != "suspicious_tlds":
            assert "." in entry, (name, entry)  # a domain, never a bare top-level domain


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_file_header_names_its_source(name: str) -> None:
    first = lists_dir().joinpath(f"{name}.txt").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# source: ")
    if name != "japanese_free_email_providers":
        assert "sublime-security/static-files" in first and "LICENSE-sublime-static-files" in first


def test_sublime_licence_is_kept() -> None:
    text = lists_dir().joinpath("LICENSE-sublime-static-files").read_text(encoding="utf-8")
    assert "Sublime Security" in text and "Permission is hereby granted" in text


def test_upstream_garbage_is_gone() -> None:
    free = domain_set("free_email_providers")
    assert "atlanticbb.net" in free  # upstream had a trailing no-break space
    assert "tempemail.net" in free  # upstream had TempEmail.net: lower-cased
    assert not {e for e in free if "*" in e or " " in e}
    assert "wordpress.com" in domain_set("free_subdomain_hosts")  # upstream had a trailing space


def test_japanese_list_adds_only_missing_domains() -> None:
    japanese = domain_set("japanese_free_email_providers")
    assert {"docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp"} <= japanese
    assert not japanese & domain_set("free_email_providers")


@pytest.mark.parametrize(
    ("name", "domain", "expected"),
    [
        ("free_email_providers", "yahoo.co.jp", True),
        ("free_email_providers", "mail.yahoo.co.jp", True),  # parent domain is listed
        ("free_email_providers", "MAIL.Yahoo.CO.JP.", True),  # case and the root dot do not matter
        ("free_email_providers", "taro@gmail.com", True),  # an address: its domain is used
        ("free_email_providers", "yahoo.co.jp.evil.example", False),  # listed name is not a parent
        ("free_email_providers", "notgmail.com", False),  # label boundary, not a substring
        ("free_email_providers", "com", False),
        ("free_email_providers", "", False),
        ("japanese_free_email_providers", "docomo.ne.jp", True),
        ("japanese_free_email_providers", "ne.auone-net.jp", True),  # under auone-net.jp
        ("japanese_free_email_providers", "ne.jp", False),
        ("url_shorteners", "bit.ly", True),
        ("url_shorteners", "例え.jp", False),  # Unicode names are looked up in IDNA form
        ("free_file_hosts", "drive.google.com", True),
        ("free_subdomain_hosts", "my-shop.000webhostapp.com", True),
    ],
)
def test_in_list(name: str, domain: str, expected: bool) -> None:
    assert in_list(name, domain) is expected


def test_unknown_list_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="url_shorteners"):
        in_list("free_email", "gmail.com")


@pytest.mark.parametrize(
    "host",
    [
        "foo.cn",
        "foo.xyz",
        "a.b.co.za",
        "login.example.tk",
        "example.com",
        "x.ne.jp",
        "shop.tokyo",
        "ac.th",
        "xyz",
        "",
    ],
)
def test_tld_is_suspicious_follows_the_list(host: str) -> None:
    tlds = domain_set("suspicious_tlds")
    labels = host.split(".")
    expected = any(".".join(labels[i:]) in tlds for i in range(1, len(labels)))
    assert tld_is_suspicious(host) is expected


def test_tld_examples() -> None:
    assert "cn" not in domain_set("suspicious_tlds")
    assert tld_is_suspicious("foo.cn") is False
    assert tld_is_suspicious("FOO.XYZ.") is True
    assert tld_is_suspicious("a.b.co.za") is True  # listed public suffix
    assert tld_is_suspicious("xyz") is False  # a bare top-level domain is not a host


def test_popular_domains_are_never_lookalikes() -> None:
    """A brand's own short or CDN domains resemble its main one; ranked among the most visited
    sites, they are no look-alikes. A fresh one-letter twist still is."""
    from mailsleuth.brands import BrandIndex
    from mailsleuth.lookalike import find_lookalike

    index = BrandIndex.load()
    assert {"youtu.be", "yimg.com", "google.ro"} <= domain_set("popular_domains")
    for domain in ("youtu.be", "yimg.com", "google.ro"):
        assert find_lookalike(domain, index) is None
    found = find_lookalike("youtub3.com", index)
    assert found is not None and found.official == "youtube.com"


def test_five_letter_brand_labels_take_no_typos() -> None:
    """One letter away from a five-letter label is too often another company (Tesco for TEPCO);
    six letters and more still catch the typo squat."""
    from mailsleuth.brands import BrandIndex
    from mailsleuth.lookalike import find_lookalike

    index = BrandIndex.load()
    assert find_lookalike("tesco.net", index) is None
    found = find_lookalike("amazom.co.jp", index)
    assert found is not None and found.kind == "typo"
