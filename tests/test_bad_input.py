"""Hostile and broken input: a report with what could be read and a finding that says what
was wrong, never an exception."""

from __future__ import annotations

import pytest

import mailsleuth

CASES = {
    "empty": b"",
    "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\n" + bytes(range(256)) * 40,
    "binary": bytes(range(256)) * 400,
    "only-headers": b"From: a@example.com\r\nSubject: hi\r\n",
    "truncated-multipart": b"From: a@example.com\nContent-Type: multipart/mixed; boundary=x\n\n"
    b"--x\nContent-Type: text/html\n\n<a href='http://",
    "deep-nesting": b"From: a@b.c\nContent-Type: multipart/mixed; boundary=b\n\n"
    + b"--b\nContent-Type: multipart/mixed; boundary=b\n\n" * 600,
    "huge-header": b"Subject: " + b"A" * 1_000_000 + b"\nFrom: x@y.z\n\nbody",
    "many-links": b"From: a@b.c\nContent-Type: text/html\n\n" + b"<a href='http://x.example.com/'>x</a>" * 20000,
    "bad-charset": b"From: a@b.c\nSubject: =?x-unknown?B?gYKDhA==?=\n"
    b"Content-Type: text/plain; charset=bogus-9\n\n\x81\x82\x83",
    # Long runs that make non-linear patterns or per-label loops blow up (each once took minutes).
    "long-to": b"From: a@b.c\nTo: " + b"a" * 300_000 + b"\nSubject: x\n\nb",
    "long-display-name": b'From: "' + b"a." * 100_000 + b'" <x@y.com>\nSubject: x\n\nb',
    "long-subject-mixed-script": b"From: a@b.c\nSubject: " + b"ab" * 300_000 + "\u0410".encode() + b"\n\nb",
    "host-of-many-labels": b"From: a@b.c\n\nhttp://" + b"a." * 100_000 + b"com/",
    "display-name-of-many-colons": b"From: " + b"http://" * 14_000 + b" <x@y.com>\nSubject: x\n\nb",
    "pdf-attachment-of-streams": b"From: a@b.c\nContent-Type: application/pdf\n\n%PDF-1.4\n"
    + b"stream\nx\nendstream\n" * 50_000,
    "html-of-long-digit-runs": b"From: a@b.c\nContent-Type: text/html\n\n<p style='top:" + b"1" * 200_000 + b"'>x",
    "nul-bytes": b"From: a@b.c\x00\nSubject: \x00\x00\n\n\x00body",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_never_raises(name: str) -> None:
    report = mailsleuth.analyze(CASES[name])
    out = report.to_dict()
    assert out["verdict"] in ("phishing", "spam", "suspicious", "clean")


@pytest.mark.parametrize("name", ["empty", "pdf", "binary"])
def test_not_a_mail_says_so(name: str) -> None:
    ids = {f.id for f in mailsleuth.analyze(CASES[name]).findings}
    assert "STRUCTURE_NOT_EMAIL" in ids
