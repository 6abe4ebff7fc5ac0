"""Turn an HTTP answer (status, headers, body) into a :class:`CreditBalance` or a typed error.

This is a pure function with no I/O, so every odd answer Cloudflare or a proxy can give is tested and fuzzed
without sockets. It is the one place that decides what a response means; the client only moves bytes. The end
of the module reads the parts of an answer no model validates (the JSON itself, Cloudflare's error list, the
``Retry-After`` and ``Location`` headers): lenient about shape, strict about size, and every kept text
neutralised and cut to one short line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic.main import BaseModel
from pydantic_core import ValidationError

from ..core.errors import (
    APIError,
    APIResponseError,
    APIStatusError,
    AuthenticationError,
    CloudflareErrorDetail,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from ..core.records import Record
from ..core.secrets import redact
from ..core.text import neutralize, valid_unicode
from .models import CreditBalance

__all__ = [
    "ENVIRONMENT_NAMES",
    "MAX_BODY_BYTES",
    "Envelope",
    "Names",
    "decode_json",
    "error_details",
    "info_number",
    "location_host",
    "one_line",
    "parse_credit_balance_response",
    "parse_response",
    "parse_retry_after",
    "read_envelope",
    "utc_after",
]

MAX_BODY_BYTES = 1024 * 1024
"""Bodies larger than this are refused: a real answer is well under 1 KiB."""

# 400 with these codes means the auth headers are missing or malformed (6003 wraps 6102/6103/6111).
AUTH_CODES_ON_400 = frozenset({6003, 6102, 6103, 6111, 9106, 10000})
# A wrong global API key or email, whatever the status.
_KEY_CODES = frozenset({9103, 6102, 6103})


class Names(Record):
    """How the surface that sent the request names what the advice of a message tells people to change.

    The defaults are the environment's names; a client passes those of its surface (``--base-url``, the provider
    block's ``api_token``, ``cfbilling:apiToken``), so the advice names what its user can actually set.
    """

    token: str = "CLOUDFLARE_API_TOKEN"  # noqa: S105 - the variable's name, not a token
    key: str = "CLOUDFLARE_API_KEY"
    email: str = "CLOUDFLARE_EMAIL"
    base_url: str = "CLOUDFLARE_BASE_URL"


ENVIRONMENT_NAMES = Names()
"""The environment's names: the advice of a parse whose caller gives none."""


def _advice(cls: type[APIStatusError], codes: set[int | None], names: Names) -> str:
    # Cloudflare sends 403 with code 10000 for a bad or expired token: that is about the credential itself.
    if codes & _KEY_CODES:
        return (
            f"the global API key or its email is wrong: check {names.key} (37 hex characters) and {names.email} "
            f"(the email of the key's user), or use an API token instead ({names.token})"
        )
    if 6111 in codes:
        return (
            f"{names.token} is not shaped like an API token: copy the token itself (40 characters), without a "
            "'Bearer ' prefix or quotes"
        )
    if cls is AuthenticationError or 10000 in codes:
        return (
            f"check the credentials: {names.token} must be a valid, active API token with 'AI Gateway Read' "
            f"(or set {names.key} with {names.email})"
        )
    return {
        PermissionDeniedError: (
            "the credentials may not read this account's billing: give the token 'AI Gateway Read' on this "
            "account, or check the account id"
        ),
        NotFoundError: (
            "check the account id (32 hex characters from dash.cloudflare.com/<account id>) and the base URL "
            f"({names.base_url})"
        ),
        RateLimitError: "Cloudflare allows 1200 requests per 5 minutes per user: retry later",
        ServerError: "Cloudflare or a proxy in front of it failed; this is usually transient: retry later",
    }.get(cls, f"unexpected status for this endpoint: check the base URL ({names.base_url})")


def parse_credit_balance_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    account_id: str,
    *,
    attempts: int = 1,
    max_retry_after: float | None = None,
    names: Names = ENVIRONMENT_NAMES,
) -> CreditBalance:
    """Return the balance in a successful answer, or raise the :class:`APIError` subclass that explains it.

    ``attempts`` is how many requests were made (it goes into the message). ``max_retry_after`` is the longest
    wait the client would have honoured, so a 429 beyond it can say why it was not retried.
    """
    action = f"reading the credit balance of account {account_id}"
    balance = parse_response(
        status,
        headers,
        body,
        CreditBalance,
        action,
        account_id=account_id,
        attempts=attempts,
        max_retry_after=max_retry_after,
        names=names,
    )
    return balance.model_copy(update={"account_id": account_id})


