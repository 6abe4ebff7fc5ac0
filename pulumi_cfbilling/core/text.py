"""Untrusted text made safe for people: the one place that neutralises what a server (or a user's file) said.

Text from the API (``disabledReason``, ``error``, ``brand``, ``last4``, error messages, token fields, header
values) and labels from accounts files reach terminals, CI logs, GitHub annotations and step summaries, and
Pulumi messages. Line breaks there forge workflow commands (``::error``, ``::add-mask::``) and markdown; escape
sequences drive terminals; bidi overrides reorder what people read. Every human-facing rendering goes through
:func:`neutralize`; machine-readable values (JSON documents, Terraform and Pulumi output values) keep the exact
text.
"""

from __future__ import annotations

import re

from .secrets import REDACTED, redact

__all__ = ["MAX_FIELD", "REDACTED", "neutralize", "printable", "redact", "valid_unicode"]

MAX_FIELD = 200
"""Characters kept of one server-provided field in human-facing text."""

# Line and paragraph separators read as breaks: a space keeps the words apart.
_BREAKS = frozenset("\r\n\t\v\f\x85\u2028\u2029")
# Marks that reorder or hide text: bidi embeddings, overrides and isolates, and the direction marks.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REPLACEMENT = "\ufffd"
# A lone UTF-16 surrogate (what a JS backend sends after cutting a string inside an emoji): Python reads it from
# JSON's "\ud83d" as a code point that no UTF-8 stream, protobuf or msgpack can encode. A pattern, compiled by `re`
# on first use (and kept): compiling it costs every start half a millisecond, and most text is ASCII.
_SURROGATES = "[\ud800-\udfff]"


def valid_unicode(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so every output can encode it."""
    return text if text.isascii() else re.sub(_SURROGATES, _REPLACEMENT, text)


def _safe(char: str) -> str:
    if char in _BREAKS:
        return " "
    code = ord(char)
    if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or 0xD800 <= code <= 0xDFFF or char in _BIDI:
        return _REPLACEMENT
    return char


def printable(text: str) -> str:
    """``text`` whole, with only what a terminal renders as text: a value people read in a tool's own output.

    Unlike :func:`neutralize` it keeps line breaks and tabs and never cuts: for values a tool prints itself
    (Terraform's plan and outputs), where ESC, BEL, CR, bidi controls or a lone surrogate would still drive the
    terminal or break the encoding.
    """
    return "".join(char if char in "\n\t" else _safe(char) for char in redact(text))


def neutralize(text: str, limit: int = MAX_FIELD) -> str:
    """``text`` on one line, at most ``limit`` chars, safe for a terminal, a CI log or a Pulumi message.

    No control character (C0, C1, DEL), bidi control or lone surrogate (each becomes the replacement character;
    breaks become spaces), no credential this process holds (:data:`REDACTED`); a longer text ends in an ellipsis.
    """
    flat = "".join(_safe(char) for char in redact(text))
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"
