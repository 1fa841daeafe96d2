"""The MIME parser: synthetic fixtures for each problem real mail has, hostile input, and the
reference corpus (skipped without ../shared)."""

from __future__ import annotations

import base64
import csv
import email
import email.policy
import re
import time
from pathlib import Path

import pytest

from mailsleuth.mime import MAX_DEPTH, MAX_PARTS, MAX_TEXT_CHARS, parse_addresses, parse_message
from mailsleuth.models import ParsedMessage

FIXTURES = Path(__file__).resolve().parent / "data" / "mime"
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?]*\?=")


def fixture(name: str) -> ParsedMessage:
    return parse_message((FIXTURES / name).read_bytes())


def texts(msg: ParsedMessage) -> list[str]:
    return [p.text for p in msg.parts if p.text is not None]


# --- fixtures -------------------------------------------------------------------------------


def test_every_fixture_says_what_it_reproduces() -> None:
    files = sorted(FIXTURES.glob("*.eml"))
    assert len(files) >= 9
    for path in files:
        assert path.read_bytes().startswith(b"X-Fixture-Comment: "), path.name


def test_iso2022jp_microsoft_extensions() -> None:
    msg = fixture("iso2022jp-ms.eml")
    assert msg.get("subject") == "①ご請求のお知らせ"
    assert msg.get("from") == "髙橋商事 <info@example.co.jp>"
    (text,) = msg.text_parts
    assert "①ご利用確認" in text
    assert "株式会社髙橋商事（㈱）担当：山﨑" in text
    assert "３㍉" in text and "⑳" in text
    assert text.count("ｱｲｳ") == 2  # ESC ( I and SO/SI
    assert "\ufffd" not in text and "\x1b" not in text
    assert msg.warnings == []


def test_subject_split_mid_character() -> None:
    msg = fixture("subject-split-utf8.eml")
    assert msg.get("subject") == "【Amazon】アカウント確認のお願い"
    assert msg.get("thread-topic") == "お知らせ"
    assert parse_addresses(msg.raw("from")[0]) == [("アマゾン", "no-reply@example.net")]


def test_shift_jis_labelled_iso2022jp() -> None:
    msg = fixture("sjis-labelled-iso2022jp.eml")
    assert msg.text_parts == ["お客様のアカウントが一時停止されました。①下記URLからログインしてください。\n"]
    assert msg.parts[0].charset == "iso-2022-jp"  # as declared
    assert any("iso-2022-jp" in w and "cp932" in w for w in msg.warnings)


def test_raw_8bit_headers() -> None:
    msg = fixture("raw-8bit-headers.eml")
    assert msg.get("subject") == "【重要】お支払い方法の確認"
    assert msg.get("x-note") == "ご確認ください"
    assert parse_addresses(msg.raw("from")[0]) == [("三井住友カード", "info@example.com")]
    assert parse_addresses(msg.raw("to")[0]) == [("山田 太郎", "taro@example.jp")]
    # The raw value keeps every byte: valid UTF-8 as text, other bytes as surrogate escapes.
    raw_from = msg.raw("from")[0].encode("utf-8", "surrogateescape")
    assert raw_from == "三井住友カード".encode("cp932") + b" <info@example.com>"
    assert msg.raw("subject") == ["【重要】お支払い方法の確認"]


def test_raw_jis_in_headers() -> None:
    msg = fixture("raw-jis-subject.eml")
    assert msg.get("subject") == "[List] 「えきねっと」アカウント①の確認"
    assert parse_addresses(msg.raw("from")[0]) == [("えきねっと", "info@example.com")]


def test_glued_and_broken_encoded_words() -> None:
    msg = fixture("glued-encoded-words.eml")
    assert msg.get("subject") == "[spam]ご利用確認(重要)"
    assert msg.get("x-q") == "café =ZZ ok"
    assert msg.get("x-bogus") == "確認"
    assert parse_addresses(msg.raw("from")[0]) == [("楽天カード", "support@example.com")]
    for values in msg.decoded.values():
        for value in values:
            assert not ENCODED_WORD.search(value)


def test_rfc2231_and_encoded_filenames() -> None:
    msg = fixture("rfc2231-filename.eml")
    names = [(p.content_type, p.filename, p.disposition) for p in msg.parts]
    assert names == [
        ("text/plain", None, None),
        ("application/pdf", "請求書.pdf", "attachment"),
        ("application/octet-stream", "ご利用明細.html", "attachment"),
        ("application/zip", "領収書.zip", "attachment"),
        ("text/plain", "メモ.txt", "attachment"),
    ]
    assert msg.parts[1].data == b"%PDF-1.4\n%fake\n" and msg.parts[1].size == 15
    assert msg.parts[1].text is None
    assert msg.parts[4].text == "メモ"  # the line break before a delimiter belongs to it