def parse_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    model: type[_M],
    action: str,
    *,
    account_id: str | None = None,
    attempts: int = 1,
    max_retry_after: float | None = None,
    names: Names = ENVIRONMENT_NAMES,
    paged: bool = False,
) -> _M:
    """Check any Cloudflare v4 answer (size, redirect, status, JSON, envelope) and validate its ``result``.

    ``action`` says what was being done, for messages: "reading the credit balance of account ..."; ``names``
    how the caller's surface names the settings the advice refers to. A ``paged`` route's result is a list: the
    model validates ``{"items": result, "result_info": ...}``, and the caller follows the pages (with a bound);
    any other route's answer with more pages is an error, never read as the whole.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    context = _Context(action, account_id, status, lowered.get("cf-ray"), attempts, names)
    if len(body) > MAX_BODY_BYTES:
        raise context.fail(
            APIResponseError,
            f"the response body is larger than {MAX_BODY_BYTES // 1024} KiB and was not read",
            f"a real answer is tiny: check {names.base_url} and any proxy in between",
        )
    if 300 <= status < 400:
        host = location_host(lowered.get("location"))
        raise context.fail(
            APIResponseError,
            f"the API answered with a redirect to {host}, which is never followed so credentials cannot leak",
            f"point {names.base_url} at the API itself",
        )
    document, problem = decode_json(body, lowered.get("content-type"))
    errors = error_details(document)
    if not 200 <= status < 300:
        _raise_for_status(context, errors, problem, lowered.get("retry-after"), max_retry_after)
    if problem is not None:
        raise context.fail(APIResponseError, f"the response is {problem}", context.proxy_advice)
    return _parse_success(context, document, errors, model, paged=paged)


_M = TypeVar("_M", bound=BaseModel)
_V = TypeVar("_V", bound=BaseModel)


class _Context:
    """What every error message about one response needs to say."""

    def __init__(
        self, action: str, account_id: str | None, status: int, ray_id: str | None, attempts: int, names: Names
    ) -> None:
        self.action, self.account_id = action, account_id
        self.status, self.ray_id, self.attempts, self.names = status, ray_id, attempts, names

    @property
    def proxy_advice(self) -> str:
        """What to check when something other than Cloudflare's API answered."""
        return f"a proxy or captive portal may be answering: check {self.names.base_url} and HTTPS_PROXY"

    def fail(
        self,
        cls: type[APIError],
        what: str,
        advice: str,
        errors: tuple[CloudflareErrorDetail, ...] = (),
    ) -> APIError:
        facts = [f"HTTP {self.status}"]
        if self.attempts > 1:
            facts.append(f"after {self.attempts} attempts")
        if self.ray_id:
            facts.append(f"CF-Ray {one_line(self.ray_id, 64)}")
        message = f"{self.action} failed: {what}; {advice} [{', '.join(facts)}]"
        return cls(message, account_id=self.account_id, status_code=self.status, errors=errors, ray_id=self.ray_id)


def _raise_for_status(
    context: _Context,
    errors: tuple[CloudflareErrorDetail, ...],
    problem: str | None,
    retry_after_header: str | None,
    max_retry_after: float | None,
) -> None:
    cls = _status_class(context.status, errors)
    said = "; ".join(str(e) for e in errors) if errors else (f"the body is {problem}" if problem else "")
    what = f"Cloudflare returned HTTP {context.status}" + (f" ({said})" if said else "")
    advice = _advice(cls, {e.code for e in errors}, context.names)
    retry_after = parse_retry_after(retry_after_header)
    if cls is RateLimitError and retry_after is not None:
        if max_retry_after is not None and retry_after > max_retry_after:
            advice = (
                f"Cloudflare asks to wait {retry_after:.0f} s, longer than the {max_retry_after:.0f} s this "
                f"tool waits by itself: retry after {utc_after(retry_after)}"
            )
        else:
            advice = f"retry after {retry_after:g} s"
    error = context.fail(cls, what, advice, errors)
    if isinstance(error, RateLimitError):
        error.retry_after = retry_after
    raise error


def _status_class(status: int, errors: tuple[CloudflareErrorDetail, ...]) -> type[APIStatusError]:
    codes = {e.code for e in errors}
    if status == 401 or (status == 400 and codes & AUTH_CODES_ON_400) or codes & _KEY_CODES:
        return AuthenticationError
    by_status: dict[int, type[APIStatusError]] = {
        403: PermissionDeniedError,
        404: NotFoundError,
        429: RateLimitError,
    }
    if status in by_status:
        return by_status[status]
    return ServerError if status >= 500 else APIStatusError


def _parse_success(
    context: _Context,
    document: Any,
    errors: tuple[CloudflareErrorDetail, ...],
    model: type[_M],
    *,
    paged: bool = False,
) -> _M:
    envelope, problem = read_envelope(document)
    if envelope is None:
        raise context.fail(APIResponseError, f"the response envelope is malformed ({problem})", context.proxy_advice)
    if not envelope.success:
        said = "; ".join(str(e) for e in errors) or "no error given"
        raise context.fail(
            APIResponseError,
            f"Cloudflare reported success: false ({said})",
            "retry later; if it persists, contact Cloudflare support with the CF-Ray id",
            errors,
        )
    if envelope.result is None:
        raise context.fail(
            APIResponseError,
            "Cloudflare returned no result (result: null)",
            "retry later; if it persists, report it to Cloudflare with the CF-Ray id",
        )
    more = "" if paged else _more_pages(envelope.result_info)
    if more:
        # Reading the first page as the whole answer would understate spend: report it, never ignore it.
        raise context.fail(
            APIResponseError,
            f"Cloudflare's answer has more pages than this tool reads ({more})",
            "narrow the range (fewer --days, or day buckets instead of hours), or report it with the CF-Ray id",
        )
    if isinstance(envelope.result, list) != paged:
        shape = "a list" if paged else "an object"
        raise context.fail(
            APIResponseError,
            f"the result is malformed (the document: expected {shape})",
            "the API may have changed: upgrade pulumi-cfbilling, or report it with the CF-Ray id",
        )
    data = {"items": envelope.result, "result_info": envelope.result_info or {}} if paged else envelope.result
    result, problem = _validate(model, data)
    if result is None:
        raise context.fail(
            APIResponseError,
            f"the result is malformed ({problem})",
            "the API may have changed: upgrade pulumi-cfbilling, or report it with the CF-Ray id",
        )
    return result


