"""Turn the bytes of a mail into text: declared charsets, mislabelled ones, Japanese legacy ones.

Mail in the wild declares charsets that do not fit (Shift_JIS labelled ``iso-2022-jp``,
UTF-8 labelled ``iso-8859-1``), declares none at all, or puts raw 8-bit bytes and raw JIS
escape sequences straight into headers.  Everything here reads such input without raising
and counts the bytes it could not read, so the parser can say so in its warnings.

ISO-2022-JP is read as Microsoft's CP50220/CP50221/CP50222 ("ISO-2022-JP-MS"): Python's
``iso2022_jp`` codecs reject the NEC special characters (row 13: ①, ㈱, ㍉) and the
NEC-selected IBM extended kanji (rows 89-92: 髙, 﨑) that Japanese Windows mailers send.  Each
JIS X 0208 byte pair is converted to its Shift_JIS pair arithmetically and the result decoded
with Python's ``cp932`` codec, which knows both extensions (the approach nkf and mbstring take).
EUC-JP falls back to the same conversion (a CP51932-like reading).
"""

from __future__ import annotations

import binascii
import codecs
import functools
import re
import threading
from typing import NamedTuple

__all__ = [
    "Decoded",
    "decode_b64_lenient",
    "decode_bytes",
    "decode_eucjp_ms",
    "decode_header_value",
    "decode_iso2022jp",
    "decode_raw_runs",
    "decode_text",
    "header_hint",
    "resolve_charset",
]

# Pseudo codec names for the decoders written here.
ISO2022JP = "iso-2022-jp"
EUCJP = "euc-jp"
LATIN = "cp1252"  # iso-8859-1 and us-ascii as the web reads them (WHATWG: windows-1252)
UTF8 = "utf-8"

# ---------------------------------------------------------------------------------------------
# Counting undecodable bytes: a codec error handler that replaces with U+FFFD and keeps count.

_tls = threading.local()


def _count_errors(exc: UnicodeError) -> tuple[str, int]:
    if isinstance(exc, UnicodeDecodeError):
        _tls.bad = getattr(_tls, "bad", 0) + (exc.end - exc.start)
        return "\ufffd", exc.end
    raise exc


def _latin1_errors(exc: UnicodeError) -> tuple[str, int]:
    # windows-1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined; WHATWG maps them to C1 controls.
    if isinstance(exc, UnicodeDecodeError):
        return exc.object[exc.start : exc.end].decode("latin-1"), exc.end
    raise exc


codecs.register_error("mailsleuth.count", _count_errors)
codecs.register_error("mailsleuth.latin1", _latin1_errors)


def _decode_counting(data: bytes, codec: str) -> tuple[str, int]:
    """Decode with a Python codec; undecodable bytes become U+FFFD and are counted."""
    try:
        return data.decode(codec), 0
    except UnicodeDecodeError:
        pass
    # The C "replace" handler first (fast even for junk); count exactly when errors are few.
    text = data.decode(codec, "replace")
    try:
        literal = data.count("\ufffd".encode(codec))
    except (UnicodeError, LookupError):
        literal = 0
    errors = text.count("\ufffd") - literal
    if errors > 256:
        return text, errors
    _tls.bad = 0
    text = data.decode(codec, "mailsleuth.count")
    return text, max(int(_tls.bad), 1)


# ---------------------------------------------------------------------------------------------
# Charset names

_ALIASES: dict[str, str | None] = {}


def _alias(target: str | None, *names: str) -> None:
    for name in names:
        _ALIASES[name] = target


_alias(
    "cp932",
    "shift_jis", "shift-jis", "shiftjis", "sjis", "x-sjis", "s-jis", "s_jis", "ms_kanji", "ms-kanji",
    "mskanji", "csshiftjis", "windows-31j", "cp932", "x-ms-cp932", "ms932", "ibm-943", "ibm943",
    "cswindows31j", "x-sjis-open", "sjis-open", "sjis-win", "shift_jis-2004", "shift_jisx0213",
    "shift_jis_2004",
)
_alias(
    EUCJP,
    "euc-jp", "euc_jp", "eucjp", "x-euc-jp", "x-euc", "ujis", "cseucpkdfmtjapanese", "cp51932",
    "euc-jp-ms", "eucjp-ms", "eucjp-win", "euc-jis-2004", "euc_jis_2004", "euc-jisx0213",
    "euc_jisx0213", "x-euc-jp-ms",
)
_alias(
    ISO2022JP,
    "iso-2022-jp", "iso2022-jp", "iso2022jp", "iso_2022_jp", "csiso2022jp", "iso-2022-jp-1",
    "iso-2022-jp-2", "iso-2022-jp-3", "iso-2022-jp-2004", "iso-2022-jp-ms", "cp50220", "cp50221",
    "cp50222", "jis", "jis7", "x-jis", "csiso2022jp2", "iso-2022-jp-ext",
)
_alias(
    "cp949",
    "ks_c_5601-1987", "ks_c_5601", "ks_c_5601-1989", "ksc5601", "ksc_5601", "ks-c-5601",
    "euc-kr", "euc_kr", "euckr", "x-euc-kr", "cp949", "windows-949", "ms949", "uhc", "korean",
    "csksc56011987", "iso-ir-149", "csueckr", "cseuckr",
)
_alias("iso2022_kr", "iso-2022-kr", "csiso2022kr")
_alias(
    "gb18030",
    "gb2312", "gb_2312-80", "gb_2312", "gb-2312", "csgb2312", "gbk", "x-gbk", "cp936", "windows-936",
    "ms936", "chinese", "euc-cn", "euccn", "x-euc-cn", "gb18030", "iso-ir-58", "csiso58gb231280",
    "gb2312-80", "x-gb2312",
)
_alias("hz", "hz-gb-2312", "hz", "hz-gb")
_alias(
    "big5hkscs",
    "big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "chinesebig5", "big5-hkscs", "big5hkscs",
    "cp950", "x-big5", "windows-950", "ms950", "big5_hkscs",
)
_alias(
    UTF8,
    "utf-8", "utf8", "uft-8", "utf_8", "x-utf-8", "x-unicode20utf8", "unicode-1-1-utf-8",
    "unicode-2-0-utf-8", "utf-8-sig",
)
_alias("utf-7", "utf-7", "utf7", "unicode-1-1-utf-7", "unicode-2-0-utf-7", "x-unicode20utf7",
       "csunicode11utf7", "x-utf-7")
