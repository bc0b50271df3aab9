"""Raw MIME to the text a receipt parser reads: one decoded, normalized text body and the headers
that matter, for direct and forwarded mail.

Linear and bounded (adapters/receipts/limits.py): whatever the bytes, `read_mail` returns within
the caps and the time budget, or raises Unreadable with the reason; it raises nothing else.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from tixpilot.adapters.receipts.limits import (
    MAX_DELIMITER_LINES,
    MAX_DEPTH,
    MAX_HEADER_CHARS,
    MAX_LINE_CHARS,
    MAX_LINES,
    MAX_PARTS,
    MAX_TEXT_CHARS,
    READ_BYTES,
    Budget,
    Unreadable,
)

# Spaces that receipts use between words (non-breaking, thin, figure) count as spaces; zero-width
# characters count as nothing.
_SPACES = re.compile(r"[ \t\u00a0\u2007\u2009\u202f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_FORWARD_MARKER = re.compile(
    r"^(?:-{2,} ?Forwarded message ?-{2,}|Begin forwarded message:?|-{2,} ?Original Message ?-{2,}"
    r"|-{2,} ?Forwarded by .*)$",
    re.IGNORECASE,
)
_QUOTED_HEADER = re.compile(r"^(From|To|Subject|Date|Sent|Cc)\s*:\s*(.*)$", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*((fwd?|fw|tr|wg)\s*:\s*)+", re.IGNORECASE)
_SHORT_PLAIN = 200  # a text/plain part shorter than this is a stub ("view in your browser")


@dataclass(frozen=True)
class MailText:
    """A message as receipt parsers see it. `lines` are the body's non-empty normalized lines."""

    subject: str
    sender: str  # the From address, lower-case
    recipients: list[str]
    date: str
    lines: list[str]
    forwarded: bool = False
    # For a forwarded copy: the original message's headers as the forward quotes them.
    origin_sender: str | None = None
    origin_subject: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Every address of every From header (more than one makes the author ambiguous).
    senders: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def effective_sender(self) -> str:
        """Who wrote the receipt: the original sender of a forwarded copy, else From."""
        return self.origin_sender or self.sender

    @property
    def effective_subject(self) -> str:
        return strip_forward_prefix(self.origin_subject or self.subject)


def normalize(text: str) -> str:
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def strip_forward_prefix(subject: str) -> str:
    return _FORWARD_PREFIX.sub("", normalize(subject))


def header_text(value: object) -> str:
    """A header's value decoded (RFC 2047 words in any charset) and normalized; "" if unreadable."""
    if value is None:
        return ""
    text = str(value)[:MAX_HEADER_CHARS]  # decoding encoded words is quadratic in their number
    try:
        return normalize(str(make_header(decode_header(text))))
    except Exception:  # malformed encoded words, unknown charsets: keep the raw text
        return normalize(text)


def addresses(values: Iterable[object]) -> list[str]:
    """The lower-case addresses in some address headers' values (each cut to MAX_HEADER_CHARS:
    the stdlib's address parser is quadratic, and recursive in nested comments)."""
    try:
        pairs = getaddresses([str(v)[:MAX_HEADER_CHARS] for v in values])
    except Exception:  # RecursionError on "((((...", and whatever else a header can provoke
        return []
    return [address.lower() for _, address in pairs if address]


def address(value: object) -> str:
    """The one address of a header such as From, lower-case ("" when there is none)."""
    try:
        return parseaddr(header_text(value))[1].lower()
    except Exception:
        return ""


# Tags that end a line, and table cells (a space between them); their contents are text.
_BLOCK = frozenset(
    [
        "p",
        "div",
        "br",
        "tr",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "hr",
        "title",
        "center",
    ]
)
_CELL = frozenset(("td", "th"))
_HIDDEN = frozenset(("script", "style", "head"))
# A start tag with attributes, up to its `>` (never past the next `<`, so each character is looked
# at once). Attributes carry no receipt text, and libxml2 checks each new attribute against the
# tag's others: 100k attributes on one tag cost minutes.
_TAG_ATTRIBUTES = re.compile(r"<([A-Za-z][A-Za-z0-9]*)\s[^<>]*+>")
_WALK_CHECK_EVERY = 4_096


