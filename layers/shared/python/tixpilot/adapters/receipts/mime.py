"""Raw MIME to the text a receipt parser reads: one decoded, normalized text body and the headers
that matter, for direct and forwarded mail. Never raises, whatever the bytes."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

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
    try:
        return normalize(str(make_header(decode_header(str(value)))))
    except Exception:  # malformed encoded words, unknown charsets: keep the raw text
        return normalize(str(value))


class _HtmlText(HTMLParser):
    """HTML to lines: block elements end a line, table cells are separated by a space."""

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

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag in self._CELL:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag in self._CELL:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data.replace("\n", " ").replace("\r", " "))


def html_to_text(html: str) -> str:
    converter = _HtmlText()
    try:
        converter.feed(html)
        converter.close()
    except Exception:  # HTMLParser is lenient; this is for truly broken input
        pass
    return "".join(converter.parts)


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return ""
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, TypeError, ValueError):  # an unknown charset: UTF-8 if it is, else Windows
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")


def _bodies(message: Message) -> tuple[list[str], list[str], Message | None]:
    """The text/plain and text/html bodies (attachments skipped) and an attached message/rfc822."""
    plain: list[str] = []
    html: list[str] = []
    attached: Message | None = None
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822" and attached is None:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                attached = inner[0]
            continue
        if part.is_multipart():
            continue
        disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
        if disposition == "attachment":
            continue
        if ctype == "text/plain":
            plain.append(_part_text(part))
        elif ctype == "text/html":
            html.append(html_to_text(_part_text(part)))
    return plain, html, attached


def _lines(text: str) -> list[str]:
    lines = []
    for raw_line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw_line.lstrip()
        while line.startswith(">"):  # quoted reply/forward levels
            line = line[1:].lstrip()
        line = normalize(line)
        if line:
            lines.append(line)
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


def read_mail(raw: bytes) -> MailText:
    """Decode a raw message (any transfer encoding and charset, plain, HTML-only or multipart)."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:
        message = Message()
    plain, html, attached = _bodies(message)
    plain_text = "\n".join(plain)
    body = plain_text if len(plain_text.strip()) >= _SHORT_PLAIN or not html else "\n".join(html)
    lines = _lines(body)
    subject = header_text(message.get("Subject"))
    forwarded, quoted = _forwarded_headers(lines)
    origin_sender = origin_subject = None
    if attached is not None:  # "forward as attachment": the original message itself
        try:
            inner: MailText | None = read_mail(attached.as_bytes())
        except Exception:  # an attached message that cannot be serialized again
            inner = None
        if inner is not None:
            forwarded = True
            origin_sender, origin_subject = inner.sender, inner.subject
    elif quoted:
        origin_sender = parseaddr(quoted.get("from", ""))[1].lower() or None
        origin_subject = quoted.get("subject")
    forwarded = forwarded or bool(_FORWARD_PREFIX.match(subject))
    try:
        recipients = [a.lower() for _, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a]
    except Exception:
        recipients = []
    return MailText(
        subject=subject,
        sender=parseaddr(header_text(message.get("From")))[1].lower(),
        recipients=recipients,
        date=header_text(message.get("Date")),
        lines=lines,
        forwarded=forwarded,
        origin_sender=origin_sender,
        origin_subject=origin_subject,
        headers={"message-id": header_text(message.get("Message-ID"))},
    )