_alias("utf-16", "utf-16", "utf16", "unicode", "ucs-2", "ucs2", "iso-10646-ucs-2", "csunicode",
       "unicodefffe", "unicodefeff")
_alias("utf-16-le", "utf-16le", "utf_16le", "utf-16-le", "x-utf-16le")
_alias("utf-16-be", "utf-16be", "utf_16be", "utf-16-be", "x-utf-16be")
_alias("utf-32", "utf-32", "utf32", "ucs-4", "ucs4")
_alias("utf-32-le", "utf-32le", "utf-32-le")
_alias("utf-32-be", "utf-32be", "utf-32-be")
_alias(
    LATIN,
    "us-ascii", "ascii", "us", "ansi_x3.4-1968", "ansi_x3.4-1986", "iso646-us", "iso_646.irv:1991",
    "cp367", "ibm367", "646", "csascii", "iso-ir-6", "iso-8859-1", "iso8859-1", "iso_8859-1",
    "iso_8859-1:1987", "latin1", "latin-1", "l1", "cp819", "ibm819", "csisolatin1", "iso-ir-100",
    "windows-1252", "cp1252", "x-cp1252", "win-1252", "cp-1252", "ms-ansi", "ansi", "iso-8859-1-i",
    "x-ansi",
)
_alias("cp874", "windows-874", "x-windows-874", "tis-620", "tis620", "iso-8859-11", "cp874", "dos-874")
_alias("mac_roman", "macintosh", "mac", "x-mac-roman", "csmacintosh", "macroman")
_alias("iso8859_8", "iso-8859-8-i", "iso-8859-8-e", "visual", "logical")
_alias("iso8859_6", "iso-8859-6-i", "iso-8859-6-e")
_alias("cp1251", "x-cp1251", "win-1251", "windows-1251")
# Said to be "no charset": read as undeclared, and say nothing about the name.
_alias(
    None,
    "unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default", "default_charset",
    "charset", "none", "8bit", "7bit", "binary", "x-binaryenc", "us-ascii-8bit", "auto",
    "x-unknown-8bit", "", "_autodetect_all", "_autodetect",
)

# Python codecs that are not character sets, or that should never decode mail.
_BLOCKED_CODECS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined", "mbcs", "oem",
     "utf-8-sig", "unicode_escape", "raw_unicode_escape", "unicode-internal", "palmos"}
)
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.:+()-]*")
_CP125X_RE = re.compile(r"(?:windows|win|cp|x-cp)[-_]?(125[0-8])")
_ISO8859_RE = re.compile(r"iso[-_ ]?8859[-_ ]?(\d{1,2})")
_resolve_cache: dict[str, tuple[str | None, bool]] = {}

_UTF16_32 = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
_UNICODE = _UTF16_32 | {UTF8, "utf-7"}
# 7-bit encodings whose data is plain ASCII bytes: must not take the ASCII fast path.
_SEVEN_BIT = frozenset({"utf-7", "iso2022_kr", "hz", ISO2022JP})
# Encodings that read any byte: valid UTF-8 or Japanese in them is a sign of a wrong label.
_SINGLE_BYTE_LATIN = frozenset({LATIN, "iso8859-15", "cp1250", "iso8859-2"})


def resolve_charset(declared: str | None) -> tuple[str | None, bool]:
    """Map a declared charset name to a codec name.

    Returns ``(codec, known)``: ``codec`` is a Python codec name or one of the decoders here
    (``"iso-2022-jp"``, ``"euc-jp"``), or ``None`` for "undeclared"; ``known`` is False when
    the name was given but could not be recognised (the caller may warn about it).
    """
    if declared is None:
        return None, True
    cached = _resolve_cache.get(declared)
    if cached is not None:
        return cached
    result = _resolve_uncached(declared)
    if len(_resolve_cache) < 2048 and len(declared) <= 64:
        _resolve_cache[declared] = result
    return result


def _resolve_uncached(declared: str) -> tuple[str | None, bool]:
    name = declared.strip().strip("\"'\u201c\u201d\u2018\u2019`\\ \t;,").lower()
    if name in _ALIASES:
        return _ALIASES[name], True
    m = _NAME_RE.search(name)
    if m is None:
        return None, name == ""
    name = m.group(0).rstrip(".:")
    if name.startswith("3d") and len(name) > 2:  # "=3Dutf-8" left over from quoted-printable
        name = name[2:]
    if name in _ALIASES:
        return _ALIASES[name], True
    if "2022-jp" in name or "2022jp" in name or name.startswith("cp5022"):
        return ISO2022JP, True
    if "utf-8" in name or "utf8" in name:
        return UTF8, True
    if ("shift" in name and "jis" in name) or "sjis" in name:
        return "cp932", True
    if "euc" in name and "jp" in name:
        return EUCJP, True
    if name.startswith(("gb", "x-gb")):
        return "gb18030", True
    if "big5" in name:
        return "big5hkscs", True
    if "ks_c" in name or "5601" in name:
        return "cp949", True
    m = _CP125X_RE.search(name)
    if m:
        return f"cp{m.group(1)}", True
    m = _ISO8859_RE.search(name)
    if m:
        name = f"iso8859-{m.group(1)}"
        if m.group(1) == "1":
            return LATIN, True
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None, False
    if not getattr(info, "_is_text_encoding", True) or info.name in _BLOCKED_CODECS:
        return None, False
    canonical = info.name
    if canonical in ("ascii", "latin-1", "iso8859-1", "cp1252"):
        return LATIN, True
    if canonical in ("shift_jis", "cp932", "ms932"):
        return "cp932", True
    if canonical in ("euc_jp", "euc_jis_2004", "euc_jisx0213"):
        return EUCJP, True
    if canonical.startswith("iso2022_jp"):
        return ISO2022JP, True
    if canonical in ("gb2312", "gbk"):
        return "gb18030", True
    if canonical in ("big5", "cp950"):
        return "big5hkscs", True
    if canonical == "euc_kr":
        return "cp949", True
    if canonical == "utf-8":
        return UTF8, True
    return canonical, True


