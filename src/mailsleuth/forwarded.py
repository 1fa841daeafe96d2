"""Find the message a forward carries, so the analysis judges the forwarded mail and not the
person who forwarded it.

People send a suspicious mail on to whoever they ask for help. Two shapes arrive:

* an inline forward: a short note (or none), a separator such as ``---------- Forwarded message
  ---------`` or Outlook's line of underscores, a header block (``From:``/``De:``/``差出人:`` ...),
  then the forwarded text. Only the sender's name and address, subject, date and text survive;
  the original route and authentication are gone (``find_inline_forward``).
* a forward as attachment: a ``message/rfc822`` part next to a short note. The whole original
  with its own headers is there (``find_attached_forward``).

Everything here reads a bounded head of the text, so hostile input costs linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mime import parse_addresses
from .models import ParsedMessage

HEAD_CHARS = 2_000  # the separator must start within this many characters of the text ...
HEAD_LINES = 30  # ... and within this many lines (the forwarder's note stays short)
BLOCK_LINES = 16  # lines a header block may take, folded lines included
BLOCK_CHARS = 4_000  # characters a header block may take
NOTE_CHARS = 2_000  # visible text beside an attached message that still counts as a short note
MAX_LINE = 1_000  # characters of one line read; longer lines are no separator nor header

# Separators that say "forward" in themselves, in the mailers' own words.
_FORWARD_SEP_RE = re.compile(
    r"(?i)^-{2,}\s*(?:forwarded message|forwarded e-?mail|message transf[ée]r[ée]|mensagem encaminhada"
    r"|mensaje reenviado|weitergeleitete nachricht|messaggio inoltrato|doorgestuurd bericht"
    r"|転送されたメッセージ|転送メッセージ|videresendt melding|vidarebefordrat meddelande)\s*-*\s*$"
    r"|^(?:begin forwarded message|d[ée]but du message r[ée]exp[ée]di[ée]|inicio del mensaje reenviado"
    r"|in[íi]cio da mensagem (?:re)?encaminhada|anfang der weitergeleiteten nachricht"
    r"|転送されたメッセージ|転送メッセージ)\s*[:：]?\s*$")
# Separators that replies use as well: they count only when the subject says "forward".
_GENERIC_SEP_RE = re.compile(
    r"(?i)^-{2,}\s*(?:original message|urspr[üu]ngliche nachricht|message d'origine|mensaje original"
    r"|mensagem original|messaggio originale|oorspronkelijk bericht|元のメッセージ|オリジナルメッセージ)\s*-*\s*$"
    r"|^_{10,}\s*$|^-{20,}\s*$")
_FORWARD_SUBJECT_RE = re.compile(
    r"(?i)^\s*(?:\[[^\]]{0,40}\]\s*)?(?:fwd?|fw|tr|enc|wg|rv|vs|vb|doorst|i|inoltro|転送|转发|轉寄)\s*[:：]")
_REPLY_SUBJECT_RE = re.compile(r"(?i)^\s*(?:\[[^\]]{0,40}\]\s*)?(?:re|aw|sv|antw|res|rif|返信|回复|答复)\s*[:：]")
_QUOTE_RE = re.compile(r"^[ \t>]*")
_FIELDS = {
    "from": "from", "de": "from", "von": "from", "van": "from", "da": "from", "差出人": "from",
    "送信者": "from", "发件人": "from", "寄件者": "from",
    "sent": "date", "date": "date", "enviado": "date", "envoyé": "date", "envoye": "date", "gesendet": "date",
    "verzonden": "date", "inviato": "date", "fecha": "date", "送信日時": "date", "日付": "date", "日時": "date",
    "datum": "date", "data": "date", "发送时间": "date", "date d'envoi": "date", "enviado el": "date",
    "to": "to", "para": "to", "à": "to", "a": "to", "an": "to", "aan": "to", "宛先": "to", "收件人": "to",
    "cc": "cc", "kopie": "cc", "cc.": "cc",
    "subject": "subject", "assunto": "subject", "objet": "subject", "betreff": "subject", "onderwerp": "subject",
    "oggetto": "subject", "asunto": "subject", "件名": "subject", "主题": "subject", "主旨": "subject",
    "reply-to": "reply_to", "responder a": "reply_to", "répondre à": "reply_to", "antwort an": "reply_to",
}
_HEADER_RE = re.compile(
    r"^\*{0,2}([^\W\d_][\w .'-]{0,18}?|[\u3040-\u30ff\u4e00-\u9fff]{1,6})\*{0,2}\s*[:：]\*{0,2}\s*(.*)$")
# Outlook writes "Sender on behalf of From"; the From is the name the reader was shown.
_MAILTO_RE = re.compile(r"(?i)[<\[(]\s*mailto:\s*([^\s<>\[\]()]{1,254}@[^\s<>\[\]()]{1,254})")
_ADDR_RE = re.compile(r"[\w.+=&'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,10}")
_NULL_SENDER_RE = re.compile(r"<\s*>")
_DAEMON_RE = re.compile(r"(?i)\b(?:mailer-daemon|postmaster|mail delivery|mdaemon|maildaemon)\b")
_BOUNCE_SUBJECT_RE = re.compile(
    r"(?i)deliver|returned mail|failure notice|mail error|could not be sent|non[- ]?remis|unzustellbar"
    r"|メールエラー|配信|送信できません|届きません")
_ON_BEHALF_RE = re.compile(
    r"(?i)\s(?:on behalf of|em nome de|en nombre de|de la part de|im auftrag von|namens|per conto di|代理)\s")


@dataclass(frozen=True, slots=True)
class InlineForward:
    """What an inline forward tells of the forwarded message."""

    from_name: str  # display name of the original sender (may be all there is: "De: AARON RAMSEY")
    from_address: str  # address of the original sender, "" when the block shows a name only
    subject: str
    date: str  # as the forwarder's mailer wrote it; not parsed
    reply_to: tuple[tuple[str, str], ...]  # (display name, address) pairs from a Reply-To line
    text: str  # the forwarded text, after the header block
    offset: int  # where ``text`` starts in the text that was searched
    note: str  # what the forwarder wrote above the separator
    separator: str  # the separator line as written


def is_forward_subject(subject: str) -> bool:
    return _FORWARD_SUBJECT_RE.match(subject[:200]) is not None


def is_reply_subject(subject: str) -> bool:
    return _REPLY_SUBJECT_RE.match(subject[:200]) is not None


def _lines(text: str, start: int, max_lines: int, max_chars: int) -> list[tuple[int, str]]:
    """(offset, line) pairs from ``start``, at most ``max_lines`` of them, none reaching past
    ``start + max_chars``; a line is cut at ``MAX_LINE`` characters."""
    out: list[tuple[int, str]] = []
    pos, end = start, min(len(text), start + max_chars)
    while pos < end and len(out) < max_lines:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        out.append((pos, text[pos:min(stop, pos + MAX_LINE)].rstrip("\r")))
        pos = stop + 1
    return out


def _field(line: str) -> tuple[str, str] | None:
    """(field, value) when the line is a header of a forwarded block, else None."""
    m = _HEADER_RE.match(line.strip())
    if m is None:
        return None
    name = m.group(1).strip().lower()
    field = _FIELDS.get(name)
    return (field, m.group(2).strip().strip("*").strip()) if field else None


def _sender(value: str) -> tuple[str, str]:
    """(display name, address) of a From value; a value without ``@`` is a display name only.
    Outlook's ``Name [mailto:a@b]`` and ``Name<mailto:a@b>`` are read as name and address."""
    value = _ON_BEHALF_RE.split(value, maxsplit=1)[-1].strip()
    if "@" not in value:
        return value.strip("'\" ").strip(), ""
    m = _MAILTO_RE.search(value)
    if m is not None:
        return value[: m.start()].strip(" <[(\"'"), m.group(1).lower()
    found = parse_addresses(value.replace("\n", " "))
    if found and _ADDR_RE.fullmatch(found[0][1]):
        name, addr = found[0]
        return name.strip().strip("'\"").strip(), addr.lower()
    m = _ADDR_RE.search(value)
    if m is None:
        return value, ""
    return value[: m.start()].strip(" <[(\"'"), m.group(0).lower()


