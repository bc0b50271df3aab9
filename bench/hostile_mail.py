"""Hostile messages: small emails that cost a naive intake seconds to minutes, each built to hit
one weak spot (a quadratic loop, a recursive parser, a key limit). The tests read them through
intake and the local stack; bench/intake_hostile.py times them."""

from __future__ import annotations

import base64
from collections.abc import Callable

TO = "buyer@demo.tixpilot.test"


def _headers(attack: str, content_type: str, extra: str = "", message_id: str | None = None) -> bytes:
    """The headers of a receipt-looking message; its Message-ID names the attack."""
    message_id = message_id or f"<{attack}@attacker.test>"
    return (
        "From: Ticketmaster <customer_support@email.ticketmaster.com>\r\n"
        f"To: {TO}\r\n"
        "Subject: You Got Tickets To Sugarland\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Wed, 17 Jun 2026 18:30:01 -0500\r\n"
        "MIME-Version: 1.0\r\n"
        f"{extra}Content-Type: {content_type}\r\n\r\n"
    ).encode()


def quote_flood(size: int = 1_000_000) -> bytes:
    """One base64 line of `>` characters: quote stripping that slices one `>` at a time copies
    the rest of the line each time (~20 s for 1 MB)."""
    body = base64.encodebytes(b">" * size).replace(b"\n", b"\r\n")
    return (
        _headers("quote_flood", "text/plain; charset=utf-8", "Content-Transfer-Encoding: base64\r\n") + body
    )


def tag_soup(size: int = 60_000) -> bytes:
    """`<a <a <a ...` never closing a tag: the stdlib's HTMLParser rescans the rest of the input
    at each `<` (over a minute for 60 KB)."""
    return _headers("tag_soup", "text/html; charset=utf-8") + b"<a " * (size // 3)


def deep_multipart(depth: int = 1_200) -> bytes:
    """Multiparts nested 1,200 deep: the stdlib's MIME parser recurses once per level."""
    out = bytearray(_headers("deep_multipart", 'multipart/mixed; boundary="b0"'))
    for level in range(1, depth):
        out += f'--b{level - 1}\r\nContent-Type: multipart/mixed; boundary="b{level}"\r\n\r\n'.encode()
    out += f"--b{depth - 1}\r\nContent-Type: text/plain\r\n\r\nOrder # 12-34567/NY\r\n".encode()
    for level in range(depth - 1, -1, -1):
        out += f"--b{level}--\r\n".encode()
    return bytes(out)


def deep_attached(depth: int = 1_200) -> bytes:
    """Messages attached inside messages (message/rfc822), no boundaries at all."""
    return b"".join(
        f"From: a{level}@attacker.test\r\nContent-Type: message/rfc822\r\n\r\n".encode()
        for level in range(depth)
    ) + (_headers("deep_attached", "text/plain") + b"Order # 12-34567/NY\r\n")


def many_parts(count: int = 20_000) -> bytes:
    """Tens of thousands of tiny parts: the MIME parser's cost is per part."""
    part = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    return _headers("many_parts", 'multipart/mixed; boundary="b"') + part * count + b"--b--\r\n"


def attribute_flood(count: int = 60_000) -> bytes:
    """One tag with 60k attributes: libxml2 checks each new attribute against the others."""
    tag = "<p " + " ".join(f'a{i}="{i}"' for i in range(count)) + ">Order # 12-34567/NY</p>"
    return _headers("attribute_flood", "text/html; charset=utf-8") + tag.encode()


def deep_html(depth: int = 100_000) -> bytes:
    """`<div>` nested 100k deep: tree builders that search the open elements are quadratic."""
    return _headers("deep_html", "text/html; charset=utf-8") + b"<div>" * depth + b"x" + b"</div>" * depth


def encoded_words(count: int = 60_000) -> bytes:
    """A Subject of 60k RFC 2047 encoded words: decoding them is quadratic in the stdlib."""
    subject = " ".join("=?utf-8?q?a?=" for _ in range(count))
    return f"Subject: {subject}\r\n".encode() + _headers("encoded_words", "text/plain") + b"hello\r\n"


def address_flood(size: int = 500_000) -> bytes:
    """A To header of `<<<<...`: the stdlib's address parser is quadratic (and recursive on `(`)."""
    return (
        b"To: "
        + b"<" * size
        + b"\r\nCc: "
        + b"(" * 5_000
        + b"\r\n"
        + _headers("address_flood", "text/plain")
        + b"hi\r\n"
    )


def tiny_lines(size: int = 4_000_000) -> bytes:
    """Millions of one-character lines: the MIME parser's cost is per line."""
    return _headers("tiny_lines", "text/plain") + b"a\r\n" * (size // 3)


def long_message_id(length: int = 3_000) -> bytes:
    """A Message-ID longer than a DynamoDB key may be (2 KB): keying records by it loses mail."""
    message_id = "<" + "x" * length + "@attacker.test>"
    return _headers("long_message_id", "text/plain", message_id=message_id) + b"Order # 12-34567/NY\r\n"


# name -> builder, for the benchmark and the tests
HOSTILE: dict[str, Callable[[], bytes]] = {
    "quote_flood": quote_flood,
    "tag_soup": tag_soup,
    "deep_multipart": deep_multipart,
    "deep_attached": deep_attached,
    "many_parts": many_parts,
    "attribute_flood": attribute_flood,
    "deep_html": deep_html,
    "encoded_words": encoded_words,
    "address_flood": address_flood,
    "tiny_lines": tiny_lines,
    "long_message_id": long_message_id,
}