# ---------------------------------------------------------------------------------------------
# ISO-2022-JP (CP5022x) and EUC-JP (CP51932-like) through the Shift_JIS arithmetic

# JIS row byte j1 -> Shift_JIS lead byte.
_T_S1 = bytes(
    ((j + 1) >> 1) + (0x70 if j <= 0x5E else 0xB0) if 0x21 <= j <= 0x7E else 0 for j in range(256)
)
# 0x80 marks an even j1 (trail byte table differs for even and odd rows).
_T_PARITY = bytes(0x80 if (j % 2 == 0) else 0 for j in range(256))


def _s2(k: int) -> int:
    j2 = k & 0x7F
    if not 0x21 <= j2 <= 0x7E:
        return 0
    if k & 0x80:  # even row
        return j2 + 0x7E
    return j2 + 0x1F + (1 if j2 >= 0x60 else 0)


_T_S2 = bytes(_s2(k) for k in range(256))
_T_AND7F = bytes(b & 0x7F for b in range(256))
_T_OR80 = bytes(b | 0x80 for b in range(256))


def _jis_run_to_sjis(run: bytes) -> bytes:
    """Convert an even-length run of JIS X 0208 bytes (0x21..0x7E) to Shift_JIS, vectorised."""
    j1 = run[0::2]
    j2 = run[1::2]
    n = len(j2)
    s1 = j1.translate(_T_S1)
    keyed = (int.from_bytes(j2, "big") | int.from_bytes(j1.translate(_T_PARITY), "big")).to_bytes(n, "big")
    s2 = keyed.translate(_T_S2)
    out = bytearray(2 * n)
    out[0::2] = s1
    out[1::2] = s2
    return bytes(out)


def _jis0208_to_text(run: bytes) -> tuple[str, int]:
    """Decode a run of JIS X 0208 graphic bytes read as CP932 (NEC and IBM extensions)."""
    bad = 0
    if len(run) % 2:
        run = run[:-1]
        bad = 1
    if not run:
        return ("\ufffd" if bad else ""), bad
    sjis = _jis_run_to_sjis(run)
    try:
        text = sjis.decode("cp932")
    except UnicodeDecodeError:
        # Pair by pair, so that an undefined pair never turns its trail byte into ASCII.
        chars = []
        for i in range(0, len(sjis), 2):
            try:
                chars.append(sjis[i : i + 2].decode("cp932"))
            except UnicodeDecodeError:
                chars.append("\ufffd")
                bad += 2
        text = "".join(chars)
    return (text + "\ufffd" if bad % 2 else text), bad


def _pairs_with(run: bytes, codec: str, prefix: bytes = b"") -> tuple[str, int]:
    """Decode JIS-style 7-bit pairs through an EUC-style codec (set the high bits)."""
    bad = 0
    if len(run) % 2:
        run = run[:-1]
        bad = 1
    high = run.translate(_T_OR80)
    if prefix:
        high = b"".join(prefix + high[i : i + 2] for i in range(0, len(high), 2))
    text, more = _decode_counting(high, codec)
    return (text + "\ufffd" if bad else text), bad + more


# Half-width katakana mode: 0x21-0x5F (and the 8-bit form 0xA1-0xDF) are U+FF61-U+FF9F.
_KANA_TABLE = {b: 0xFF40 + (b & 0x7F) for b in (*range(0x21, 0x60), *range(0xA1, 0xE0))} | {
    b: 0xFFFD for b in (*range(0x80, 0xA1), *range(0xE0, 0x100))
}
_KANA_BAD = bytes([*range(0x80, 0xA1), *range(0xE0, 0x100)])


def _halfwidth_kana(seg: bytes) -> tuple[str, int]:
    bad = len(seg) - len(seg.translate(None, _KANA_BAD))
    return seg.decode("latin-1").translate(_KANA_TABLE), bad


def _passthrough(seg: bytes) -> tuple[str, int]:
    """ASCII as is; bytes >= 0x80 where only 7-bit is allowed count as undecodable."""
    if seg.isascii():
        return seg.decode("ascii"), 0
    return seg.decode("ascii", "replace"), _count_high(seg)


_GRAPHIC_RE = re.compile(rb"[\x21-\x7e]+")


def _multibyte_mode(seg: bytes, mode: str) -> tuple[str, int]:
    """A segment in a 2-byte mode: graphic runs are pairs, controls and spaces pass through."""
    out: list[str] = []
    bad = 0
    pos = 0
    for m in _GRAPHIC_RE.finditer(seg):
        if m.start() > pos:
            t, b = _passthrough(seg[pos : m.start()])
            out.append(t)
            bad += b
        run = m.group(0)
        if mode == "jis0208":
            t, b = _jis0208_to_text(run)
        elif mode == "jis0212":
            t, b = _pairs_with(run, "euc_jp", b"\x8f")
        elif mode == "jis0213p1":
            t, b = _jis0213_plane1(run)
        elif mode == "jis0213p2":
            t, b = _pairs_with(run, "euc_jis_2004", b"\x8f")
        elif mode == "gb2312":
            t, b = _pairs_with(run, "gb18030")
        else:  # ksc5601
            t, b = _pairs_with(run, "cp949")
        out.append(t)
        bad += b
        pos = m.end()
    if pos < len(seg):
        t, b = _passthrough(seg[pos:])
        out.append(t)
        bad += b
    return "".join(out), bad