def test_broken_structure() -> None:
    msg = fixture("broken-structure.eml")
    parts = [(p.content_type, p.text) for p in msg.parts]
    assert parts == [
        ("text/plain", "part without headers"),
        ("text/plain", "type without slash"),
        ("text/plain", "こんにちは。"),  # base64 with junk and a lost padding
        ("text/html", "<p>あ 100=% =ZZ softbreak</p>"),  # quoted-printable with bad escapes
        ("text/plain", "8-bit in 7bit: ８ビット"),
        ("text/plain", "the message ends here without a close delimiter\n"),
    ]
    assert msg.parts[2].charset == "utf-8"
    joined = " | ".join(msg.warnings)
    assert "Content-Type" in joined  # duplicate headers
    assert "boundary 'outer' never closed" in joined


def test_report_with_enclosed_message() -> None:
    msg = fixture("report-nested-rfc822.eml")
    types = [p.content_type for p in msg.parts]
    assert types == [
        "text/plain",
        "message/delivery-status",
        "message/rfc822",
        "text/plain",
        "text/html",
        "text/rfc822-headers",
    ]
    assert "Status: 5.1.1" in (msg.parts[1].text or "")
    assert msg.parts[2].data.startswith(b"From: Inner Sender")
    assert msg.parts[3].text == "内側のテキスト"
    assert msg.parts[4].text == "<p>内側のHTML</p>"
    assert msg.get("subject") == "Undelivered Mail Returned to Sender"  # the outer headers only
    assert msg.warnings == []


def test_headers_order_unfolding_and_decoded_for_every_header() -> None:
    data = (
        b"Received: from a\r\n\tby b; Mon, 1 Apr 2024\r\n"
        b"Subject: =?UTF-8?B?5pel5pys?=\r\n =?UTF-8?B?6Kqe?=\r\n"
        b"subject: second\r\n"
        b"X-Empty:\r\n"
        b"\r\nbody"
    )
    msg = parse_message(data)
    assert msg.headers == [
        ("Received", "from a\tby b; Mon, 1 Apr 2024"),
        ("Subject", "=?UTF-8?B?5pel5pys?= =?UTF-8?B?6Kqe?="),
        ("subject", "second"),
        ("X-Empty", ""),
    ]
    assert msg.decoded == {
        "received": ["from a\tby b; Mon, 1 Apr 2024"],
        "subject": ["日本語", "second"],
        "x-empty": [""],
    }
    assert msg.size == len(data)
    assert msg.text_parts == ["body"]


def test_mbox_from_line_and_lf_only() -> None:
    msg = parse_message(b"From someone@example.com Mon Apr  1 10:00:00 2024\nFrom: a@b.c\nSubject: x\n\nhi\n")
    assert [n for n, _ in msg.headers] == ["From", "Subject"]
    assert msg.text_parts == ["hi\n"]


def test_html_meta_charset_and_multipart_without_boundary() -> None:
    html = '<html><head><meta charset="shift_jis"></head><body>ご確認</body></html>'.encode("cp932")
    msg = parse_message(b"From: a@b.c\nContent-Type: text/html\n\n" + html)
    assert "ご確認" in msg.html_parts[0]
    msg = parse_message(b"From: a@b.c\nContent-Type: multipart/mixed\n\njust text")
    assert msg.text_parts == ["just text"]
    assert any("without a boundary" in w for w in msg.warnings)
    msg = parse_message(b"From: a@b.c\nContent-Type: multipart/alternative\n\n<html><a href=x>y</a></html>")
    assert msg.html_parts == ["<html><a href=x>y</a></html>"]


def test_content_type_oddities_and_uuencode() -> None:
    data = (
        b"From: a@b.c\nContent-Type: multipart/mixed boundary=\"b\"\n\n"
        b"--b\nContent-Type: text/html charset=shift_jis\n\n" + "<p>確認</p>".encode("cp932") + b"\n"
        b"--b\nContent-Type: TEXT/Plain; Charset=\"UTF-8\"\n\n" + "本文".encode() + b"\n"
        b"--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: x-uuencode\n\n"
        b"begin 644 a.txt\n#86)C\n`\nend\n--b--\n"
    )
    msg = parse_message(data)
    assert [(p.content_type, p.charset) for p in msg.parts] == [
        ("text/html", "shift_jis"),
        ("text/plain", "utf-8"),
        ("application/octet-stream", None),
    ]
    assert msg.html_parts == ["<p>確認</p>"] and msg.text_parts == ["本文"]
    assert msg.parts[2].data == b"abc"


