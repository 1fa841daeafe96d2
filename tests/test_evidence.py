"""Evidence gathering: facts the checks rely on, each from a small synthetic mail."""

from __future__ import annotations

from pathlib import Path

import pytest

import mailsleuth
from mailsleuth.normalize import fold
from mailsleuth.stamps import strip_subject_stamps

LIST_MAIL = b"""Received: from lists.sourceforge.net (lists.sourceforge.net [216.105.38.7])
\tby mail.example.de (Postfix) with ESMTPS id 35F4A21771E
\tfor <lists+demo@example.de>; Tue,  7 Jul 2020 20:51:55 +0200 (CEST)
Received: from [127.0.0.1] (helo=sfs-ml-1.v29.lw.sourceforge.com)
\tby sfs-ml-1.v29.lw.sourceforge.com with esmtp (Exim 4.90_1)
\tid 1jssh8-00024S-0z; Tue, 07 Jul 2020 18:51:55 +0000
Received: from [114.230.236.207] (helo=mail.phish.example)
\tby sfi-mx-4.v28.lw.sourceforge.com with esmtp (Exim 4.92.2)
\tid 1jssh5-00DU0z-Q1
\tfor demo-devel@lists.sourceforge.net; Tue, 07 Jul 2020 18:51:53 +0000
From: =?UTF-8?B?44GI44GN44Gt44Gj44Go?= via Demo-devel <demo-devel@lists.sourceforge.net>
Reply-To: =?UTF-8?B?44GI44GN44Gt44Gj44Go?= <info@faxohbr.cn>
Subject: [Demo-devel] [spam] =?UTF-8?B?44CQ6YeN6KaB44CR44GK55+l44KJ44Gb?=
List-Id: <demo-devel.lists.sourceforge.net>
List-Post: <mailto:demo-devel@lists.sourceforge.net>
List-Unsubscribe: <https://lists.sourceforge.net/lists/options/demo-devel>
Message-ID: <x1@faxohbr.cn>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

\xe3\x81\x93\xe3\x81\xa1\xe3\x82\x89 https://www.eki-net-member.revapec.cn/
_______________________________________________
Demo-devel mailing list
https://lists.sourceforge.net/lists/listinfo/demo-devel
"""


def test_list_mail_analyses_the_original_sender() -> None:
    out = mailsleuth.analyze(LIST_MAIL).to_dict()
    assert out["sender"]["address"] == "info@faxohbr.cn"  # from Reply-To, not the list
    assert out["sender"]["display_name"] == "えきねっと"  # " via Demo-devel" removed
    assert out["headers"]["from"]["address"] == "demo-devel@lists.sourceforge.net"
    assert out["headers"]["list_id"] == "demo-devel.lists.sourceforge.net"
    assert out["subject"] == "【重要】お知らせ"  # list tag and stamp both removed
    assert out["spam_stamps"] == ["[spam]"]
    assert out["origin"]["ip"] == "114.230.236.207"  # the list's relays are inside, the sender's hop is not
    hosts = [link["host"] for link in out["links"]]
    assert "lists.sourceforge.net" not in hosts  # the list footer is not held against the mail
    assert "www.eki-net-member.revapec.cn" in hosts
    assert out["brand"]["id"] == "eki-net"


@pytest.mark.parametrize(
    ("subject", "clean", "stamps"),
    [
        ("[spam] hello", "hello", ["[spam]"]),
        ("[SPAM] hello", "hello", ["[SPAM]"]),
        ("***SPAM*** hello", "hello", ["***SPAM***"]),
        ("[meiwaku] [spam] hello", "hello", ["[meiwaku]", "[spam]"]),
        ("hello [spam]", "hello [spam]", []),  # not at the start: the sender wrote it
        ("[spammers] wanted", "[spammers] wanted", []),
    ],
)
def test_subject_stamps(subject: str, clean: str, stamps: list[str]) -> None:
    assert strip_subject_stamps(subject) == (clean, stamps)


def test_header_stamps() -> None:
    base = b"From: a@example.org\nSubject: hi\n%s\n\nbody\n"
    yes = mailsleuth.analyze(base % b"X-Spam-Flag: YES").spam_stamps
    status = mailsleuth.analyze(base % b"X-Spam-Status: Yes, score=7.1 required=5.0").spam_stamps
    no = mailsleuth.analyze(base % b"X-Spam-Status: No, score=0.1 required=5.0").spam_stamps
    assert yes == ["X-Spam-Flag: YES"] and status and no == []


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("ｴｷﾈｯﾄ", "えきねっと"),  # half-width katakana
        ("エキネット", "えきねっと"),  # katakana
        ("Ｅｋｉ－Ｎｅｔ", "eki-net"),  # full-width letters
        ("メルカ\u2064リ", "めるかり"),  # invisible separator
        ("Ama\u200bzon", "amazon"),  # zero-width space
        ("  JR東日本  ", "jr東日本"),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_display_name_is_normalised_for_matching() -> None:
    mail = b"From: =?UTF-8?B?77207723776I772v776E?= <x@faxohbr.cn>\nSubject: x\n\nbody\n"
    report = mailsleuth.analyze(mail)
    assert report.sender is not None
    assert report.sender.display_name == "えきねっと"
    assert report.brand is not None and report.brand.id == "eki-net"