def _jis0213_plane1(run: bytes) -> tuple[str, int]:
    # JIS X 0213 plane 1 is a superset of JIS X 0208; prefer the CP932 reading where it exists.
    text, bad = _jis0208_to_text(run)
    if bad:
        return _pairs_with(run, "euc_jis_2004")
    return text, bad


# Designations (ESC sequences) -> mode.  ESC & @ is an announcer that precedes ESC $ B.
_DESIGNATIONS = {
    b"(B": "ascii", b"(J": "ascii", b"(H": "ascii", b"(I": "kana",
    b"$@": "jis0208", b"$B": "jis0208", b"$(@": "jis0208", b"$(B": "jis0208",
    b"$(D": "jis0212", b"$(O": "jis0213p1", b"$(Q": "jis0213p1", b"$(P": "jis0213p2",
    b"$A": "gb2312", b"$(A": "gb2312", b"$(C": "ksc5601",
}
_G2 = {b".A": "latin-1", b".F": "iso8859-7"}
_CTRL_RE = re.compile(rb"\x1b(?:\$\(?[@-Z]|\([@-Z]|&@|\.[@-Z]|N[\x00-\xff]?)?|[\x0e\x0f]")


def decode_iso2022jp(data: bytes, *, header: bool = False) -> tuple[str, int]:
    """Decode ISO-2022-JP as CP50220/CP50221/CP50222 do (plus JIS X 0212/0213, ISO-2022-JP-2).

    ``header``: the data is an unfolded header value, where a 2-byte run cut short (filters
    truncate previews without returning to ASCII) must not turn the rest into kanji: after a
    space, a run of odd length ends the 2-byte mode.  Returns ``(text, undecodable_bytes)``.
    Never raises.
    """
    out: list[str] = []
    bad = 0
    mode = "ascii"
    shifted = False  # SO ... SI: half-width katakana (CP50222)
    g2 = "latin-1"
    pos = 0
    for m in _CTRL_RE.finditer(data):
        if m.start() > pos:
            t, b = _segment(data[pos : m.start()], "kana" if shifted else mode)
            out.append(t)
            bad += b
        tok = m.group(0)
        pos = m.end()
        if tok == b"\x0e":
            shifted = True
        elif tok == b"\x0f":
            shifted = False
        elif len(tok) == 1:  # lone ESC
            bad += 1
        elif tok[1:2] == b"N":  # single shift 2: one byte from the G2 set
            if len(tok) == 3:
                out.append(bytes([tok[2] | 0x80]).decode(g2, "replace"))
            else:
                bad += 1
        elif tok[1:] in _G2:
            g2 = _G2[tok[1:]]
        elif tok[1:] == b"&@":
            pass
        else:
            new = _DESIGNATIONS.get(tok[1:])
            if new is None:
                bad += len(tok)
            else:
                mode = new
                shifted = False
    if pos < len(data):
        seg = data[pos:]
        if header and mode != "ascii" and not shifted:
            m2 = _ODD_RUN_RE.search(seg)
            if m2 is not None:
                t, b = _segment(seg[: m2.start()], mode)
                out.append(t)
                bad += b
                seg = seg[m2.start() :]
                mode = "ascii"
        t, b = _segment(seg, "kana" if shifted else mode)
        out.append(t)
        bad += b
    return "".join(out), bad


# A space and then a run of graphic bytes of odd length: no longer 2-byte text.
_ODD_RUN_RE = re.compile(rb"(?<=[ \t])(?:(?<![\x21-\x7e])[\x21-\x7e](?:[\x21-\x7e]{2})*(?![\x21-\x7e]))")


def _segment(seg: bytes, mode: str) -> tuple[str, int]:
    if mode == "ascii":
        return _passthrough(seg)
    if mode == "kana":
        return _halfwidth_kana(seg)
    return _multibyte_mode(seg, mode)


_EUC_RE = re.compile(
    rb"((?:[\xa1-\xfe][\xa1-\xfe])+)|\x8e([\xa1-\xdf])|\x8f([\xa1-\xfe][\xa1-\xfe])|([\x00-\x7f]+)"
)


def decode_eucjp_ms(data: bytes, max_bad: int | None = None) -> tuple[str, int] | None:
    """EUC-JP read like CP51932: JIS X 0208 pairs through CP932 (NEC row 13, IBM rows 89-92),
    0x8E half-width katakana, 0x8F JIS X 0212.  Returns ``(text, undecodable_bytes)``, or None
    once more than ``max_bad`` bytes were undecodable (not EUC-JP: stop early)."""
    out: list[str] = []
    bad = 0
    pos = 0
    n = len(data)
    while pos < n:
        m = _EUC_RE.match(data, pos)
        if m is None:
            out.append("\ufffd")
            bad += 1
            pos += 1
            if max_bad is not None and bad > max_bad:
                return None
            continue
        pairs, kana, x0212, ascii_run = m.groups()
        if ascii_run is not None:
            out.append(ascii_run.decode("ascii"))
        elif pairs is not None:
            t, b = _jis0208_to_text(pairs.translate(_T_AND7F))
            out.append(t)
            bad += b
        elif kana is not None:
            out.append(chr(0xFF40 + (kana[0] & 0x7F)))
        else:
            t, b = _decode_counting(b"\x8f" + x0212, "euc_jp")
            out.append(t)
            bad += b
        pos = m.end()
    return "".join(out), bad


