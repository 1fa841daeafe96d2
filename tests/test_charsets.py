"""Charset decoding: Japanese legacy charsets with Microsoft's extensions, mislabelled and
missing labels, RFC 2047 headers in every broken form real mail has, raw 8-bit and JIS bytes."""

from __future__ import annotations

import base64

import pytest

from mailsleuth.charsets import (
    decode_b64_lenient,
    decode_bytes,
    decode_eucjp_ms,
    decode_header_value,
    decode_iso2022jp,
    decode_raw_runs,
    decode_text,
    resolve_charset,
)


def sjis_to_jis(data: bytes) -> bytes:
    """Test helper, written independently of the decoder: Shift_JIS pairs to JIS X 0208 pairs."""
    out = bytearray()
    i = 0
    while i < len(data):
        s1 = data[i]
        if s1 < 0x80:
            out.append(s1)
            i += 1
            continue
        s2 = data[i + 1]
        j1 = (s1 - (0x70 if s1 <= 0x9F else 0xB0)) * 2
        if s2 < 0x9F:
            j1 -= 1
            j2 = s2 - 0x1F - (1 if s2 >= 0x80 else 0)
        else:
            j2 = s2 - 0x7E
        out += bytes([j1, j2])
        i += 2
    return bytes(out)


def jis(text: str) -> bytes:
    """Encode ``text`` as CP50220 does: kanji runs between ESC $ B and ESC ( B."""
    out = bytearray()
    kanji = False
    for ch in text:
        if ord(ch) < 0x80:
            if kanji:
                out += b"\x1b(B"
                kanji = False
            out += ch.encode("ascii")
        else:
            if not kanji:
                out += b"\x1b$B"
                kanji = True
            out += sjis_to_jis(ch.encode("cp932"))
    if kanji:
        out += b"\x1b(B"
    return bytes(out)


def surrogate(data: bytes) -> str:
    """A raw header value as the parser keeps it (bytes -> str, nothing lost)."""
    return data.decode("utf-8", "surrogateescape")


# --- ISO-2022-JP as CP50220/50221/50222 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "python_rejects"),
    [
        ("①②⑳Ⅰ㈱㍉㎝", True),  # NEC special characters, row 13
        ("髙橋 山﨑 德 昻", True),  # IBM / NEC-selected extended kanji, rows 89-92
        ("【重要】ご利用確認", False),  # plain JIS X 0208
        ("～－∥￠", False),  # read with the CP932 mapping (not WAVE DASH etc.)
    ],
)
def test_iso2022jp_microsoft_extensions(text: str, python_rejects: bool) -> None:
    data = jis(text)
    if python_rejects:
        with pytest.raises(UnicodeDecodeError):
            data.decode("iso2022_jp")
    assert decode_iso2022jp(data) == (text, 0)
    assert decode_bytes(data, "ISO-2022-JP") == (text, 0)


def test_iso2022jp_halfwidth_katakana_esc_i_and_so_si() -> None:
    assert decode_iso2022jp(b"\x1b(I123\x1b(B!") == ("ｱｲｳ!", 0)
    assert decode_iso2022jp(b"a\x0e123\x0fb") == ("aｱｲｳb", 0)
    assert decode_bytes(b"\x1b$B$\"\x1b(B \x1b(I123\x1b(B", "iso-2022-jp") == ("あ ｱｲｳ", 0)


def test_iso2022jp_jisx0212_and_jis_roman() -> None:
    # JIS X 0212 row 0x30: the first kanji (丂); ESC ( J is JIS-Roman, read as ASCII.
    assert decode_iso2022jp(b"\x1b$(D0!\x1b(Jabc") == ("丂abc", 0)


def test_iso2022jp_counts_damage() -> None:
    text, bad = decode_iso2022jp(b"\x1b$B$\"$\x1b(B")  # one stray byte in kanji mode
    assert text.startswith("あ") and bad == 1
    text, bad = decode_iso2022jp(b"\x1b$B$\"\x1b(B\x82\xa0")  # 8-bit bytes are not ISO-2022-JP
    assert bad == 2 and "\ufffd" in text


