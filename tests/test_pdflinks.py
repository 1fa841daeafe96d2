"""Links read from PDF attachments: plain and compressed link annotations, escapes, limits."""

from __future__ import annotations

import zlib

from mailsleuth.pdflinks import MAX_LINKS, pdf_uris


def annot(uri: bytes) -> bytes:
    return b"<< /Type /Annot /Subtype /Link /A << /S /URI /URI " + uri + b" >> >>"


def test_plain_and_escaped_and_hex_uris() -> None:
    pdf = (b"%PDF-1.7\n1 0 obj " + annot(b"(https://a.example/x\\(1\\))") + b" endobj\n"
           + b"2 0 obj " + annot(b"<68747470733a2f2f622e6578616d706c652f>") + b" endobj\n"
           + b"3 0 obj " + annot(b"(https://c.example/\\157k)") + b" endobj\n")
    assert pdf_uris(pdf) == ["https://a.example/x(1)", "https://b.example/", "https://c.example/ok"]


def test_links_inside_compressed_object_streams() -> None:
    body = zlib.compress(b"1 0 " + annot(b"(https://docs.example/drawings/d/1/preview)"))
    pdf = b"%PDF-1.5\n5 0 obj << /Type /ObjStm /Filter /FlateDecode >>\nstream\n" + body + b"\nendstream\nendobj\n"
    assert pdf_uris(pdf) == ["https://docs.example/drawings/d/1/preview"]


def test_utf16_uri_and_duplicates() -> None:
    uri = b"\xfe\xff" + "https://d.example/".encode("utf-16-be")
    pdf = b"%PDF-1.4\n" + annot(b"<" + uri.hex().encode() + b">") * 3
    assert pdf_uris(pdf) == ["https://d.example/"]


def test_limits_hold_on_hostile_files() -> None:
    many = b"%PDF-1.4\n" + b"".join(annot(f"(https://h{i}.example/)".encode()) for i in range(MAX_LINKS * 3))
    assert len(pdf_uris(many)) == MAX_LINKS
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)  # 64 MB of zeros in ~64 KB
    hostile = [b"%PDF" + b"stream\n" * 300_000, b"%PDF" + b"/URI (" * 300_000,
               b"%PDF" + (b"stream\n" + bomb + b"endstream\n") * 50, b"/URI <" + b"a" * 3_000_000]
    for data in hostile:  # each is read within the byte, stream and output caps
        assert pdf_uris(data) == []
