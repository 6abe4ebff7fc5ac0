"""Untrusted text made safe for people: the one place that neutralises what a server (or a user's file) said.

Text from the API (``disabledReason``, ``error``, ``brand``, ``last4``, error messages, token fields, header
values) and labels from accounts files reach terminals, CI logs, GitHub annotations and step summaries, and
Pulumi messages. Line breaks there forge workflow commands (``::error``, ``::add-mask::``) and markdown; escape
sequences drive terminals; bidi overrides reorder what people read. Every human-facing rendering goes through
:func:`neutralize`; machine-readable values (JSON documents, Terraform and Pulumi output values) keep the exact
text.
"""

from __future__ import annotations

__all__ = ["MAX_FIELD", "neutralize"]

MAX_FIELD = 200
"""Characters kept of one server-provided field in human-facing text."""

# Line and paragraph separators read as breaks: a space keeps the words apart.
_BREAKS = frozenset("\r\n\t\v\f\x85\u2028\u2029")
# Marks that reorder or hide text: bidi embeddings, overrides and isolates, and the direction marks.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REPLACEMENT = "\ufffd"


def _safe(char: str) -> str:
    if char in _BREAKS:
        return " "
    code = ord(char)
    if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or char in _BIDI:
        return _REPLACEMENT
    return char


def neutralize(text: str, limit: int = MAX_FIELD) -> str:
    """``text`` on one line with no control character (C0, C1, DEL), no bidi control, at most ``limit`` chars.

    Breaks become spaces, other controls the replacement character, and a longer text ends in an ellipsis.
    """
    flat = "".join(_safe(char) for char in text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"