def _decode_eucjp(data: bytes) -> tuple[str, int]:
    """EUC-JP: JIS X 0208 + 0212 first; then CP51932 / eucJP-ms (NEC row 13 and the IBM
    kanji at rows 89-92, what Windows sends); then EUC-JIS-2004 (JIS X 0213)."""
    try:
        return data.decode("euc_jp"), 0
    except UnicodeDecodeError:
        pass
    ms = decode_eucjp_ms(data, max_bad=0)
    if ms is not None:
        return ms
    text, bad = _decode_counting(data, "euc_jis_2004")
    if bad:
        # Stop early: CP51932 only wins with few errors.
        ms = decode_eucjp_ms(data, max_bad=min(bad - 1, 64))
        if ms is not None and ms[1] < bad:
            return ms
    return text, bad


# ---------------------------------------------------------------------------------------------
# How Japanese does a text look?  (to choose between cp932, euc-jp and cp1252 readings)


@functools.cache
def _jp_common_chars() -> frozenset[str]:
    """Characters of Shift_JIS rows 1-8 (symbols, kana, Greek, Cyrillic, box drawing), NEC row 13
    and JIS level-1 kanji: what Japanese text is made of.  Level-2 kanji, user-defined area
    and half-width katakana are what Latin text misread as Shift_JIS turns into."""
    chars: set[str] = set()
    leads = [0x81, 0x82, 0x83, 0x84, 0x87, *range(0x88, 0x99)]
    for lead in leads:
        for trail in range(0x40, 0xFD):
            if trail == 0x7F:
                continue
            try:
                chars.add(bytes([lead, trail]).decode("cp932"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


def _jp_score(text: str) -> float:
    """Share of the non-ASCII characters that are common in Japanese text; 0 without evidence.

    Evidence is a kana (full-width), or two common CJK characters in a row, or a run of four
    varied half-width katakana: Latin text misread as Shift_JIS gives isolated kanji
    (``wasn\u2019t`` -> ``wasn稚``) or runs of one half-width katakana (soft hyphens -> ``ｭｭｭ``)."""
    common = _jp_common_chars()
    good = 0.0
    total = 0
    evidence = False
    run = 0  # consecutive common full-width characters
    hw = ""  # current run of half-width katakana
    kana = 0
    cjk = 0
    for ch in text[:8000]:
        if ch < "\x80":
            run = 0
            hw = ""
            continue
        total += 1
        if "\uff61" <= ch <= "\uff9f":
            run = 0
            hw += ch
            if len(hw) >= 4 and len(set(hw)) >= 3:
                # Half credit: EUC-JP misread as Shift_JIS is all half-width katakana too.
                good += 2 if len(hw) == 4 else 0.5
                evidence = True
            continue
        hw = ""
        if "\u3040" <= ch <= "\u30ff":
            good += 1
            kana += 1
            evidence = True
            run += 1
        elif ch in common or "\u3000" <= ch <= "\u303f" or "\uff01" <= ch <= "\uff5e":
            if "\u4e00" <= ch <= "\u9fff":
                cjk += 1
            good += 1
            run += 1
            if run >= 2:
                evidence = True
        else:
            run = 0
    if not evidence or total == 0:
        return 0.0
    if kana * 20 < cjk and cjk >= 6:
        return 0.0  # many CJK characters and (almost) no kana: Chinese, not Japanese
    return good / total


# ---------------------------------------------------------------------------------------------
# Decoding bodies


class Decoded(NamedTuple):
    text: str
    bad: int  # undecodable bytes (each replaced by U+FFFD)
    charset: str  # what the data was read as
    note: str | None  # why the declared charset was not used, if it was not


def _decode_as(data: bytes, codec: str) -> tuple[str, int]:
    try:
        return _decode_as_unchecked(data, codec)
    except (UnicodeError, LookupError, ValueError, TypeError):
        # A codec that misbehaves on this input: keep the ASCII, count the rest as undecodable;
        # the caller then prefers any better reading.
        return _decode_counting(data, "ascii")


def _decode_as_unchecked(data: bytes, codec: str) -> tuple[str, int]:
    if codec == ISO2022JP:
        return decode_iso2022jp(data)
    if codec == EUCJP:
        return _decode_eucjp(data)
    if codec == LATIN:
        try:
            return data.decode("cp1252"), 0
        except UnicodeDecodeError:
            return data.decode("cp1252", "mailsleuth.latin1"), 0
    if codec in _UTF16_32:
        return _decode_utf16_32(data, codec)
    if codec == "big5hkscs":
        text, bad = _decode_counting(data, codec)
        if bad:
            alt, alt_bad = _decode_counting(data, "cp950")
            if alt_bad < bad:
                return alt, alt_bad
        return text, bad
    return _decode_counting(data, codec)


def _decode_utf16_32(data: bytes, codec: str) -> tuple[str, int]:
    if codec in ("utf-16", "utf-32") and not data.startswith(
        (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
    ):
        # No BOM: guess the byte order from where the zero bytes sit.
        unit = 2 if codec == "utf-16" else 4
        even_zeros = data[0::2].count(0)
        odd_zeros = data[1::2].count(0)
        endian = "le" if odd_zeros >= even_zeros else "be"
        codec = f"utf-{unit * 8}-{endian}"
    text, bad = _decode_counting(data, codec)
    return text, bad


_HIGH_BYTES = bytes(range(0x80, 0x100))


def _count_high(data: bytes) -> int:
    return len(data) - len(data.translate(None, _HIGH_BYTES))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _fits(codec: str, data: bytes) -> bool:
    """Can ``data`` be in ``codec`` at all (cheap structural checks)?"""
    if codec in _UTF16_32:
        unit = 2 if codec.startswith("utf-16") else 4
        return len(data) % unit == 0 and (b"\x00" in data or not data.isascii())
    return True


def _eucjp_clean(data: bytes) -> str | None:
    """A clean EUC-JP reading of ``data``, or None (cheap: stops at the first bad byte)."""
    try:
        return data.decode("euc_jp")
    except UnicodeDecodeError:
        pass
    ms = decode_eucjp_ms(data, max_bad=0)
    if ms is not None:
        return ms[0]
    try:
        return data.decode("euc_jis_2004")
    except UnicodeDecodeError:
        return None


def _japanese_reading(data: bytes) -> tuple[str, str, float] | None:
    """The best clean Japanese reading of 8-bit ``data``: (text, codec, score) or None."""
    best: tuple[str, str, float] | None = None
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        pass
    else:
        best = (text, "cp932", _jp_score(text))
    euc = _eucjp_clean(data)
    if euc is not None:
        score = _jp_score(euc)
        if best is None or score > best[2]:
            best = (euc, EUCJP, score)
    return best


def _cjk_score(text: str, min_good: int) -> float:
    """Share of the non-ASCII characters that are CJK (ideographs, kana, CJK punctuation,
    full-width forms); 0 unless there are ``min_good`` of them and three stand together
    somewhere (Latin text misread as GBK gives isolated ideographs: ``Zübeyha`` -> ``Z黮eyha``)."""
    total = 0
    good = 0
    run = 0
    evidence = False
    for ch in text[:8000]:
        if ch < "\x80":
            run = 0
            continue
        total += 1
        if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u30ff" or "\uff01" <= ch <= "\uff5e":
            good += 1
            run += 1
            if run >= 3:
                evidence = True
        else:
            run = 0
    return good / total if evidence and good >= min_good else 0.0


def _gb_reading(data: bytes, threshold: float = 0.8, min_good: int = 3) -> str | None:
    """A clean GBK reading that looks like CJK text, or None.  (GB2312 has the kana at the
    same places as JIS X 0208, so Japanese sent as GBK reads right too.)"""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return text if _cjk_score(text, min_good) >= threshold else None


def decode_text(data: bytes, declared: str | None) -> Decoded:
    """Decode ``data`` declared as ``declared`` (``None``: not declared); never raises.

    Order: the declared charset when it reads the data cleanly and shows no sign of a wrong
    label (valid UTF-8 under another label; Japanese or Chinese under a Latin one), or with
    small damage; otherwise utf-8, cp932 / euc-jp (only when the text looks Japanese), gb18030
    (only when it looks CJK), iso-2022-jp (when ESC is present), cp1252.  When nothing reads
    cleanly, the reading with the fewest undecodable bytes wins (the declared one when its
    damage is comparable).  ``Decoded.note`` says why the label was not used.
    """
    codec, known = resolve_charset(declared)
    note: str | None = None
    if declared is not None and not known:
        note = f"unknown charset {declared.strip()!r}"
    if not data:
        return Decoded("", 0, codec or UTF8, None)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        if codec != UTF8:
            codec = UTF8
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) and codec not in _UTF16_32:
        codec = "utf-16"

    if data.isascii():
        has_esc = b"\x1b" in data
        if has_esc and (codec is None or codec not in _SEVEN_BIT or codec == ISO2022JP):
            text, bad = decode_iso2022jp(data)
            used = ISO2022JP
        elif codec is not None and (codec in _SEVEN_BIT or (codec in _UTF16_32 and _fits(codec, data))):
            text, bad = _decode_as(data, codec)
            used = codec
        else:
            return Decoded(data.decode("ascii"), 0, codec or UTF8, None)
        if bad and used != ISO2022JP and has_esc:
            alt, alt_bad = decode_iso2022jp(data)
            if alt_bad < bad:
                text, bad, used = alt, alt_bad, ISO2022JP
        return Decoded(text, bad, used, note)

    # 8-bit data.
    declared_result: tuple[str, int] | None = None
    if codec is not None and _fits(codec, data):
        text, bad = _decode_as(data, codec)
        if bad == 0:
            if codec not in _UNICODE and _is_utf8(data):
                return Decoded(data.decode("utf-8"), 0, UTF8, _misfit(declared, UTF8))
            if codec in _SINGLE_BYTE_LATIN:
                jp = _japanese_reading(data)
                if jp is not None and jp[2] >= 0.8:
                    return Decoded(jp[0], 0, jp[1], _misfit(declared, jp[1]))
                gb = _gb_reading(data, 0.95, 10)
                if gb is not None:
                    return Decoded(gb, 0, "gb18030", _misfit(declared, "gb18030"))
            return Decoded(text, 0, codec, note)
        declared_result = (text, bad)
        if bad * 10 <= _count_high(data):  # small damage (≤ 10% of 8-bit bytes): keep the label
            return Decoded(text, bad, codec, note)

    guessed = _guess(data, declared_result, codec)
    if declared is not None and guessed.charset != codec and guessed.note is None:
        if codec is None:
            return guessed._replace(note=note)
        return guessed._replace(note=_misfit(declared, guessed.charset))
    return guessed


def _misfit(declared: str | None, used: str) -> str | None:
    if declared is None:
        return None
    return f"declared charset {declared.strip()!r} does not fit the data; read as {used}"


def _guess(data: bytes, declared_result: tuple[str, int] | None, codec: str | None) -> Decoded:
    try:
        return Decoded(data.decode("utf-8"), 0, UTF8, None)
    except UnicodeDecodeError:
        pass
    jp = _japanese_reading(data)
    if jp is not None and jp[2] >= 0.5:
        return Decoded(jp[0], 0, jp[1], None)
    gb = _gb_reading(data)
    if gb is not None:
        return Decoded(gb, 0, "gb18030", None)
    has_esc = b"\x1b" in data
    if has_esc:
        text, bad = decode_iso2022jp(data)
        if not bad:
            return Decoded(text, 0, ISO2022JP, None)
    try:
        return Decoded(data.decode("cp1252"), 0, LATIN, None)
    except UnicodeDecodeError:
        pass
    # Nothing reads cleanly: the fewest undecodable bytes wins.  Small damage in a reading that
    # otherwise looks right (broken UTF-8, Japanese with one bad pair) beats a clean-looking
    # but wrong single-byte reading.
    high = _count_high(data)
    candidates: list[tuple[int, int, str, str]] = []  # (bad, order, text, codec)
    if declared_result is not None and codec is not None:
        candidates.append((declared_result[1], 0, declared_result[0], codec))
    text, bad = _decode_counting(data, "utf-8")
    candidates.append((bad, 1, text, UTF8))
    for order, jcodec in ((2, "cp932"), (3, EUCJP)):
        text, bad = _decode_as(data, jcodec)
        if _jp_score(text) >= 0.5:
            candidates.append((bad, order, text, jcodec))
    if has_esc:
        text, bad = decode_iso2022jp(data)
        candidates.append((bad, 4, text, ISO2022JP))
    text, bad = _decode_counting(data, "cp1252")
    candidates.append((bad, 5, text, LATIN))
    for bad, _order, text, used in sorted(candidates, key=lambda c: c[1]):
        if used != LATIN and bad * 10 <= high:
            return Decoded(text, bad, used, None)
    best = min(candidates, key=lambda c: (c[0], c[1]))
    if declared_result is not None and codec is not None and declared_result[1] <= 2 * best[0]:
        return Decoded(declared_result[0], declared_result[1], codec, None)
    return Decoded(best[2], best[0], best[3], None)


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, int]:
    """Decode ``data`` declared as ``declared``: ``(text, undecodable_bytes)``.  Never raises.

    Undecodable bytes are replaced by U+FFFD only when no reading decodes them.
    """
    result = decode_text(data, declared)
    return result.text, result.bad


# ---------------------------------------------------------------------------------------------
# Base64 that was written by careless encoders


_B64_JUNK_RE = re.compile(rb"[^A-Za-z0-9+/=]+")
_B64_PAD_RE = re.compile(rb"=+")


def decode_b64_lenient(data: bytes) -> tuple[bytes, bool]:
    """Decode base64 that may hold junk, missing padding or padding in the middle (chunks
    concatenated after encoding).  Returns ``(bytes, damaged)``; ``damaged`` when a trailing
    fragment had to be dropped."""
    stripped = data.rstrip()
    eq = stripped.find(b"=")
    if eq < 0 or eq >= len(stripped) - 2:
        try:
            return binascii.a2b_base64(data), False
        except (binascii.Error, ValueError):
            pass
    clean = _B64_JUNK_RE.sub(b"", data)
    out: list[bytes] = []
    damaged = False
    for chunk in _B64_PAD_RE.split(clean):
        if not chunk:
            continue
        rest = len(chunk) % 4
        if rest == 1:
            chunk = chunk[:-1]
            damaged = True
        elif rest:
            chunk += b"=" * (4 - rest)
        if chunk:
            try:
                out.append(binascii.a2b_base64(chunk))
            except (binascii.Error, ValueError):
                damaged = True
    return b"".join(out), damaged


# ---------------------------------------------------------------------------------------------
# Headers

# An RFC 2047 encoded word.  ``[^?]*`` keeps matching linear (it cannot run past the next ``?``);
# a word cut off at the end of the value, or closed by ``?`` before a space, is accepted too.
_EW_RE = re.compile(
    r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?]*)(?:\?=|\?(?=\s)|\?$|$)"
)
# Raw JIS in a header: from a 2-byte designation to the return to ASCII (or the end).
_RAW_JIS_RE = re.compile(rb"\x1b[\$(][\x00-\x7f]*?(?:\x1b\([BJH]|\Z)")