def test_links_from_html_forms_images_and_text() -> None:
    mail = (
        b"From: a@example.org\nSubject: x\nContent-Type: text/html; charset=utf-8\n\n"
        b'<a href="https://evil.example.net/a">https://www.amazon.co.jp/</a>'
        b'<form action="https://collect.example.com/post"><input type=password name=pw></form>'
        b'<img src="https://cdn.example.org/logo.png">'
        b"<p>or visit www.plain-text.example.com/x</p>"
    )
    links = {(x.source, x.host) for x in mailsleuth.analyze(mail).links}
    assert {("href", "evil.example.net"), ("form", "collect.example.com"), ("img", "cdn.example.org"),
            ("text", "www.plain-text.example.com")} <= links


def test_message_id_domain() -> None:
    out = mailsleuth.analyze((Path(__file__).parents[1] / "examples" / "ekinet-account-deleted.eml").read_bytes())
    assert out.message_id_domain == "faxohbr.cn"


def test_blank_plain_part_gives_way_to_the_html_body() -> None:
    """Some bulk mailers send a text/plain part of one space beside the real HTML body: the text the
    checks read is then the HTML's, not nothing."""
    from mailsleuth.brands import BrandIndex
    from mailsleuth.evidence import gather
    from mailsleuth.mime import parse_message

    data = (b"From: a@example.org\nSubject: hi\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/alternative; boundary="b"\n\n'
            b"--b\nContent-Type: text/plain\n\n \n"
            b"--b\nContent-Type: text/html\n\n<p>Write to my private e-mail</p>\n--b--\n")
    ev = gather(parse_message(data), brand_index=BrandIndex.load(), countries=None)
    assert "Write to my private e-mail" in ev.text
    said = data.replace(b"\n \n--b", b"\nHello there\n--b")
    ev = gather(parse_message(said), brand_index=BrandIndex.load(), countries=None)
    assert ev.text.strip() == "Hello there"


def test_list_id_alone_does_not_hide_the_mails_own_links() -> None:
    """A List-Id and List-Unsubscribe cost a phisher nothing: on his own domain they must not turn
    the lure's links into 'the list's links' that the link checks skip. A list that relays posts
    (List-Post) keeps apart only the links on the very hosts its headers name (its footer)."""
    base = ("From: Amazon <info@amazon-secure.example>\nSubject: Your account\n"
            "List-Id: <news.revapec.cn>\nList-Unsubscribe: <https://www.revapec.cn/u>\n{extra}"
            "Content-Type: text/plain\n\nSign in: https://www.amazon-login.revapec.cn/signin\n")
    newsletter = mailsleuth.analyze(base.format(extra="").encode())
    assert "LINK_BRAND_IN_FOREIGN_DOMAIN" in {f.id for f in newsletter.findings}
    relayed = mailsleuth.analyze(base.format(extra="List-Post: <mailto:news@revapec.cn>\n").encode())
    assert "LINK_BRAND_IN_FOREIGN_DOMAIN" in {f.id for f in relayed.findings}  # another host of that domain
    footer = base.format(extra="List-Post: <mailto:news@revapec.cn>\n").replace(
        "Sign in: https://www.amazon-login.revapec.cn/signin", "Unsubscribe: https://www.revapec.cn/u")
    from mailsleuth.brands import BrandIndex
    from mailsleuth.evidence import gather
    from mailsleuth.mime import parse_message

    ev = gather(parse_message(footer.encode()), brand_index=BrandIndex.load(), countries=None)
    assert [link.host for link in ev.list_links] == ["www.revapec.cn"] and not ev.links


def test_a_bare_list_id_does_not_move_the_origin() -> None:
    """A sender that stamps List-Id / List-Unsubscribe on its own domain must not make its own
    server 'inside' and push the origin down to a Received line it wrote itself."""
    forged = ("from mail.amazon.com (mail.amazon.com [52.95.48.1]) by relay.evil.example "
              "with ESMTP id x; Tue, 22 Mar 2022 18:00:00 +0900")
    top = ("from relay.evil.example (relay.evil.example [45.67.89.10]) by mx.example.net (Postfix) "
           "with ESMTP id y; Tue, 22 Mar 2022 18:02:11 +0900")
    head = (f"Received: {top}\nReceived: {forged}\nFrom: Amazon <no-reply@amazon.com>\nSubject: Account\n"
            "List-Id: <news.evil.example>\nList-Unsubscribe: <https://relay.evil.example/u>\n{extra}"
            "Content-Type: text/plain\n\nhello\n")
    newsletter = mailsleuth.analyze(head.format(extra="").encode())
    assert newsletter.origin is not None and newsletter.origin.ip == "45.67.89.10"
    relayed = mailsleuth.analyze(head.format(extra="List-Post: <mailto:news@evil.example>\n").encode())
    assert relayed.origin is not None and relayed.origin.ip == "52.95.48.1"  # a real list's relays are inside