def info_number(info: Mapping[str, Any], key: str) -> int | None:
    """An integer of ``result_info`` (``page``, ``total_pages``...), or ``None`` when absent or not an integer."""
    value = info.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _more_pages(info: dict[str, Any] | None) -> str:
    """What in ``result_info`` says there is more than this page, in words; ``""`` when it is all there is."""
    if not info:
        return ""
    page, pages = info_number(info, "page"), info_number(info, "total_pages")
    count, total = info_number(info, "count"), info_number(info, "total_count")
    if page is not None and pages is not None and pages > page:
        return f"page {page} of {pages}"
    if count is not None and total is not None and total > count:
        return f"{count} of {total} items"
    return ""


def _validate(model: type[_V], data: Any) -> tuple[_V | None, str]:
    """Validate without raising, so our error is raised outside the ``except`` and carries no context."""
    try:
        return model.model_validate(data), ""
    except ValidationError as exc:
        return None, _describe(exc)


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "the document"
        problems.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(problems)
    return "; ".join(problems) + (f"; and {more} more" if more > 0 else "")


# Cloudflare's messages are copied into our one-line errors; keep them short and single-line.
_MAX_DETAIL = 200


# -- The parts of an answer no model validates ---------------------------------------------------------------------


class Envelope(Record):
    """Cloudflare's response envelope, checked on every response, including HTTP 200."""

    success: bool
    result: dict[str, Any] | list[Any] | None
    result_info: dict[str, Any] | None = None


# What each key of the envelope must be, in words, and the test. Checked by hand rather than by a pydantic model:
# five keys do not need one, and the model cost every command start-up about a millisecond (issue 27).
_ENVELOPE_KEYS: tuple[tuple[str, bool, str, type | tuple[type, ...]], ...] = (
    ("success", True, "true or false", bool),
    ("errors", False, "a list", list),
    ("messages", False, "a list", list),
    ("result", True, "an object, a list or null", (dict, list, type(None))),
    ("result_info", False, "an object or null", (dict, type(None))),
)


def read_envelope(document: Any) -> tuple[Envelope | None, str]:
    """Return ``(envelope, "")``, or ``(None, what is wrong)`` in the words of the other validation messages.

    Strict like the models: ``"true"`` is not a boolean, and ``success`` and ``result`` must be present (``result``
    may be null; what null means is the caller's to say). Error entries are read leniently elsewhere
    (:func:`error_details`); here only that they are a list.
    """
    if not isinstance(document, dict):
        return None, "the document: must be an object"
    problems = []
    for key, required, wanted, kinds in _ENVELOPE_KEYS:
        if key not in document:
            if required:
                problems.append(f"{key}: Field required")
        elif not isinstance(document[key], kinds):
            problems.append(f"{key}: must be {wanted}")
    if problems:
        return None, "; ".join(problems)
    return Envelope(document["success"], document["result"], document.get("result_info")), ""


def decode_json(body: bytes, content_type: str | None) -> tuple[Any, str | None]:
    """Return ``(document, None)``, or ``(None, description of why the body is not JSON)``."""
    if not body.strip():
        return None, "empty"
    try:
        document = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8, bad JSON, NaN/Infinity and integers too long to convert.
        kind = one_line(content_type.split(";")[0], 40) if content_type else "no content type"
        return None, f"not valid JSON ({kind}, {len(body)} bytes)"
    return _clean(document), None


def _clean(value: Any) -> Any:
    """Every text of a decoded answer made safe to carry anywhere: valid Unicode, no credential echoed back.

    A lone surrogate, legal in JSON as ``\ud83d``, cannot be encoded by a terminal, protobuf or msgpack.
    """
    if isinstance(value, str):
        return redact(valid_unicode(value))
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


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
        # A wait longer than a year is no instruction a client can follow ("9" * 400 would be infinity):
        # it is read as no Retry-After at all, and the usual backoff applies.
        seconds = int(value) if len(value) <= 12 else _MAX_RETRY_AFTER + 1
        return float(seconds) if seconds <= _MAX_RETRY_AFTER else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    wait = max(0.0, when.timestamp() - time.time())
    return wait if wait <= _MAX_RETRY_AFTER else None


_MAX_RETRY_AFTER = 366 * 86400


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