# A UTF-8 sequence cut short before whitespace or the end (filters truncate previews by bytes).
_UTF8_CUT_RE = re.compile(
    rb"(?:[\xc2-\xdf]|[\xe0-\xef][\x80-\xbf]?|[\xf0-\xf4](?:[\x80-\xbf]{1,2})?)(?=\s|\Z)"
)
# Two or more 3- or 4-byte UTF-8 characters in a row: strong evidence of UTF-8 (2-byte
# sequences are not: EUC-JP and GBK pairs often look like them).
_UTF8_WIDE = rb"(?:[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3})"
_UTF8_EVIDENCE_RE = re.compile(_UTF8_WIDE + rb"{2,}")
_UTF8_RUN_RE = re.compile(_UTF8_WIDE + rb"+")


def _raw_8bit(raw: bytes, hint: str | None = None) -> tuple[str, int]:
    """Raw 8-bit bytes in a header (no MIME encoding): one charset for all of them if one fits
    (``hint`` first: the charset the message's text parts declare), else UTF-8 runs and the rest
    read apart (mixed-charset headers are a filter-evasion trick)."""
    result = decode_text(raw, hint)
    if result.bad == 0 and result.charset == UTF8:
        return result.text, 0
    if result.bad and _UTF8_CUT_RE.search(raw):
        cut = _UTF8_CUT_RE.sub(b"", raw)
        if _is_utf8(cut):
            return cut.decode("utf-8"), 0
    if _UTF8_EVIDENCE_RE.search(raw):
        mixed, bad = _mixed(raw)
        if bad < result.bad or (bad == result.bad and _common_share(mixed) > _common_share(result.text)):
            return mixed, bad
    return result.text, result.bad


