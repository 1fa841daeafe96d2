"""fold(): what it removes for matching and what it must keep."""

from __future__ import annotations

from mailsleuth.normalize import fold


def test_marks_on_latin_letters_are_dropped() -> None:
    assert fold("a\u073fl\u073fer\u073ft A\u073fm\u073fa\u073fz\u073fo\u073fn") == "alert amazon"
    assert fold("M\u0336icrosoft") == "microsoft"


def test_marks_other_scripts_need_are_kept() -> None:
    for text in ("ภาษาไทย", "हिन्दी", "Tiếng Việt"):
        assert fold(text) == text.casefold()
    assert fold("カ\u3099") == "が"  # NFKC joins the voicing mark first


def test_hostile_length_stays_linear() -> None:
    assert fold("a" + "\u0336" * 1_000_000) == "a"