def test_iso2022jp_without_final_reset_and_newline_in_kanji_mode() -> None:
    assert decode_iso2022jp(b"\x1b$B$\"\r\n$$") == ("あ\r\nい", 0)


def test_eucjp_with_nec_and_ibm_extensions() -> None:
    # CP51932: NEC row 13 (①) and NEC-selected IBM kanji (髙) as EUC pairs.
    data = bytes(b | 0x80 for b in sjis_to_jis("①髙あ".encode("cp932")))
    assert decode_eucjp_ms(data) == ("①髙あ", 0)
    assert decode_bytes(data, "euc-jp") == ("①髙あ", 0)
    assert decode_bytes("ご確認ください".encode("euc_jp"), "EUC-JP") == ("ご確認ください", 0)


# --- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("Shift_JIS", "cp932"),
        ("x-sjis", "cp932"),
        ("windows-31j", "cp932"),
        ("ISO-2022-JP", "iso-2022-jp"),
        ("iso-2022-jp-2", "iso-2022-jp"),
        ("_iso-2022-jp$ESC", "iso-2022-jp"),
        ("EUC-JP", "euc-jp"),
        ("ks_c_5601-1987", "cp949"),
        ("gb2312", "gb18030"),
        ("big5", "big5hkscs"),
        ("windows-1251", "cp1251"),
        ("iso-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ('"utf-8"', "utf-8"),
        ("uft-8", "utf-8"),
        ("utf-8\u201d", "utf-8"),
        ("3Dutf-8", "utf-8"),
        ("unicode-1-1-utf-7", "utf-7"),
        ("koi8-r", "koi8-r"),
        ("iso-8859-15", "iso8859-15"),
    ],
)
def test_resolve_charset(name: str, codec: str) -> None:
    assert resolve_charset(name) == (codec, True)


@pytest.mark.parametrize("name", ["unknown-8bit", "x-user-defined", "default"])
def test_no_charset_names(name: str) -> None:
    assert resolve_charset(name) == (None, True)


@pytest.mark.parametrize("name", ["bogus-9", "rot13", "base64", "unicode_escape", "[charse<!doctype"])
def test_bogus_and_dangerous_names_are_unknown(name: str) -> None:
    assert resolve_charset(name) == (None, False)


def test_other_charsets() -> None:
    assert decode_bytes("안녕하세요".encode("cp949"), "ks_c_5601-1987") == ("안녕하세요", 0)
    assert decode_bytes("中文邮件".encode("gbk"), "gb2312") == ("中文邮件", 0)
    assert decode_bytes("繁體中文".encode("big5"), "big5") == ("繁體中文", 0)
    assert decode_bytes("Привет".encode("koi8-r"), "koi8-r") == ("Привет", 0)
    assert decode_bytes("Привет".encode("cp1251"), "windows-1251") == ("Привет", 0)
    assert decode_bytes(b"caf\xe9 \x93quoted\x94", "iso-8859-1") == ("café “quoted”", 0)
    assert decode_bytes(b"Hi +ZeVnLIqe-", "utf-7") == ("Hi 日本語", 0)
    assert decode_bytes("日本".encode("utf-16-le"), "unicode") == ("日本", 0)
    assert decode_bytes(b"plain", "bogus-9") == ("plain", 0)


# --- mislabelled and unlabelled -----------------------------------------------------------------


def test_shift_jis_labelled_iso2022jp() -> None:
    data = "お客様のアカウント①".encode("cp932")
    result = decode_text(data, "iso-2022-jp")
    assert (result.text, result.bad, result.charset) == ("お客様のアカウント①", 0, "cp932")
    assert result.note is not None and "iso-2022-jp" in result.note


def test_utf8_labelled_latin1_and_latin1_labelled_utf8() -> None:
    assert decode_text("Prüfung für Sie".encode(), "iso-8859-1").text == "Prüfung für Sie"
    assert decode_text(b"Copyright \xa9 2022 caf\xe9", "utf-8").text == "Copyright © 2022 café"