def test_wrong_boundary_is_recovered() -> None:
    data = (
        b"From: a@b.c\nContent-Type: multipart/alternative; boundary=declared\n\n"
        b"--actual-boundary-1234\nContent-Type: text/plain\n\nplain\n"
        b"--actual-boundary-1234\nContent-Type: text/html\n\n<p>html</p>\n--actual-boundary-1234--\n"
    )
    msg = parse_message(data)
    assert msg.text_parts == ["plain"] and msg.html_parts == ["<p>html</p>"]
    assert any("not found" in w for w in msg.warnings)


def test_base64_on_message_rfc822_and_digest_default() -> None:
    inner = b"From: x@y.z\nSubject: inner\n\ninner body\n"
    data = (
        b"From: a@b.c\nContent-Type: multipart/digest; boundary=d\n\n"
        b"--d\n\n" + inner + b"--d\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(inner) + b"--d--\n"
    )
    msg = parse_message(data)
    assert [p.content_type for p in msg.parts] == ["message/rfc822", "text/plain"] * 2
    assert msg.text_parts == ["inner body", "inner body\n"]


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("a@example.com", [("", "a@example.com")]),
        ("Name <a@example.com>", [("Name", "a@example.com")]),
        ('"Doe, John" <j@example.com>, x@example.org',
         [("Doe, John", "j@example.com"), ("", "x@example.org")]),
        ("Amazon, Inc <a@example.com>", [("Amazon, Inc", "a@example.com")]),
        ("a@example.com (Real Name)", [("Real Name", "a@example.com")]),
        ("undisclosed-recipients:;", []),
        ("Team: a@b.c, c@d.e;", [("", "a@b.c"), ("", "c@d.e")]),
        ("Amazon <support@amazon.co.jp> <evil@example.net>",
         [("Amazon <support@amazon.co.jp>", "evil@example.net")]),
        ('"support@amazon.co.jp" <evil@example.net>', [("support@amazon.co.jp", "evil@example.net")]),
        ('"=?UTF-8?B?44Ki44Oe44K+44Oz?=" <a@b.c>', [("アマゾン", "a@b.c")]),
        ("=?UTF-8?B?QW1hem9uIDxzdXBwb3J0QGFtYXpvbi5jb20+?= <evil@x.example>",
         [("Amazon <support@amazon.com>", "evil@x.example")]),
        ("Broken <a@b.c", [("Broken", "a@b.c")]),
        ("MAILER-DAEMON", [("", "MAILER-DAEMON")]),
        ("<@relay.example:user@host.example>", [("", "user@host.example")]),
    ],
)
def test_parse_addresses(raw: str, expected: list[tuple[str, str]]) -> None:
    assert parse_addresses(raw) == expected


def test_parse_addresses_raw_shift_jis_with_special_bytes() -> None:
    # "ソ" is 0x83 0x5C in Shift_JIS: its second byte is a backslash.
    raw = ("ソフトバンク".encode("cp932") + b" <info@example.jp>").decode("utf-8", "surrogateescape")
    assert parse_addresses(raw) == [("ソフトバンク", "info@example.jp")]


# --- hostile input --------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    head = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=b0\n\n"
    level = b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n"
    return head + b"".join(level % (i, i + 1) for i in range(depth))


