"""Reading the parts of an answer that no model validates: the JSON itself, Cloudflare's error list, headers.

Everything here is lenient about shape and strict about size: error bodies are not always well formed, and
whatever text is kept is neutralised and cut to one short line.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from .errors import CloudflareErrorDetail
from .text import neutralize

__all__ = ["decode_json", "error_details", "location_host", "one_line", "parse_retry_after", "utc_after"]

# Cloudflare's messages are copied into our one-line errors; keep them short and single-line.
_MAX_DETAIL = 200


def decode_json(body: bytes, content_type: str | None) -> tuple[Any, str | None]:
    """Return ``(document, None)``, or ``(None, description of why the body is not JSON)``."""
    if not body.strip():
        return None, "empty"
    try:
        return json.loads(body, parse_constant=_reject_constant), None
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8, bad JSON, NaN/Infinity and integers too long to convert.
        kind = one_line(content_type.split(";")[0], 40) if content_type else "no content type"
        return None, f"not valid JSON ({kind}, {len(body)} bytes)"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def error_details(document: Any) -> tuple[CloudflareErrorDetail, ...]:
    """Cloudflare's ``errors`` list, read leniently: error bodies are not always well formed."""
    items = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return ()
    details = []
    for item in items[:10]:
        if not isinstance(item, dict):
            continue
        # The sub-errors (6111 under 6003) say what exactly is wrong: they follow their parent.
        chain = item.get("error_chain")
        for entry in [item, *(chain[:5] if isinstance(chain, list) else [])]:
            if not isinstance(entry, dict):
                continue
            code = entry.get("code")
            message = entry.get("message")
            details.append(
                CloudflareErrorDetail(
                    code=code if isinstance(code, int) and not isinstance(code, bool) else None,
                    message=one_line(message, _MAX_DETAIL) if isinstance(message, str) else "",
                )
            )
    return tuple(details)


def one_line(text: str, limit: int) -> str:
    """``text`` neutralised for a terminal and cut to ``limit`` characters, on one line."""
    return neutralize(text, limit).strip()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or ``None`` if absent/invalid."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def location_host(location: str | None) -> str:
    """The host a redirect points at, for the message (never the whole URL, which may carry a token)."""
    if not location:
        return "(no Location header)"
    try:
        host = urlsplit(location).hostname
    except ValueError:
        host = None
    return one_line(host, 100) if host else "an unparseable or relative location"


def utc_after(seconds: float) -> str:
    """The UTC time ``seconds`` from now, for "retry after" advice."""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + seconds))
    except (OverflowError, OSError, ValueError):
        return "much later"