def test_euc_jp_labelled_iso2022jp_and_utf8_labelled_iso2022jp() -> None:
    assert decode_text("送信できませんでした".encode("euc_jp"), "iso-2022-jp").text == "送信できませんでした"
    assert decode_text("送信できませんでした".encode(), "iso-2022-jp").text == "送信できませんでした"


def test_unlabelled_8bit_is_guessed() -> None:
    assert decode_bytes("こんにちは、世界".encode("cp932"), None) == ("こんにちは、世界", 0)
    assert decode_bytes("こんにちは、世界".encode("euc_jp"), None) == ("こんにちは、世界", 0)
    assert decode_bytes("こんにちは".encode(), None) == ("こんにちは", 0)
    assert decode_bytes(jis("こんにちは"), None) == ("こんにちは", 0)
    assert decode_bytes(b"d\xe9j\xe0 vu", None) == ("déjà vu", 0)
    assert decode_bytes(b"", None) == ("", 0)


def test_latin_text_is_not_misread_as_japanese() -> None:
    # Smart quotes and soft hyphens are valid Shift_JIS bytes, but not Japanese.
    assert decode_bytes(b"It wasn\x92t found, didn\x92t arrive", "windows-1252")[0] == (
        "It wasn’t found, didn’t arrive"
    )
    assert decode_bytes(b"Our \xad\xad\xad\xadcomp\xad\xad\xadany", "iso-8859-1")[0] == (
        "Our \xad\xad\xad\xadcomp\xad\xad\xadany"
    )


def test_chinese_mislabelled_as_latin1() -> None:
    text = "中路通配件厂专业生产泵头总成，主要型号有五十铃康明斯依维柯"
    assert decode_text(text.encode("gb2312"), "iso-8859-1").text == text


def test_small_damage_keeps_the_label_and_is_counted() -> None:
    data = "正しいUTF-8のテキストです。".encode() * 5 + b"\xff" + "続き".encode()
    result = decode_text(data, "utf-8")
    assert result.charset == "utf-8" and result.bad == 1
    assert result.text.count("\ufffd") == 1 and result.text.endswith("続き")


def test_undecodable_counted_only_as_last_resort() -> None:
    data = bytes(range(0x80, 0x100)) * 3  # no charset reads all of these
    text, bad = decode_bytes(data, "utf-8")
    assert bad > 0 and text.count("\ufffd") == bad
    text, bad = decode_bytes(b"\xef\xbb\xbfBOM then text", "iso-8859-1")
    assert (text, bad) == ("BOM then text", 0)
    assert decode_bytes("literal \ufffd in the mail".encode(), "utf-8") == ("literal \ufffd in the mail", 0)


# --- base64 -------------------------------------------------------------------------------------


def test_b64_lenient() -> None:
    assert decode_b64_lenient(b"44GC44GE")[0] == "あい".encode()
    assert decode_b64_lenient(b"44GC44G")[0] == "あ".encode() + b"\xe3\x81"  # padding missing
    assert decode_b64_lenient(b"YQ==YWJj") == (b"aabc", False)  # padded chunks concatenated
    assert decode_b64_lenient(b"Y W!!J\nj") == (b"abc", False)  # junk and whitespace
    assert decode_b64_lenient(b"YWJjZ") == (b"abc", True)  # a lone trailing character


# --- headers ------------------------------------------------------------------------------------


def b64word(charset: str, data: bytes, lower: bool = False) -> str:
    prefix = f"=?{charset}?B?"
    return f"{prefix.lower() if lower else prefix}{base64.b64encode(data).decode()}?="


def test_header_word_split_mid_character() -> None:
    subject = "【Amazon】アカウント確認".encode()
    value = f"{b64word('UTF-8', subject[:10])}\t{b64word('utf-8', subject[10:])}"
    assert decode_header_value(value) == ("【Amazon】アカウント確認", 0)


def test_header_word_split_mid_quantum_without_padding() -> None:
    encoded = base64.b64encode("テスト件名".encode()).decode()
    value = f"=?UTF-8?B?{encoded[:5]}?= =?UTF-8?B?{encoded[5:]}?="
    assert decode_header_value(value) == ("テスト件名", 0)