BAD_INPUTS = {
    "empty": b"",
    "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\n" + bytes(range(256)) * 40,
    "random-binary": bytes((i * 7919 + 13) % 256 for i in range(200_000)),
    "only-headers": b"From: a@example.com\r\nSubject: hi\r\n",
    "only-body": "これは本文だけです。\nhttp://example.com/\n".encode() * 10,
    "base64-20mb": b"From: a@b.c\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
    + base64.encodebytes(b"hello world " * 1_700_000),
    "1000-parts": b"From: a@b.c\nContent-Type: multipart/mixed; boundary=x\n\n"
    + b"--x\nContent-Type: text/plain\n\nhello\n" * 1000 + b"--x--\n",
    "nesting-500": _nested(500),
    "rfc822-nesting-500": b"From: a@b.c\nContent-Type: message/rfc822\n\n" * 500 + b"body",
    "header-line-1mb": b"Subject: " + b"A" * 1_000_000 + b"\nFrom: x@y.z\n\nbody",
    "header-1mb-of-encoded-word-starts": b"Subject: " + b"=?utf-8?b?" * 100_000 + b"\n\nbody",
    "header-1mb-raw-jis": b"Subject: \x1b$B" + b'$"' * 500_000 + b"\n\nbody",
    "bare-cr": b"From: a@b.c\rSubject: x\r\rbody\r",
    "nul-bytes": b"From: a@b.c\x00\nSubject: \x00\x00\n\n\x00body",
    "empty-boundary": b'From: a@b.c\nContent-Type: multipart/mixed; boundary=""\n\nx',
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_hostile_input_never_raises(name: str) -> None:
    data = BAD_INPUTS[name]
    start = time.perf_counter()
    msg = parse_message(data)
    assert time.perf_counter() - start < 5
    assert isinstance(msg, ParsedMessage) and msg.size == len(data)
    assert len(msg.parts) <= MAX_PARTS
    assert not any(w.startswith("internal parser error") for w in msg.warnings)


def test_hostile_input_says_what_happened() -> None:
    def warns(name: str) -> str:
        return " | ".join(parse_message(BAD_INPUTS[name]).warnings)

    assert "not an email" in warns("empty")
    assert "not an email" in warns("pdf")
    assert parse_message(BAD_INPUTS["pdf"]).parts[0].content_type == "application/octet-stream"
    assert "not an email" in warns("only-body")
    assert parse_message(BAD_INPUTS["only-body"]).text_parts[0].startswith("これは本文だけです。")
    assert f"more than {MAX_PARTS} parts" in warns("1000-parts")
    assert f"deeper than {MAX_DEPTH}" in warns("nesting-500")
    assert f"deeper than {MAX_DEPTH}" in warns("rfc822-nesting-500")
    assert "truncated" in warns("base64-20mb")
    assert len(parse_message(BAD_INPUTS["base64-20mb"]).text_parts[0]) == MAX_TEXT_CHARS
    assert parse_message(BAD_INPUTS["only-headers"]).get("subject") == "hi"
    assert parse_message(BAD_INPUTS["bare-cr"]).get("subject") == "x"
    assert parse_message(BAD_INPUTS["header-line-1mb"]).get("from") == "x@y.z"


def test_non_bytes_input() -> None:
    assert parse_message(bytearray(b"Subject: x\n\nbody")).get("subject") == "x"  # type: ignore[arg-type]


# --- corpus ---------------------------------------------------------------------------------


def _literal_replacement_chars(data: bytes) -> bool:
    """Does the mail itself carry U+FFFD (already damaged before it reached us)?  Checked with
    the stdlib parser, independently of ours."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and "\ufffd".encode() in payload:
            return True
    return False


def test_ja_lists_read_cleanly(shared: Path) -> None:
    files = sorted((shared / "corpus" / "ja_lists").rglob("*.eml"))
    assert len(files) > 400
    problems: list[str] = []
    for path in files:
        data = path.read_bytes()
        msg = parse_message(data)
        name = str(path.relative_to(shared / "corpus"))
        subject = msg.get("subject") or ""
        senders = [n for raw in msg.raw("from") for n, _a in parse_addresses(raw)]
        for label, value in [("subject", subject), *(("from", n) for n in senders)]:
            if "\ufffd" in value or ENCODED_WORD.search(value):
                problems.append(f"{name} {label}: {value!r}")
        for part in msg.parts:
            if part.content_type not in ("text/plain", "text/html") or part.text is None:
                continue
            if ENCODED_WORD.search(part.text):
                problems.append(f"{name} {part.content_type}: encoded word")
            # Six HTML parts carry U+FFFD in the mail itself (a damaged font name): allowed.
            if "\ufffd" in part.text and not _literal_replacement_chars(data):
                problems.append(f"{name} {part.content_type}: U+FFFD")
        undecodable = [w for w in msg.warnings if "undecodable" in w]
        if undecodable:
            problems.append(f"{name}: {undecodable}")
    assert problems == []


def _all_corpus_files(shared: Path) -> tuple[list[Path], list[Path]]:
    corpus = shared / "corpus"
    with (corpus / "labels.csv").open(encoding="utf-8") as fh:
        labelled = [corpus / row["path"] for row in csv.DictReader(fh)]
    known = set(labelled)
    others = [p for p in corpus.rglob("*") if p.is_file() and p not in known]
    return labelled, others


def test_every_corpus_file_parses(shared: Path) -> None:
    labelled, others = _all_corpus_files(shared)
    assert len(labelled) > 6000
    no_headers: list[str] = []
    errors: list[str] = []
    start = time.perf_counter()
    for path in labelled + others:
        msg = parse_message(path.read_bytes())
        if any(w.startswith("internal parser error") for w in msg.warnings):
            errors.append(f"{path}: {msg.warnings}")
        if path in labelled and not msg.headers:
            no_headers.append(path.name)
    elapsed = time.perf_counter() - start
    assert errors == []
    # One labelled file is a CSV that a phisher sent (not a mail at all): it must say so.
    assert no_headers == ["sample-3989.csv"]
    assert elapsed < 60
