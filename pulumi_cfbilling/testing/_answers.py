"""What the emulator sends: Cloudflare's envelope and errors, and every fault seen in the field.

Default errors carry the codes and messages the real API uses for that status (6003/6111 for malformed auth,
10000 for a bad credential, 9109 for an account out of reach, 7003 for a malformed id, 971 with ``Retry-After``
for rate limiting); 5xx default to the HTML pages Cloudflare's edge serves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FAULTS", "Answer", "error", "faulty", "json_answer", "success"]

# kind -> its parameters and their JSON types (``times`` is common to all).
FAULTS: Mapping[str, Mapping[str, str]] = {
    "stall": {"seconds": "number"},
    "status": {
        "status": "integer",
        "code": "integer",
        "message": "string",
        "retry_after": "number|string",  # a string is sent as written: an HTTP date, or garbage to test with
        "html": "boolean",
    },
    "success_false": {"code": "integer", "message": "string"},
    "result_null": {},
    "wrong_types": {"patch": "object"},
    "missing_keys": {"keys": "array"},
    "truncated": {},
    "empty_body": {},
    "raw": {"status": "integer", "body": "string", "headers": "object"},
    "redirect": {"status": "integer", "location": "string"},
    "oversized": {"bytes": "integer"},
    "drop": {},
    "drop_mid_body": {},
    "trickle": {"every": "number"},
    "no_ray": {},
}

_DEFAULT_ERRORS: Mapping[int, tuple[int, str]] = {
    400: (6003, "Invalid request headers"),
    401: (10000, "Authentication error"),
    403: (10000, "Authentication error"),
    404: (7003, "Could not route to the requested resource, perhaps your object identifier is invalid?"),
    405: (7001, "Method not allowed"),
    429: (971, "Please wait and consider throttling your request speed"),
}
# Cloudflare's message for each code a fault may name, so a fault with only a code reads like the real thing.
_MESSAGES: Mapping[int, str] = {
    971: "Please wait and consider throttling your request speed",
    6003: "Invalid request headers",
    7000: "No route for that URI",
    7003: "Could not route to the requested resource, perhaps your object identifier is invalid?",
    9103: "Unknown X-Auth-Key or X-Auth-Email",
    9106: "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
    9109: "Unauthorized to access requested resource",
    10000: "Authentication error",
}
_REASONS: Mapping[int, str] = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    520: "Web server is returning an unknown error",
    521: "Web server is down",
    522: "Connection timed out",
    523: "Origin is unreachable",
    524: "A timeout occurred",
}
DEFAULT_RETRY_AFTER = 1
"""Seconds in the ``Retry-After`` of a 429 whose fault sets none: real 429s always carry one."""


@dataclass
class Answer:
    """One response to send.

    ``drop`` closes without answering, ``cut`` sends that many body bytes and drops, ``trickle`` sends the body
    one byte every that many seconds, ``ray`` adds a ``CF-Ray`` header.
    """

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False
    cut: int | None = None
    trickle: float | None = None
    ray: bool = True


def json_answer(status: int, document: Any, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(status, json.dumps(document).encode(), (("Content-Type", "application/json"), *headers))


def error(
    status: int,
    code: int,
    message: str,
    chain: tuple[int, str] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Answer:
    """Cloudflare's error envelope; ``chain`` is the sub-error (6111 under 6003, and so on)."""
    entry: dict[str, Any] = {"code": code, "message": message}
    if chain is not None:
        entry["error_chain"] = [{"code": chain[0], "message": chain[1]}]
    return json_answer(status, {"success": False, "errors": [entry], "messages": [], "result": None}, headers)


def success(result: Any) -> Answer:
    return json_answer(200, {"success": True, "errors": [], "messages": [], "result": result})


def _html(status: int) -> Answer:
    reason = _REASONS.get(status, "Error")
    page = (
        f"<!DOCTYPE html><html><head><title>{status}: {reason}</title></head>"
        f"<body><h1>Error {status}</h1><p>{reason}</p><p>cloudflare</p></body></html>"
    )
    return Answer(status, page.encode(), (("Content-Type", "text/html; charset=UTF-8"),))


def _status(fault: Mapping[str, Any]) -> Answer:
    status = int(fault.get("status", 500))
    retry_after = fault.get("retry_after", DEFAULT_RETRY_AFTER if status == 429 else None)
    headers: tuple[tuple[str, str], ...] = ()
    if retry_after is not None:
        headers = (("Retry-After", retry_after if isinstance(retry_after, str) else f"{retry_after:g}"),)
    default = _DEFAULT_ERRORS.get(status)
    if fault.get("html") or (default is None and "code" not in fault):
        answer = _html(status)
        answer.headers = (*answer.headers, *headers)
        return answer
    code = int(fault.get("code", default[0] if default else 0))
    message = _MESSAGES.get(code) or (default[1] if default and code == default[0] else _REASONS.get(status, "Error"))
    return error(status, code, str(fault.get("message", message)), headers=headers)


def faulty(result: Any, fault: Mapping[str, Any]) -> Answer:
    """The answer a fault gives instead of ``result`` (``stall`` is handled by the caller, before answering)."""
    kind = fault["kind"]
    if kind == "status":
        return _status(fault)
    if kind == "success_false":
        code, message = int(fault.get("code", 7000)), str(fault.get("message", "No route for that URI"))
        return json_answer(
            200, {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}
        )
    if kind == "result_null":
        return success(None)
    if kind == "wrong_types":
        patch = dict(fault.get("patch", {"balance": "lots"}))
        # A list result (the gateways) has every item patched.
        return success([{**item, **patch} for item in result] if isinstance(result, list) else {**result, **patch})
    if kind == "missing_keys":
        trimmed = json.loads(json.dumps(result))
        for path in fault.get("keys", ["balance"]):
            *parents, last = str(path).split(".")
            node = trimmed
            for part in parents:  # a number walks into a list: "0.id" is the first gateway's id
                node = (
                    node[int(part)]
                    if isinstance(node, list) and part.isdigit() and int(part) < len(node)
                    else (node.get(part, {}) if isinstance(node, dict) else {})
                )
            if isinstance(node, dict):
                node.pop(last, None)
        return success(trimmed)
    if kind == "truncated":
        body = success(result).body
        return Answer(200, body[: len(body) // 2], (("Content-Type", "application/json"),))
    if kind == "empty_body":
        return Answer(200, b"", (("Content-Type", "application/json"),))
    if kind == "raw":
        headers = tuple((str(k), str(v)) for k, v in dict(fault.get("headers", {})).items())
        return Answer(int(fault.get("status", 200)), str(fault.get("body", "")).encode(), headers)
    if kind == "redirect":
        return Answer(int(fault.get("status", 302)), b"", (("Location", str(fault["location"])),))
    if kind == "oversized":
        size = int(fault.get("bytes", 2 * 1024 * 1024))
        return Answer(200, b'{"padding": "' + b"x" * size + b'"}', (("Content-Type", "application/json"),))
    if kind == "drop":
        return Answer(0, b"", drop=True)
    healthy = success(result)
    if kind == "drop_mid_body":
        healthy.cut = len(healthy.body) // 2
    elif kind == "trickle":
        healthy.trickle = float(fault.get("every", 1.0))
    elif kind == "no_ray":
        healthy.ray = False  # what a proxy or captive portal in between sends
    return healthy
