"""Forwards: the forwarded message is what gets analysed, not the person who forwarded it."""

from __future__ import annotations

import time

from mailsleuth.brands import BrandIndex
from mailsleuth.evidence import gather
from mailsleuth.forwarded import find_attached_forward, find_inline_forward
from mailsleuth.mime import parse_message


def _outer(subject: str, body: str, *, from_: str = "Ken <ken@example.net>", ctype: str = "text/plain") -> bytes:
    return ("Received: from mx.example.net (mx.example.net [192.0.2.7]) by in.example.org; "
            "Tue, 7 Mar 2023 10:00 +0900\n"
            f"From: {from_}\nTo: help@example.org\nSubject: {subject}\nMessage-ID: <f1@example.net>\n"
            f"Return-Path: <ken@example.net>\nMIME-Version: 1.0\nContent-Type: {ctype}; charset=utf-8\n"
            f"Content-Transfer-Encoding: 8bit\n\n{body}").encode()


def test_outlook_portuguese_with_on_behalf() -> None:
    text = ("\n________________________________\nDe: asdas <s@x.example> em nome de Security-Notice. <news@y.example>\n"
            "Enviado: terça-feira, 14 de fevereiro de 2023 12:49\nPara: eu <eu@example.org>\n"
            "Assunto: Unusual sign-in activity\n\nWe detected something unusual.\n")
    fwd = find_inline_forward(text, "Fw: Unusual sign-in activity")
    assert fwd is not None
    assert (fwd.from_name, fwd.from_address) == ("Security-Notice.", "news@y.example")
    assert fwd.subject == "Unusual sign-in activity"
    assert fwd.date.startswith("terça-feira")
    assert fwd.text.strip() == "We detected something unusual."
    assert text[fwd.offset:] == fwd.text


def test_display_name_only() -> None:
    text = "________________________________\nDe: AARON RAMSEY\nEnviado: 27 de março\nAssunto: Re: Payment\n\nATTN\n"
    fwd = find_inline_forward(text, "Fw: Payment")
    assert fwd is not None and (fwd.from_name, fwd.from_address) == ("AARON RAMSEY", "")
    assert fwd.subject == "Re: Payment"


def test_gmail_with_note_and_folded_address() -> None:
    text = ("have a look\n\n---------- Forwarded message ---------\n"
            "From: Estela <relacionamento@divulga.example.com.br\n>\nDate: Mon, Mar 6, 2023 at 1:34 PM\n"
            "Subject: Presença digital\nTo: <me@example.org>\n\n\nBaixe o checklist\n")
    fwd = find_inline_forward(text, "Fwd: Presença digital")
    assert fwd is not None
    assert fwd.from_address == "relacionamento@divulga.example.com.br" and fwd.note == "have a look"
    assert fwd.text.strip() == "Baixe o checklist"


def test_apple_mail_quoted_with_reply_to() -> None:
    text = ("Begin forwarded message:\n\n> From: Bank <alerts@bank.example>\n> Subject: Locked\n"
            "> Date: 6 March 2023\n> To: me@example.org\n> Reply-To: Desk <desk@other.example>\n>\n> Unlock now\n")
    fwd = find_inline_forward(text, "Fwd: Locked")
    assert fwd is not None and fwd.from_address == "alerts@bank.example"
    assert fwd.reply_to == (("Desk", "desk@other.example"),)


def test_thunderbird_french_german_dutch_italian() -> None:
    for sep, names in [("-------- Message transféré --------", ("Sujet", "De", "Date", "Objet")),
                       ("-------- Weitergeleitete Nachricht --------", ("Betreff", "Von", "Datum", "Betreff")),
                       ("---------- Doorgestuurd bericht ---------", ("x", "Van", "Verzonden", "Onderwerp")),
                       ("---------- Messaggio inoltrato ----------", ("x", "Da", "Inviato", "Oggetto"))]:
        text = f"{sep}\n{names[1]} : Shop <a@shop.example>\n{names[2]}: 6.3.2023\n{names[3]}: Angebot\n\nText\n"
        fwd = find_inline_forward(text, "")
        assert fwd is not None, sep
        assert fwd.from_address == "a@shop.example" and fwd.subject == "Angebot", sep


def test_japanese_outlook() -> None:
    text = ("確認お願いします。\n\n-----Original Message-----\n差出人: 楽天カード <info@rakuten-card.example>\n"
            "送信日時: 2023年3月6日 10:00\n宛先: 山田 <yamada@example.jp>\n件名: 【重要】ご利用確認\n\n本文です\n")
    assert find_inline_forward(text, "RE: 【重要】ご利用確認") is None  # a reply quotes; it does not forward
    fwd = find_inline_forward(text, "転送: 【重要】ご利用確認")
    assert fwd is not None and fwd.from_name == "楽天カード" and fwd.subject == "【重要】ご利用確認"
    assert fwd.text.strip() == "本文です"