def _block(text: str, start: int, depth: int, *, strict: bool = False) -> tuple[dict[str, str], int] | None:
    """The header block that starts at ``start`` (blank lines skipped): its fields and where it ends.

    A field value may be folded over the next line when an address is still open (``<`` without
    ``>``) or when the folded line sits between two header lines."""
    lines = _lines(text, start, BLOCK_LINES + 3, BLOCK_CHARS)
    fields: dict[str, str] = {}
    current = ""
    end = start
    i = 0
    while i < len(lines) and not fields and not _unquote(lines[i][1], depth).strip():
        i += 1  # blank lines between separator and block (Apple Mail)
    taken = 0
    while i < len(lines) and taken < BLOCK_LINES:
        offset, raw = lines[i]
        line = _unquote(raw, depth)
        if not line.strip():
            break
        found = _field(line)
        if found is not None and found[0] not in fields:
            current = found[0]
            fields[current] = found[1]
        elif current and _folds(fields[current], line, lines, i, depth):
            fields[current] = f"{fields[current]} {line.strip()}"
        else:
            break
        end = offset + len(raw) + 1
        taken += 1
        i += 1
    if "from" not in fields or not ({"subject", "date"} & fields.keys()):
        return None
    if strict and not {"subject", "date"} <= fields.keys():
        return None  # without a separator only a full block (From, date and Subject) counts
    return fields, min(end, len(text))