def test_header_iso2022jp_word_split() -> None:
    data = jis("アマゾン①")
    value = f"{b64word('ISO-2022-JP', data[:7])} {b64word('iso-2022-jp', data[7:], lower=True)}"
    assert decode_header_value(value) == ("アマゾン①", 0)


def test_header_q_words_and_bad_escapes() -> None:
    assert decode_header_value("=?utf-8?q?=E3=81=82_=E3?= =?UTF-8?Q?=81=84?=") == ("あ い", 0)
    assert decode_header_value("=?iso-8859-1?Q?caf=E9_=ZZ?=") == ("café =ZZ", 0)


def test_header_words_glued_to_text_and_whitespace_rules() -> None:
    word = b64word("UTF-8", "ご利用確認".encode())
    assert decode_header_value(f"[spam]{word}") == ("[spam]ご利用確認", 0)
    assert decode_header_value(f"{word}(重要)") == ("ご利用確認(重要)", 0)
    assert decode_header_value(f"Re: {word} {word}") == ("Re: ご利用確認ご利用確認", 0)
    assert decode_header_value(f"{word} and {word}") == ("ご利用確認 and ご利用確認", 0)


def test_header_broken_padding_unknown_charset_and_unterminated() -> None:
    unpadded = base64.b64encode("重要".encode()).decode().rstrip("=")
    assert decode_header_value(f"=?UTF-8?B?{unpadded}?=") == ("重要", 0)
    assert decode_header_value(b64word("x-bogus", "確認".encode())) == ("確認", 0)
    assert decode_header_value(f"=?utf-8?b?{unpadded}") == ("重要", 0)  # cut off at the end
    assert decode_header_value(b64word("ISO-8859-1", "Prüfung".encode())) == ("Prüfung", 0)


def test_header_raw_utf8_sjis_eucjp() -> None:
    assert decode_header_value(surrogate("【重要】お支払い".encode())) == ("【重要】お支払い", 0)
    assert decode_header_value(surrogate("三井住友カード".encode("cp932"))) == ("三井住友カード", 0)
    assert decode_header_value(surrogate("ご確認ください".encode("euc_jp"))) == ("ご確認ください", 0)
    # Charset hint (what the body declares) for ambiguous bytes.
    assert decode_header_value(surrogate("광고 안내".encode("cp949")), "ks_c_5601-1987") == ("광고 안내", 0)


def test_header_raw_jis_escapes() -> None:
    raw = "[List] " + jis("「えきねっと」①").decode("ascii") + " notice"
    assert decode_header_value(raw) == ("[List] 「えきねっと」① notice", 0)


def test_header_raw_jis_cut_short_does_not_eat_the_rest() -> None:
    raw = "preview: " + jis("日頃より").decode("ascii")[:-3] + " [...] Content analysis details"
    text, _bad = decode_header_value(raw)
    assert text.startswith("preview: 日頃より") and text.endswith("[...] Content analysis details")


def test_header_mixed_charsets_in_one_raw_value() -> None:
    # A filter-evasion trick seen in Japanese phishing: UTF-8, GBK and EUC-JP in one Subject.
    raw = "お客".encode() + "様".encode("gbk") + "のJCBアカウント".encode("euc_jp") + "がロック".encode()
    assert decode_header_value(surrogate(raw)) == ("お客様のJCBアカウントがロック", 0)


def test_header_truncated_utf8_is_not_damage() -> None:
    raw = "Content preview: ご利用".encode() + "確".encode()[:2] + b" [...]"
    assert decode_header_value(surrogate(raw)) == ("Content preview: ご利用 [...]", 0)


def test_header_ascii_fast_path_and_no_encoded_word_left() -> None:
    assert decode_header_value("plain ascii value") == ("plain ascii value", 0)
    text, _ = decode_header_value("=?UTF-8?B?5L2g5aW9?==?UTF-8?B?5L2g5aW9?=")
    assert text == "你好你好"


def test_decode_raw_runs_keeps_encoded_words() -> None:
    raw = surrogate("三井".encode("cp932")) + " =?UTF-8?B?5L2g?= <a@b>"
    assert decode_raw_runs(raw) == "三井 =?UTF-8?B?5L2g?= <a@b>"