def html_to_text(html: str, budget: Budget | None = None) -> str:
    """HTML to text: block elements end a line, table cells are separated by a space.

    libxml2 (lxml) parses in linear time and stops nesting at 256 levels; attributes are dropped
    first (see _TAG_ATTRIBUTES). The stdlib's HTMLParser is quadratic on unclosed tags."""
    from lxml import etree  # the first HTML message pays for the import, not every cold start

    budget = budget or Budget()
    bare = _TAG_ATTRIBUTES.sub(r"<\1>", html[:MAX_TEXT_CHARS])
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, recover=True
    )
    try:
        root = etree.fromstring(bare.encode("utf-8", "replace"), parser)
    except (etree.LxmlError, ValueError):
        return ""
    if root is None:
        return ""
    budget.check("converting HTML")
    parts: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for seen, (event, element) in enumerate(walker):
        if seen % _WALK_CHECK_EVERY == 0:
            budget.check("converting HTML")
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _HIDDEN:
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                parts.append("\n")
            elif tag in _CELL:
                parts.append(" ")
            if element.text:
                parts.append(_flat(element.text))
        else:
            if tag in _BLOCK:
                parts.append("\n")
            elif tag in _CELL:
                parts.append(" ")
            if element.tail:
                parts.append(_flat(element.tail))
    return "".join(parts)


def _flat(text: str) -> str:
    """Line breaks inside HTML text are spaces; only block elements end a line."""
    return text.replace("\n", " ").replace("\r", " ")


def _part_text(part: Message, room: int) -> str:
    """A leaf part's decoded text, at most `room` characters."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return ""
    if not isinstance(payload, bytes):
        return ""
    payload = payload[: room * 4]  # no charset spends more than 4 bytes on a character
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except (LookupError, TypeError, ValueError):  # an unknown charset: UTF-8 if it is, else Windows
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            text = payload.decode("cp1252", errors="replace")
    return text[:room]


def _parts(message: Message, budget: Budget) -> Iterable[tuple[Message, int]]:
    """Every part with its depth, depth first without recursion; Unreadable past the caps."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > MAX_PARTS:
            raise Unreadable(f"the message has more than {MAX_PARTS} MIME parts; receipts have a few")
        if depth > MAX_DEPTH:
            raise Unreadable(f"MIME parts nested more than {MAX_DEPTH} deep; receipts nest a few levels")
        if count % 16 == 0:
            budget.check("walking the MIME parts")
        yield part, depth
        children = part.get_payload() if part.is_multipart() else None
        if isinstance(children, list):
            stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Message))


def _bodies(message: Message, budget: Budget) -> tuple[list[str], list[str], Message | None]:
    """The text/plain and text/html bodies (attachments skipped) and an attached message/rfc822,
    together at most MAX_TEXT_CHARS characters of each kind."""
    plain: list[str] = []
    html: list[str] = []
    room = {"plain": MAX_TEXT_CHARS, "html": MAX_TEXT_CHARS}
    attached: Message | None = None
    for part, _ in _parts(message, budget):
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if attached is None and isinstance(inner, list) and inner and isinstance(inner[0], Message):
                attached = inner[0]
            continue
        if part.is_multipart():
            continue
        disposition = str(part.get("Content-Disposition", ""))[:200].split(";")[0].strip().lower()
        if disposition == "attachment":
            continue
        kind = "plain" if ctype == "text/plain" else "html" if ctype == "text/html" else None
        if kind is None or room[kind] <= 0:
            continue
        text = _part_text(part, room[kind])
        room[kind] -= len(text)
        (plain if kind == "plain" else html).append(text)
    budget.check("decoding the MIME parts")
    return plain, [html_to_text(text, budget) for text in html], attached