def _mixed(raw: bytes) -> tuple[str, int]:
    """UTF-8 runs as UTF-8, each stretch between them read on its own."""
    out: list[str] = []
    bad = 0
    pos = 0
    for m in _UTF8_RUN_RE.finditer(raw):
        if m.start() > pos:
            r = decode_text(raw[pos : m.start()], None)
            out.append(r.text)
            bad += r.bad
        out.append(m.group(0).decode("utf-8"))
        pos = m.end()
    if pos < len(raw):
        r = decode_text(raw[pos:], None)
        out.append(r.text)
        bad += r.bad
    return "".join(out), bad


def _common_share(text: str) -> float:
    """Share of the non-ASCII characters that are everyday Japanese (kana, punctuation,
    full-width forms, symbols, level-1 kanji)."""
    common = _jp_common_chars()
    total = 0
    good = 0
    for ch in text:
        if ch >= "\x80":
            total += 1
            if ch in common or "\u3000" <= ch <= "\u30ff" or "\uff01" <= ch <= "\uff5e":
                good += 1
    return good / total if total else 0.0


def _text_segment(seg: str, hint: str | None) -> tuple[str, int]:
    """Decode a piece of a header value that is not an encoded word."""
    if seg.isascii() and "\x1b" not in seg:
        return seg, 0
    raw = seg.encode("utf-8", "surrogateescape")
    if b"\x1b" not in raw:
        return _raw_8bit(raw, hint)
    if raw.isascii():
        return decode_iso2022jp(raw, header=True)
    # Raw JIS runs and raw 8-bit bytes in the same value: read each on its own.
    out: list[str] = []
    bad = 0
    pos = 0
    for m in _RAW_JIS_RE.finditer(raw):
        if m.start() > pos:
            t, b = _raw_8bit(raw[pos : m.start()], hint)
            out.append(t)
            bad += b
        t, b = decode_iso2022jp(m.group(0), header=True)
        out.append(t)
        bad += b
        pos = m.end()
    if pos < len(raw):
        t, b = _raw_8bit(raw[pos:], hint)
        out.append(t)
        bad += b
    return "".join(out), bad