def _folds(value: str, line: str, lines: list[tuple[int, str]], i: int, depth: int) -> bool:
    if value.count("<") > value.count(">") or line.lstrip().startswith((">", "<")):
        return True
    return i + 1 < len(lines) and _field(_unquote(lines[i + 1][1], depth)) is not None


def _unquote(line: str, depth: int) -> str:
    """The line without as many ``>`` quote marks as the separator carried."""
    for _ in range(depth):
        stripped = line.lstrip(" \t")
        if not stripped.startswith(">"):
            return line
        line = stripped[1:]
    return line


def find_inline_forward(text: str, subject: str = "") -> InlineForward | None:
    """The forwarded message of an inline forward, or None.

    The separator must stand near the top (``HEAD_CHARS`` / ``HEAD_LINES``): a person may write
    a note above it, but a separator deep in a long mail is a quoted thread, not the subject of the
    mail. Separators that replies share (Outlook's underscores, ``-----Original Message-----``)
    count only under a forward subject (``Fw:``, ``TR:``, ``転送:``...); a reply subject (``Re:``)
    never makes a forward."""
    if is_reply_subject(subject):
        return None
    generic_ok = is_forward_subject(subject)
    blank_before = True
    for offset, raw in _lines(text, 0, HEAD_LINES, HEAD_CHARS):
        m = _QUOTE_RE.match(raw)
        depth = m.group(0).count(">") if m else 0
        line = raw[m.end() if m else 0:].strip().strip("*").strip()
        after_blank, blank_before = blank_before, not line
        if not line:
            continue
        if _FORWARD_SEP_RE.match(line) is not None or (generic_ok and _GENERIC_SEP_RE.match(line)):
            block = _block(text, offset + len(raw) + 1, depth)
        elif generic_ok and after_blank and (found := _field(line)) is not None and found[0] == "from":
            # Windows Mail and newer Outlook put the block under a blank line, with no separator
            block = _block(text, offset, depth, strict=True)
        else:
            continue
        if block is None:
            continue
        fields, end = block
        name, addr = _sender(fields["from"])
        reply_to = tuple(parse_addresses(fields["reply_to"])) if "@" in fields.get("reply_to", "") else ()
        return InlineForward(from_name=name, from_address=addr, subject=fields.get("subject", ""),
                             date=fields.get("date", ""), reply_to=reply_to, text=text[end:], offset=end,
                             note=text[:offset].strip(), separator=line)
    return None


def find_attached_forward(msg: ParsedMessage) -> tuple[ParsedMessage, bytes] | None:
    """The message a forward carries as an attachment, parsed and as its bytes (which its DKIM
    signatures cover), or None.

    It counts when the outer message is an ordinary one (not a delivery report, whose returned
    message is no forward, nor a digest) with exactly one enclosed message and, beside it, only a
    short note (``NOTE_CHARS`` of visible text before the enclosed message)."""
    from .mime import parse_message

    ctype = (msg.get("Content-Type") or "").lower()
    if not ctype.startswith("multipart/") or ctype.startswith(("multipart/report", "multipart/digest")):
        return None
    if _NULL_SENDER_RE.fullmatch((msg.get("Return-Path") or "").strip()) or _DAEMON_RE.search(msg.get("From") or ""):
        return None  # a bounce that returns the message as an attachment
    if _BOUNCE_SUBJECT_RE.search((msg.get("Subject") or "")[:300]):
        return None
    auto = (msg.get("Auto-Submitted") or "no").strip().lower()
    if auto != "no":
        return None
    enclosed = [i for i, p in enumerate(msg.parts) if p.content_type == "message/rfc822" and p.data]
    if not enclosed:
        return None
    first = enclosed[0]
    outer = msg.parts[:first]
    note = sum(len((p.text or "").strip()) for p in outer if p.content_type == "text/plain")
    if not any(p.content_type == "text/plain" for p in outer):
        note = sum(len(re.sub(r"<[^>]{0,2000}>", "", (p.text or "")[:100_000]).strip())
                   for p in outer if p.content_type == "text/html")
    if note > NOTE_CHARS:
        return None
    data = msg.parts[first].data or b""
    inner = parse_message(data)
    if not inner.headers or not (inner.get("From") or inner.get("Subject")):
        return None
    if len(enclosed) > 1 + sum(1 for p in inner.parts if p.content_type == "message/rfc822"):
        return None  # several messages side by side: a collection, not one forward
    return inner, data
