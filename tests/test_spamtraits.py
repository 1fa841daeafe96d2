"""Unit tests of the ad traits in checks/adtricks.py and of the open-redirect reading in
checks/evasion.py: synthetic values only."""

from __future__ import annotations

import time

from mailsleuth.checks.adtricks import disguised_words, dressed, throwaway_reason
from mailsleuth.checks.evasion import empty_spacer, pushed_offscreen, redirect_target
from mailsleuth.domains import registrable_domain
from mailsleuth.models import Link


def test_disguised_words_reads_lookalikes() -> None:
    found = disguised_words("BEST VlAGRA and C!al!s, C0NGRATS, F-R-E-E, 2ND ATTEMPT F0R YOU")
    words = {w.rsplit(" -> ", 1)[1] for w in found}
    assert words == {"viagra", "cialis", "congrats", "free", "for"}


def test_disguised_words_leaves_plain_and_natural_words() -> None:
    assert disguised_words("Cialis, FREE delivery, bioanalysis by Ioan, freeze, essex, A0SC480A4S, 4f3e2a1b") == []


def test_dressed() -> None:
    assert dressed("_You're_on_our_List_")
    assert dressed("#Harbor_Freight_Rewards#")
    assert dressed("Get_Rid_of_Back_Pain")
    assert not dressed("Re: __init__ imports")
    assert not dressed("fix_foo_bar in parser")
    assert not dressed("__")


def test_throwaway_reason() -> None:
    assert throwaway_reason("lina_jeri_63097@offers.example.com")
    assert throwaway_reason("x@r.a.g.n.a.r.x.k60.example.shop")
    assert throwaway_reason("70686973682d6d65406578616d706c652e636f6d@example.org")  # hex of an address
    assert not throwaway_reason("lina.jeri@example.com")
    assert not throwaway_reason("a.b@example.co.uk")
    assert not throwaway_reason("1234567890123456789012@example.org")  # digits only: an account number


def test_redirect_target_reads_percent_encoded_target() -> None:
    url = "https://www.google.com/url?q=h%74%74%70%3A%2F%2Fpills-shop.example.zone%2F&sa=D"
    link = Link(url=url, host="www.google.com", registrable_domain=registrable_domain("www.google.com"),
                text="", source="href")
    assert redirect_target(link) == ("google.com", "pills-shop.example.zone")


def test_hostile_input_stays_fast() -> None:
    start = time.perf_counter()
    disguised_words("V.l." * 250_000)
    disguised_words("l0" * 500_000)
    dressed("_" * 1_000_000)
    throwaway_reason("a." * 100_000 + "@" + "b." * 100_000)
    empty_spacer("<p style='height: 1201px;' " * 40_000)
    empty_spacer("<div style=\"height:999px\">" + " " * 1_000_000)
    assert time.perf_counter() - start < 5.0


def test_empty_spacer() -> None:
    ad = '<a href="https://ad.example/x"><img src="a.png"></a><p style="height: 1201px;"></p><p>newsletter</p>'
    assert empty_spacer(ad) == "empty block, height: 1201px"
    assert empty_spacer('<td style="height: 900px">&nbsp;<br></td>')
    assert not empty_spacer('<p style="height: 1201px;">a picture caption</p>')  # it holds text
    assert not empty_spacer('<div style="height: 300px"></div>')  # a banner's height
    assert not empty_spacer('<img style="height: 1200px" src="x.png">')  # a tall picture, not a block
    assert pushed_offscreen(ad) is None


def test_form_field_patterns() -> None:
    from mailsleuth.checks.formabuse import _ARROW_LINK_RE, _GREETING_LINK_RE

    assert _GREETING_LINK_RE.search("Hi \u2705 +$1,733 \u27a1\ufe0f https://forms.example.net/x")
    assert _GREETING_LINK_RE.search("Hola \u67d0\u67d0\uff0c\u7f51\u7ad9\uff1ashort.cc/xYz,")
    assert not _GREETING_LINK_RE.search("Hi Ken, the slides: https://wiki.example.org/slides")
    assert _ARROW_LINK_RE.search("FREE BTC >> https://forms.example.net/x")
    assert not _ARROW_LINK_RE.search(">> https://quoted.example.net/x")
    assert not _ARROW_LINK_RE.search("global warming.\u00bb    http://www.example.com")
    start = time.perf_counter()
    for text in ("hi " + "1" * 1_000_000, ("hi " + "$" * 150 + "\n") * 5000, "a >>" * 250_000):
        _GREETING_LINK_RE.search(text[:20_000])
        list(_ARROW_LINK_RE.finditer(text[:20_000]))
    assert time.perf_counter() - start < 2.0


def test_a_brand_linking_to_its_other_domains_is_related() -> None:
    """microsoft.com mail that links to account.live.com links to its own brand."""
    import mailsleuth

    data = (b"From: Microsoft account team <account-security-noreply@accountprotection.microsoft.com>\n"
            b"To: a@example.net\nSubject: Microsoft account security info\nContent-Type: text/plain\n\n"
            b"Review recent activity: https://account.live.com/activity\n")
    assert "SENDER_UNRELATED_TO_LINKS" not in {f.id for f in mailsleuth.analyze(data).findings}
    other = data.replace(b"https://account.live.com/activity", b"https://review-activity.example-host.net/")
    assert "SENDER_UNRELATED_TO_LINKS" in {f.id for f in mailsleuth.analyze(other).findings}
