"""Turn an HTTP answer (status, headers, body) into a :class:`CreditBalance` or a typed error.

This is a pure function with no I/O, so every odd answer Cloudflare or a proxy can give is tested and fuzzed
without sockets. It is the one place that decides what a response means; the client only moves bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ._envelope import decode_json, error_details, location_host, one_line, parse_retry_after, utc_after
from .errors import (
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
from .models import CreditBalance, Envelope

__all__ = ["MAX_BODY_BYTES", "parse_credit_balance_response", "parse_response", "parse_retry_after"]

MAX_BODY_BYTES = 1024 * 1024
"""Bodies larger than this are refused: a real answer is well under 1 KiB."""

# 400 with these codes means the auth headers are missing or malformed (6003 wraps 6102/6103/6111).
AUTH_CODES_ON_400 = frozenset({6003, 6102, 6103, 6111, 9106, 10000})
# A wrong global API key or email, whatever the status.
_KEY_CODES = frozenset({9103, 6102, 6103})

_CREDENTIAL_ADVICE = (
    "check the credentials: CLOUDFLARE_API_TOKEN must be a valid, active API token with 'AI Gateway Read' "
    "(or set CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL; in Pulumi, cfbilling:apiToken)"
)
_KEY_ADVICE = (
    "the global API key or its email is wrong: check CLOUDFLARE_API_KEY (37 hex characters) and CLOUDFLARE_EMAIL "
    "(the email of the key's user), or use an API token instead (CLOUDFLARE_API_TOKEN)"
)
_SHAPE_ADVICE = (
    "CLOUDFLARE_API_TOKEN is not shaped like an API token: copy the token itself (40 characters), without a "
    "'Bearer ' prefix or quotes"
)
_ADVICE: Mapping[type[APIStatusError], str] = {
    AuthenticationError: _CREDENTIAL_ADVICE,
    PermissionDeniedError: (
        "the credentials may not read this account's billing: give the token 'AI Gateway Read' on this "
        "account, or check the account id"
    ),
    NotFoundError: (
        "check the account id (32 hex characters from dash.cloudflare.com/<account id>) and the base URL "
        "(CLOUDFLARE_BASE_URL)"
    ),
    RateLimitError: "Cloudflare allows 1200 requests per 5 minutes per user: retry later",
    ServerError: "Cloudflare or a proxy in front of it failed; this is usually transient: retry later",
    APIStatusError: "unexpected status for this endpoint: check the base URL (CLOUDFLARE_BASE_URL)",
}


def parse_credit_balance_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    account_id: str,
    *,
    attempts: int = 1,
    max_retry_after: float | None = None,
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
) -> _M:
    """Check any Cloudflare v4 answer (size, redirect, status, JSON, envelope) and validate its ``result``.

    ``action`` says what was being done, for messages: "reading the credit balance of account ...".
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    context = _Context(action, account_id, status, lowered.get("cf-ray"), attempts)
    if len(body) > MAX_BODY_BYTES:
        raise context.fail(
            APIResponseError,
            f"the response body is larger than {MAX_BODY_BYTES // 1024} KiB and was not read",
            "a real answer is tiny: check CLOUDFLARE_BASE_URL and any proxy in between",
        )
    if 300 <= status < 400:
        host = location_host(lowered.get("location"))
        raise context.fail(
            APIResponseError,
            f"the API answered with a redirect to {host}, which is never followed so credentials cannot leak",
            "point CLOUDFLARE_BASE_URL at the API itself",
        )
    document, problem = decode_json(body, lowered.get("content-type"))
    errors = error_details(document)
    if not 200 <= status < 300:
        _raise_for_status(context, errors, problem, lowered.get("retry-after"), max_retry_after)
    if problem is not None:
        raise context.fail(APIResponseError, f"the response is {problem}", _PROXY_ADVICE)
    return _parse_success(context, document, errors, model)


_M = TypeVar("_M", bound=BaseModel)
_V = TypeVar("_V", bound=BaseModel)

_PROXY_ADVICE = "a proxy or captive portal may be answering: check CLOUDFLARE_BASE_URL and HTTPS_PROXY"


class _Context:
    """What every error message about one response needs to say."""

    def __init__(self, action: str, account_id: str | None, status: int, ray_id: str | None, attempts: int) -> None:
        self.action, self.account_id = action, account_id
        self.status, self.ray_id, self.attempts = status, ray_id, attempts

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
    codes = {e.code for e in errors}
    # Cloudflare sends 403 with code 10000 for a bad or expired token: that is about the credential itself.
    if codes & _KEY_CODES:
        advice = _KEY_ADVICE
    elif 6111 in codes:
        advice = _SHAPE_ADVICE
    elif 10000 in codes:
        advice = _CREDENTIAL_ADVICE
    else:
        advice = _ADVICE[cls]
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


def _parse_success(context: _Context, document: Any, errors: tuple[CloudflareErrorDetail, ...], model: type[_M]) -> _M:
    envelope, problem = _validate(Envelope, document)
    if envelope is None:
        raise context.fail(APIResponseError, f"the response envelope is malformed ({problem})", _PROXY_ADVICE)
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
    result, problem = _validate(model, envelope.result)
    if result is None:
        raise context.fail(
            APIResponseError,
            f"the result is malformed ({problem})",
            "the API may have changed: upgrade pulumi-cfbilling, or report it with the CF-Ray id",
        )
    return result


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