def test_reply_is_no_forward() -> None:
    text = ("Sounds good.\n\n________________________________\n"
            "From: Ken <ken@example.net>\nSent: Monday\nSubject: Lunch\n\nHi\n")
    assert find_inline_forward(text, "Re: Lunch") is None
    assert find_inline_forward(text, "Lunch") is None  # Outlook's underscores alone say nothing of a forward


def test_block_deep_in_a_long_note_is_no_forward() -> None:
    note = "".join(f"line {i} of a long discussion\n" for i in range(40))
    text = note + "---------- Forwarded message ---------\nFrom: a@b.example\nSubject: x\n\ny\n"
    assert find_inline_forward(text, "Fwd: x") is None


def test_hostile_separator_lines_are_linear() -> None:
    for text in ["_" * 1_000_000, "________________________________\n" * 30_000,
                 "---------- Forwarded message ---------\n" + "From: a\n" * 100_000, "De:" * 300_000]:
        start = time.perf_counter()
        find_inline_forward(text, "Fw: x")
        assert time.perf_counter() - start < 0.5


def test_gather_judges_the_inline_forwarded_sender() -> None:
    body = ("\n________________________________\nDe: Meta-support <info@knitters.example>\nEnviado: 27 de fevereiro\n"
            "Para: eu <eu@example.org>\nAssunto: Someone tried to log in\n\nVerify at https://login.example.net/x\n")
    ev = gather(parse_message(_outer("Fw: Someone tried to log in", body)), brand_index=BrandIndex.load(),
                countries=None)
    assert ev.from_addr is not None and ev.from_addr.address == "info@knitters.example"
    assert ev.forwarded_by is not None and ev.forwarded_by.address == "ken@example.net"
    assert ev.subject == "Someone tried to log in"
    assert ev.return_path is None and ev.sender is None and ev.message_id == "" and ev.origin_index is None
    assert ev.text.startswith("\nVerify") and [link.host for link in ev.links] == ["login.example.net"]


def test_gather_plain_mail_is_no_forward() -> None:
    ev = gather(parse_message(_outer("Lunch", "See you at noon.\n")), brand_index=BrandIndex.load(), countries=None)
    assert ev.forwarded_by is None and ev.inline_forward is None
    assert ev.from_addr is not None and ev.from_addr.address == "ken@example.net"


_ATTACHED = ("--b\nContent-Type: text/plain; charset=utf-8\n\nSee the mail below, is it real?\n"
             "--b\nContent-Type: message/rfc822\n\n"
             "Received: from evil.example (unknown [203.0.113.9]) by mx.example.net; Mon, 6 Mar 2023 10:00 +0000\n"
             "From: Bank <alerts@bank-secure.example>\nSubject: Account locked\nDate: Mon, 6 Mar 2023 10:00 +0000\n"
             "Message-ID: <x@evil.example>\nContent-Type: text/plain\n\nUnlock at https://bank-secure.example/u\n"
             "--b--\n")


def test_forward_as_attachment_is_analysed_whole() -> None:
    msg = parse_message(_outer("Fwd: Account locked", _ATTACHED, ctype='multipart/mixed; boundary="b"'))
    found = find_attached_forward(msg)
    assert found is not None and found[0].get("Subject") == "Account locked"
    assert found[1].startswith(b"Received: from evil.example")
    ev = gather(msg, brand_index=BrandIndex.load(), countries=None)
    assert ev.from_addr is not None and ev.from_addr.address == "alerts@bank-secure.example"
    assert ev.forwarded_by is not None and ev.forwarded_by.address == "ken@example.net"
    assert ev.inline_forward is None and ev.message_id == "<x@evil.example>"
    assert [h.ip for h in ev.hops] == ["203.0.113.9"]  # the original's own route
    assert ev.raw == found[1]  # what online DKIM verifies


def test_bounce_and_report_are_no_forward() -> None:
    bounce = _outer("Undelivered Mail Returned to Sender", _ATTACHED, ctype='multipart/mixed; boundary="b"',
                    from_="MAILER-DAEMON@mx.example.net")
    assert find_attached_forward(parse_message(bounce)) is None
    report = _outer("Delivery report", _ATTACHED, ctype='multipart/report; report-type=delivery-status; boundary="b"')
    assert find_attached_forward(parse_message(report)) is None
    long_note = _ATTACHED.replace("is it real?", "is it real? " + "we discussed this at length. " * 100)
    assert find_attached_forward(parse_message(_outer("x", long_note, ctype='multipart/mixed; boundary="b"'))) is None