def _word_bytes(encoding: str, payload: str) -> bytes:
    raw = payload.encode("utf-8", "surrogateescape")
    if encoding in "bB":
        return decode_b64_lenient(raw)[0]
    return binascii.a2b_qp(raw, header=True)


def decode_header_value(raw: str, hint: str | None = None) -> tuple[str, int]:
    """Decode a raw (unfolded) header value: RFC 2047 encoded words (B and Q, any case, split
    mid-character, glued to text, with broken padding) and raw 8-bit or JIS bytes (a ``str``
    from ``bytes.decode("utf-8", "surrogateescape")`` keeps them).  ``hint``: a charset to try
    first for raw 8-bit bytes (e.g. the one the message's text declares).  Returns
    ``(text, undecodable_bytes)``; never raises."""
    if raw.isascii() and "=?" not in raw and "\x1b" not in raw:
        return raw, 0
    return _HeaderDecoder(header_hint(hint)).run(raw)


def header_hint(declared: str | None) -> str | None:
    """``declared`` if it is worth trying first on raw 8-bit header bytes, else None (not for
    charsets that read anything, such as cp1252, nor for 7-bit ones)."""
    codec, _known = resolve_charset(declared)
    if codec is None or codec in (LATIN, UTF8) or codec in _SEVEN_BIT or codec in _UTF16_32:
        return None
    return declared


def decode_raw_runs(raw: str, hint: str | None = None) -> str:
    """Decode only the raw 8-bit and raw JIS runs of a header value, leaving encoded words as
    they are: structured headers (addresses) can then be tokenised safely, since Shift_JIS and
    JIS bytes include ``@ \\ ( " < ,``."""
    if raw.isascii() and "\x1b" not in raw:
        return raw
    out: list[str] = []
    pos = 0
    hint = header_hint(hint)
    for m in _EW_RE.finditer(raw):
        out.append(_text_segment(raw[pos : m.start()], hint)[0])
        out.append(m.group(0))
        pos = m.end()
    out.append(_text_segment(raw[pos:], hint)[0])
    return "".join(out)


class _HeaderDecoder:
    """Adjacent encoded words with the same charset have their bytes joined before decoding
    (a character may be split between them); B payloads are joined as text while a word ends
    mid-quantum."""

    def __init__(self, hint: str | None) -> None:
        self.hint = hint
        self.out: list[str] = []
        self.bad = 0
        self.charset: str | None = None
        self.b64: list[str] = []
        self.b64_len = 0
        self.pending: list[bytes] = []

    def _flush_b64(self) -> None:
        if self.b64:
            joined = "".join(self.b64).encode("ascii", "ignore")
            self.pending.append(decode_b64_lenient(joined)[0])
            self.b64.clear()
            self.b64_len = 0

    def flush(self) -> None:
        if self.charset is None:
            return
        self._flush_b64()
        result = decode_text(b"".join(self.pending), self.charset)
        self.out.append(result.text)
        self.bad += result.bad
        self.pending.clear()
        self.charset = None

    def text(self, seg: str) -> None:
        self.flush()
        t, b = _text_segment(seg, self.hint)
        self.out.append(t)
        self.bad += b

    def word(self, charset: str, enc: str, payload: str) -> None:
        if self.charset is not None and charset.lower() != self.charset.lower():
            self.flush()
        self.charset = charset
        if enc in "bB":
            cleaned = "".join(payload.split())
            if self.b64_len % 4 == 0:
                self._flush_b64()  # the previous words ended on a quantum boundary
            self.b64.append(cleaned)
            self.b64_len += len(cleaned)
        else:
            self._flush_b64()
            self.pending.append(_word_bytes(enc, payload))

    def run(self, raw: str) -> tuple[str, int]:
        pos = 0
        for m in _EW_RE.finditer(raw):
            gap = raw[pos : m.start()]
            if gap and not gap.isspace():
                self.text(gap)
            self.word(m.group(1), m.group(2), m.group(3))
            pos = m.end()
        self.flush()
        if pos < len(raw):
            self.text(raw[pos:])
        return "".join(self.out), self.bad
