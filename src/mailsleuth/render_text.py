"""The terminal report: verdict first, then findings with their points, then sender,
origin and links. Colour comes from rich and is dropped when the output is not a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .report import Report

_STYLE = {"phishing": "bold white on red", "spam": "bold black on yellow",
          "suspicious": "bold black on bright_yellow", "clean": "bold white on green"}
_LABEL = {
    "ja": {"phishing": "フィッシング", "spam": "迷惑メール", "suspicious": "要注意", "clean": "問題なし"},
    "en": {"phishing": "PHISHING", "spam": "SPAM", "suspicious": "SUSPICIOUS", "clean": "CLEAN"},
}
_HEAD = {
    "ja": {"score": "スコア", "brand": "ブランド", "findings": "判定の理由", "points": "点",
           "sender": "差出人", "origin": "送信元", "links": "リンク", "advice": "どうすればよいか",
           "warnings": "読めなかった部分", "subject": "件名", "official": "公式ドメイン",
           "impersonated": "なりすまし", "none": "なし", "stamps": "スパムスタンプ"},
    "en": {"score": "score", "brand": "brand", "findings": "Why", "points": "pts",
           "sender": "Sender", "origin": "Origin", "links": "Links", "advice": "What to do",
           "warnings": "Could not be read", "subject": "Subject", "official": "official domains",
           "impersonated": "impersonated", "none": "none", "stamps": "spam stamps"},
}


def render(report: Report, console: Console, lang: str = "en", path: str | None = None) -> None:
    h = _HEAD[lang]
    head = Text()
    head.append(f" {_LABEL[lang][report.verdict]} ", style=_STYLE[report.verdict])
    head.append(f"  {h['score']} {report.score:g}")
    if report.brand:
        # "impersonated" only where the verdict says so: a clean mail that names a brand imitates nobody
        shown = report.brand.role == "impersonated" and report.verdict in ("phishing", "spam")
        role = f" ({h['impersonated']})" if shown else ""
        head.append(f"  {h['brand']}: {report.brand.name}{role}", style="bold")
    console.print(head)
    if path:
        console.print(Text(path, style="dim"))
    console.print(Text(report.summary[lang]))
    console.print(Text(f"{h['subject']}: {report.subject}"))
    if report.spam_stamps:
        console.print(Text(f"{h['stamps']}: {', '.join(report.spam_stamps)}", style="yellow"))
    console.print()
    if report.findings:
        table = Table(title=h["findings"], title_justify="left", show_header=False, box=None, pad_edge=False)
        table.add_column(justify="right", style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for f in report.findings:
            body = Text(f"{f.id}\n", style="cyan")
            body.append(f.explanation[lang], style="default")
            for item in f.evidence[:4]:
                body.append(f"\n  · {item}", style="dim")
            table.add_row(f"{f.score:+g}", body)
        console.print(table)
        console.print()
    _sender(report, console, lang)
    _origin(report, console, lang)
    _links(report, console, lang)
    console.print(Text(h["advice"], style="bold"))
    console.print(Text(report.advice[lang]))
    if report.warnings:
        console.print(Text(f"{h['warnings']}:", style="bold yellow"))
        for w in report.warnings[:10]:
            console.print(Text(f"  {w}", style="yellow"))


def _sender(report: Report, console: Console, lang: str) -> None:
    h = _HEAD[lang]
    s = report.sender
    console.print(Text(h["sender"], style="bold"))
    if s is None:
        console.print(f"  {h['none']}")
    else:
        console.print(Text(f"  {s.display_name_raw} <{s.address}>  ({s.registrable_domain or '-'})"))
    if report.brand:
        domains = ", ".join(report.brand.official_domains) or "-"
        console.print(Text(f"  {h['official']} ({report.brand.name}): {domains}"))
    console.print()


def _origin(report: Report, console: Console, lang: str) -> None:
    h = _HEAD[lang]
    o = report.origin
    console.print(Text(h["origin"], style="bold"))
    if o is None:
        console.print(f"  {h['none']}")
    else:
        c = report.origin_country
        where = f"  {c.name} ({c.code})" if c else ""
        console.print(Text(f"  {o.ip}  helo={o.helo or '-'}  rdns={o.rdns or 'unknown'}{where}"))
        enriched = (report.enrichment.to_dict().get("origin") or {}) if report.enrichment else {}
        geo, asn = enriched.get("geo") or {}, enriched.get("asn") or {}
        place = ", ".join(str(x) for x in (geo.get("city"), geo.get("region"), geo.get("country_name")) if x)
        if place:
            console.print(Text(f"  {place}  ({geo.get('source')} {geo.get('source_date')})", style="dim"))
        if asn.get("org"):
            number = f"AS{asn['asn']} " if asn.get("asn") else ""
            console.print(Text(f"  {number}{asn['org']}  {asn.get('network') or ''}", style="dim"))
    console.print()


def _links(report: Report, console: Console, lang: str) -> None:
    h = _HEAD[lang]
    console.print(Text(f"{h['links']} ({len(report.links)})", style="bold"))
    for link in report.links[:15]:
        text = f"  \"{link.text[:40]}\"" if link.text else ""
        console.print(Text(f"  {link.host}  [{link.registrable_domain or '-'}]{text}"))
    for hosting in report.hosting:
        for addr in hosting.addresses:
            geo, asn = addr.geo, addr.asn
            place = ", ".join(x for x in (geo.city, geo.country_code) if x) if geo else ""
            org = asn.org if asn and asn.org else ""
            console.print(Text(f"    {hosting.host} -> {addr.ip}  {place}  {org}".rstrip(), style="dim"))
    if report.online is not None:
        for reg in report.online.registrations:
            created = (reg.created or "?")[:10]
            label = "登録" if lang == "ja" else "registered"
            console.print(Text(f"    {reg.domain}: {label} {created}  {reg.registrar}  ({reg.source})".rstrip(),
                               style="dim"))
        for answer in report.online.reputation:
            if answer.verdict in ("malicious", "suspicious"):
                console.print(Text(f"    {answer.service}: {answer.verdict} - {answer.detail}", style="dim"))
    if len(report.links) > 15:
        console.print(f"  … +{len(report.links) - 15}")
    console.print()
