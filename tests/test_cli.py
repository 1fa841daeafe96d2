"""The command line as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"


def run(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "mailsleuth.cli", *args], input=stdin, capture_output=True,
                          timeout=120, env=env)


def test_exit_codes_follow_the_verdict() -> None:
    assert run("analyze", str(EX / "ekinet-account-deleted.eml")).returncode == 2
    assert run("analyze", str(EX / "colleague-clean.eml")).returncode == 0


def test_json_is_one_object(tmp_path: Path) -> None:
    proc = run("analyze", "--format", "json", str(EX / "ekinet-account-deleted.eml"))
    out = json.loads(proc.stdout)
    assert out["verdict"] == "phishing"
    assert "path" not in out


def test_jsonl_walks_directories_and_names_paths(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(EX / "ekinet-account-deleted.eml", tmp_path / "a" / "b" / "one.eml")
    shutil.copy(EX / "colleague-clean.eml", tmp_path / "a" / "two.eml")
    proc = run("analyze", "--format", "jsonl", str(tmp_path))
    lines = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [Path(x["path"]).name for x in lines] == ["two.eml", "one.eml"] or \
        sorted(Path(x["path"]).name for x in lines) == ["one.eml", "two.eml"]
    assert proc.returncode == 2


def test_stdin() -> None:
    proc = run("analyze", "--format", "json", "-", stdin=(EX / "ekinet-account-deleted.eml").read_bytes())
    assert json.loads(proc.stdout)["brand"]["name"] == "えきねっと"


def test_text_report_language() -> None:
    ja = run("analyze", "--lang", "ja", "--no-color", str(EX / "ekinet-account-deleted.eml")).stdout.decode()
    en = run("analyze", "--lang", "en", "--no-color", str(EX / "ekinet-account-deleted.eml")).stdout.decode()
    assert ja.lstrip().startswith("フィッシング")
    assert en.lstrip().startswith("PHISHING")
    assert "\x1b[" not in ja
    assert "faxohbr.cn" in ja and "114.230.236.207" in en


def test_language_defaults_to_locale() -> None:
    env = {"PATH": "/usr/bin:/bin", "LANG": "ja_JP.UTF-8"}
    out = run("analyze", "--no-color", str(EX / "colleague-clean.eml"), env=env).stdout.decode()
    assert "問題なし" in out


def test_missing_file_is_one_line_and_others_still_run(tmp_path: Path) -> None:
    proc = run("analyze", "--format", "jsonl", str(tmp_path / "nope.eml"), str(EX / "colleague-clean.eml"))
    assert proc.returncode == 3
    assert proc.stderr.decode().count("\n") == 1 and "nope.eml" in proc.stderr.decode()
    lines = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert lines[0]["error"] and lines[1]["verdict"] == "clean"


def test_bad_option_is_usage_error() -> None:
    assert run("analyze", "--format", "xml", "x").returncode == 4
    assert run("--help").returncode == 0


def test_report_command_writes_article_and_map(tmp_path: Path) -> None:
    out = tmp_path / "warning.md"
    proc = run("report", str(EX / "ekinet-account-deleted.eml"), "--lang", "ja", "-o", str(out))
    assert proc.returncode == 2, proc.stderr.decode()
    text = out.read_text(encoding="utf-8")
    assert "hxxps://www[.]eki-net-member[.]revapec[.]cn/" in text
    assert "https://www.eki-net-member" not in text
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_analyze_reaches_the_report_formats() -> None:
    html = run("analyze", "--format", "html", "--lang", "en", str(EX / "ekinet-account-deleted.eml"))
    assert html.returncode == 2 and b"Content-Security-Policy" in html.stdout
    many = run("analyze", "--format", "md", str(EX / "ekinet-account-deleted.eml"), str(EX / "colleague-clean.eml"))
    assert many.returncode == 4


def test_report_to_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    proc = run("report", str(EX / "colleague-clean.eml"), "-o", str(tmp_path / "no" / "such" / "x.html"))
    assert proc.returncode == 3 and b"cannot write" in proc.stderr and b"Traceback" not in proc.stderr


def test_offline_bundle_replays_byte_for_byte(tmp_path: Path) -> None:
    """Without --online the bundle still holds every answer (geo-IP, network, feed look-ups), so
    another machine with other data files makes the same report from it."""
    from mailsleuth.cli import main

    bundle = tmp_path / "seed.bundle.json"
    live = run("analyze", str(EX / "ekinet-account-deleted.eml"), "--format", "md", "--lang", "ja",
               "--bundle", str(bundle))
    again = run("report", "--from-bundle", str(bundle), "--format", "md", "--lang", "ja")
    assert live.returncode == again.returncode == 2
    assert again.stdout == live.stdout
    kinds = {e["kind"] for e in json.loads(bundle.read_text(encoding="utf-8"))["answers"]}
    assert {"geo", "asn"} <= kinds
    assert main(["analyze", str(EX), "--bundle", str(bundle)]) == 4  # one mail only
    assert main(["report", str(EX / "ekinet-account-deleted.eml"), "--from-bundle", str(bundle)]) == 4