_QUOTE_PREFIX = re.compile(r"[\s>]+")  # indentation and quoted reply/forward levels ("> > ")


def _lines(text: str, budget: Budget) -> list[str]:
    """The non-empty normalized lines, without quote marks; one pass, at most MAX_LINES lines of
    at most MAX_LINE_CHARS characters."""
    lines: list[str] = []
    for count, raw_line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if count % 1_024 == 0:
            budget.check("splitting the text into lines")
        first = raw_line[:1]
        quoted = _QUOTE_PREFIX.match(raw_line) if first == ">" or first.isspace() else None
        line = normalize(raw_line[quoted.end() if quoted else 0 :][:MAX_LINE_CHARS])
        if line:
            lines.append(line)
            if len(lines) >= MAX_LINES:
                break
    return lines


def _forwarded_headers(lines: list[str]) -> tuple[bool, dict[str, str]]:
    """The quoted header block after a forward marker ("---------- Forwarded message ---------")."""
    for index, line in enumerate(lines):
        if _FORWARD_MARKER.match(line):
            quoted: dict[str, str] = {}
            for following in lines[index + 1 : index + 8]:
                match = _QUOTED_HEADER.match(following)
                if not match:
                    if quoted:
                        break
                    continue
                quoted.setdefault(match.group(1).lower(), match.group(2).strip())
            return True, quoted
    return False, {}


def _parse(raw: bytes) -> Message:
    """The MIME tree of the first READ_BYTES of a message; Unreadable when its shape is hostile."""
    head = raw[:READ_BYTES]
    delimiters = head.count(b"\n--") + head.startswith(b"--")
    if delimiters > MAX_DELIMITER_LINES:
        raise Unreadable(
            f"the message has {delimiters} MIME boundary lines (more than {MAX_DELIMITER_LINES}); "
            "receipts have a few"
        )
    try:
        return email.message_from_bytes(head, policy=email.policy.compat32)
    except RecursionError as exc:  # the stdlib parser recurses once per nested message
        raise Unreadable(f"MIME parts nested more than {MAX_DEPTH} deep; receipts nest a few levels") from exc
    except Exception:
        return Message()


def read_mail(raw: bytes, budget: Budget | None = None) -> MailText:
    """Decode a raw message (any transfer encoding and charset, plain, HTML-only or multipart).

    Raises Unreadable (with the reason) for a message beyond the caps or the time budget."""
    budget = budget or Budget()
    message = _parse(raw)
    budget.check("parsing MIME")
    plain, html, attached = _bodies(message, budget)
    plain_text = "\n".join(plain)
    body = plain_text if len(plain_text.strip()) >= _SHORT_PLAIN or not html else "\n".join(html)
    lines = _lines(body, budget)
    subject = header_text(message.get("Subject"))
    forwarded, quoted = _forwarded_headers(lines)
    origin_sender = origin_subject = None
    if attached is not None:  # "forward as attachment": the original message's own headers
        forwarded = True
        origin_sender = address(attached.get("From")) or None
        origin_subject = header_text(attached.get("Subject"))
    elif quoted:
        origin_sender = address(quoted.get("from", "")) or None
        origin_subject = quoted.get("subject")
    forwarded = forwarded or bool(_FORWARD_PREFIX.match(subject))
    budget.check("reading the headers")
    senders = addresses(message.get_all("From", []))
    return MailText(
        subject=subject,
        sender=senders[0] if senders else "",
        recipients=addresses(message.get_all("To", [])),
        date=header_text(message.get("Date")),
        lines=lines,
        forwarded=forwarded,
        origin_sender=origin_sender,
        origin_subject=origin_subject,
        headers={"message-id": header_text(message.get("Message-ID"))},
        senders=tuple(senders),
    )
