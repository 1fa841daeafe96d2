"""Tests for mailsleuth.received: the table of real Received values, robustness, helpers.

The table (tests/data/received_table.txt) holds real values from ../shared/corpus, each with the
parse a human expects; its format is described at the top of that file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailsleuth.models import Hop
from mailsleuth.received import canonical, is_public_ip, parse_received

TABLE = Path(__file__).resolve().parent / "data" / "received_table.txt"


@dataclass(frozen=True)
class Row:
    source: str  # "<path inside the corpus> (<n>th Received)"
    value: str
    expected: str
    line: int  # line number of the value in the table file


def load_table(path: Path = TABLE) -> list[Row]:
    rows: list[Row] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    start = 0
    for i, line in enumerate([*lines, ""]):
        if line.strip():
            continue
        record = [(n, text) for n, text in enumerate(lines[start:i], start + 1) if text.strip()]
        start = i + 1
        body = [(n, text) for n, text in record if not text.startswith("#")]
        if not body:
            continue  # the header, or a comment-only block
        sources = [text[len("# source:") :].strip() for _, text in record if text.startswith("# source:")]
        assert len(body) == 2 and body[1][1].startswith("=> "), f"malformed record at line {record[0][0]}"
        assert sources, f"record at line {record[0][0]} has no '# source:' line"
        rows.append(Row(sources[0], body[0][1], body[1][1][3:], body[0][0]))
    return rows


ROWS = load_table()


def test_table_is_big_and_varied() -> None:
    assert len(ROWS) >= 170
    assert len({row.value for row in ROWS}) == len(ROWS), "duplicate values in the table"
    assert len({row.source.split(" (")[0].split("/")[0] for row in ROWS}) >= 5  # every corpus folder


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.source}@{r.line}" for r in ROWS])
def test_table_row(row: Row) -> None:
    got = canonical(parse_received(row.value))
    assert got == row.expected, (
        f"\nsource:   {row.source} (table line {row.line})\nvalue:    {row.value}\n"
        f"expected: {row.expected}\ngot:      {got}"
    )


def test_table_values_come_from_the_corpus(shared: Path) -> None:
    """Every row names the corpus file and position it was taken from; check that it is there."""
    corpus = shared / "corpus"
    for row in ROWS:
        rel, _, where = row.source.partition(" (")
        position = int("".join(ch for ch in where.split(" ")[0] if ch.isdigit()))
        values = _received_values((corpus / rel).read_bytes())
        assert " ".join(values[position - 1].split()) == " ".join(row.value.split()), row.source


def _received_values(data: bytes) -> list[str]:
    head = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    fields: list[list[str]] = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            if fields:
                fields[-1][1] += line
        elif ":" in line:
            name, _, rest = line.partition(":")
            fields.append([name, rest])
    return [value for name, value in fields if name.strip().lower() == "received"]


# --- the API ---------------------------------------------------------------------------------------


def test_returns_hop_with_raw_value() -> None:
    value = "from a.example (a.example [192.0.2.1]) by mx.example (Postfix) with ESMTP id X1"
    hop = parse_received(value)
    assert isinstance(hop, Hop)
    assert hop.raw == value


def test_folded_and_unfolded_values_parse_the_same() -> None:
    folded = (
        "from mail-wm1-x331.google.com (mail-wm1-x331.google.com\r\n"
        "\t[IPv6:2a00:1450:4864:20::331])\r\n\tby smtp4.osuosl.org (Postfix) with ESMTPS id 20B95418AA\r\n"
        "\tfor <a@b.example>; Tue, 16 May 2023 08:36:53 +0000 (UTC)"
    )
    unfolded = " ".join(folded.split())
    assert canonical(parse_received(folded)) == canonical(parse_received(unfolded))
    hop = parse_received(folded)
    assert hop.ip == "2a00:1450:4864:20::331"
    assert hop.rdns == "mail-wm1-x331.google.com"
    assert hop.date == "2023-05-16T08:36:53+00:00"


@pytest.mark.parametrize(
    ("value", "ip"),
    [
        ("from x ([::ffff:205.233.198.35]) by y", "205.233.198.35"),
        ("from x (x [IPv6:2001:DB8:0:0::1]) by y (Postfix)", "2001:db8::1"),
        ("from x ([fe80::e869:caf:b83b:b921%7]) by y with mapi", "fe80::e869:caf:b83b:b921"),
        ("from x ([192.0.2.7]:4455 helo=h) by y with esmtp (Exim 4.96)", "192.0.2.7"),
        ("from x ([63.251.66.24.63559]) by y with esmtp", "63.251.66.24"),
        ("from unknown (HELO h) (user@198.51.100.9) by y with SMTP", "198.51.100.9"),
    ],
)
def test_ip_normalisation(value: str, ip: str) -> None:
    assert parse_received(value).ip == ip


@pytest.mark.parametrize(
    ("value", "auth"),
    [
        ("from x (x [192.0.2.1]) by y (Postfix) with ESMTPSA id Q", True),
        ("from x (x [192.0.2.1]) (Authenticated sender: u) by y (Postfix) with ESMTP id Q", True),
        ("from x ([192.0.2.1]) (authenticated bits=0) by y (8.16.1/8.16.1) with ESMTP id Q", True),
        ("from x ([192.0.2.1] helo=h) by y with esmtpa (Exim 4.92) id 1abcde-000001-AB", True),
        ("from x (x [192.0.2.1]) by y (Postfix) with ESMTPS id Q", False),
        ("from authenticated-user (x [192.0.2.1]) by y (Postfix) with ESMTP id Q", False),
        ("from x (x [192.0.2.1]) (unauthenticated) by y with SMTP", False),
    ],
)
def test_auth(value: str, auth: bool) -> None:
    assert parse_received(value).auth is auth


@pytest.mark.parametrize(
    ("date", "iso"),
    [
        ("Fri, 25 Mar 2022 14:07:38 +0900 (JST)", "2022-03-25T05:07:38+00:00"),
        ("22 Aug 2002 23:19:43 -0000", "2002-08-22T23:19:43+00:00"),
        ("Sat, 26 Oct 2024 11:34:00.581 +0000 (UTC)", "2024-10-26T11:34:00+00:00"),
        ("Wed, 14 Aug 2002 00:40:42 -08:00", "2002-08-14T08:40:42+00:00"),
        ("Fri, 09 Aug 2002 20:07:33 CEST", "2002-08-09T18:07:33+00:00"),
        ("5 Aug 2002 18:30:50 +0900(KST)", "2002-08-05T09:30:50+00:00"),
        ("26/08/2002 17:45:08", "26/08/2002 17:45:08"),
        ("Wed, 31 Dec 9999 23:59:59 -2359", "Wed, 31 Dec 9999 23:59:59 -2359"),
    ],
)
def test_date(date: str, iso: str) -> None:
    assert parse_received(f"from x ([192.0.2.1]) by y with SMTP id Q;   {date}").date == iso


def test_no_date_and_semicolon_inside_a_comment() -> None:
    assert parse_received("from x (a;b) by y with SMTP").date is None
    hop = parse_received("from x (a;b) by y with SMTP; Mon, 1 Jan 2001 00:00:00 +0000")
    assert (hop.by, hop.date) == ("y", "2001-01-01T00:00:00+00:00")


@pytest.mark.parametrize(
    ("value", "helo", "rdns", "ip"),
    [  # forms that SpamAssassin's table has but this corpus lacks (synthetic values)
        ("(from KRYPTIK [70.20.57.51]) by host.name (NAVGW 2.5.2.12) with SMTP id M2",
         "KRYPTIK", None, "70.20.57.51"),
        ("from list.example (63.146.189.86:23198) by mx.example with [XMail 1.20 ESMTP Server] id <S72E> "
         "for <a@b.example> from <bounce@list.example>; Sat, 18 Sep 2004 23:17:54 -0500",
         "list.example", None, "63.146.189.86"),
        ("from mx.example.com ([192.0.2.4] verified) by relay.example (CommuniGate Pro SMTP 5.1.13) "
         "with ESMTPS id 98", "mx.example.com", "mx.example.com", "192.0.2.4"),
        ("from x.example (HELO ) (192.0.2.5) by y.example with SMTP; 3 Mar 2004 20:34:38 -0000",
         None, "x.example", "192.0.2.5"),
    ],
)  # fmt: skip
def test_forms_missing_from_the_corpus(value: str, helo: str | None, rdns: str | None, ip: str) -> None:
    hop = parse_received(value)
    assert (hop.helo, hop.rdns, hop.ip) == (helo, rdns, ip)


def test_canonical_format() -> None:
    hop = Hop(raw="", ip="192.0.2.1", helo="h", by="mx", protocol="ESMTPSA", auth=True)
    assert canonical(hop) == "[ ip=192.0.2.1 rdns= helo=h by=mx with=ESMTPSA id= for= auth=yes date= ]"
    assert canonical(Hop(raw="x")) == "[ ip= rdns= helo= by= with= id= for= auth= date= ]"


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("8.8.8.8", True),
        ("2a00:1450:4864:20::331", True),
        ("::ffff:8.8.8.8", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.1.1", False),
        ("100.64.0.1", False),  # CGNAT
        ("192.0.2.5", False),  # documentation
        ("198.51.100.1", False),
        ("203.0.113.9", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("2001:db8::1", False),
        ("::ffff:10.0.0.1", False),
        (None, False),
        ("", False),
        ("garbage", False),
        ("1.2.3", False),
        ("[8.8.8.8]", False),
    ],
)
def test_is_public_ip(ip: str | None, public: bool) -> None:
    assert is_public_ip(ip) is public


# --- robustness -------------------------------------------------------------------------------------

ODD_VALUES = [
    "",
    " ",
    "\r\n\t",
    "garbage",
    "from",
    "by",
    "from ( [ ]",
    "from [] () by ; ;",
    "((((((",
    "))))))",
    "from x (HELO",
    "from x (helo=",
    "from [IPv6:] by",
    "from [999.999.999.999] by y",
    "from ١٢٣.١.١.١ (x [١.١.١.١]) by y",
    "from 日本語.example (日本語 [192.0.2.1]) by メール.example with ESMTP; 月曜日",
    "from x\udcff ([192.0.2.1\udcff]) by y\x00 with \x01; \udcfe",
    "; Wed, 31 Dec 9999 23:59:59 -2359",
    "; Mon, 1 Jan 0001 00:00:00 +2359",
]

ADVERSARIAL = [
    "(" * 100_000,
    ")" * 100_000,
    ";)" * 50_000,
    "(;" * 50_000,
    "[" * 100_000,
    "from " + "(" * 50_000 + "[1.2.3.4]",
    "from x (" + "a" * 100_000,
    "from x (" + "a@" * 50_000 + ")",
    "from x (" + "1.2.3.4:" * 12_500 + ")",
    "from x ([" + "1" * 100_000 + "])",
    "from x (" + "HELO " * 20_000 + ")",
    "from x (" + "helo=" * 20_000 + ")",
    "from x (" + "a " * 50_000 + "[1.2.3.4])",
    "from " + "[1.2.3.4] " * 10_000,
    "by " * 33_000,
    "for <" + "x" * 100_000,
    "from x; " + "Mon, 1 Jan 2000 " * 6_000,
    "x; " + " id " * 25_000,
    "from x (authenticated" + "@1.2.3.4 with" * 7_000 + ")",
]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_values_do_not_raise(value: str) -> None:
    hop = parse_received(value)
    assert hop.raw == value
    canonical(hop)


@pytest.mark.parametrize("value", ADVERSARIAL, ids=[f"adversarial-{i}" for i in range(len(ADVERSARIAL))])
def test_adversarial_values_parse_fast(value: str) -> None:
    start = time.perf_counter()
    parse_received(value)
    # Loose on purpose (it takes milliseconds): only catches exponential regex backtracking.
    assert time.perf_counter() - start < 2.0
