"""The pure response parser: every kind of answer, without sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulumi_cfbilling import (
    APIResponseError,
    APIStatusError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from pulumi_cfbilling.api.response import MAX_BODY_BYTES, parse_credit_balance_response, parse_retry_after
from pulumi_cfbilling.core.errors import APIError

ACCOUNT = "0123456789abcdef0123456789abcdef"
RESULT = {
    "balance": 640.19,
    "has_default_payment_method": True,
    "payment_method": None,
    "topup_config": {},
}
JSON = {"Content-Type": "application/json", "CF-Ray": "8f00aa11bb22cc33-LHR"}


def body(document: Any) -> bytes:
    return json.dumps(document).encode()


def ok(result: Any = RESULT, **envelope: Any) -> bytes:
    return body({"success": True, "errors": [], "messages": [], "result": result, **envelope})


def error_body(code: int, message: str) -> bytes:
    return body({"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None})


def parse(status: int, payload: bytes, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return parse_credit_balance_response(status, headers if headers is not None else JSON, payload, ACCOUNT, **kwargs)


def test_success() -> None:
    balance = parse(200, ok())
    assert balance.balance == 640.19
    assert balance.account_id == ACCOUNT


def test_headers_are_case_insensitive() -> None:
    with pytest.raises(APIError) as caught:
        parse(500, b"", {"cf-ray": "abc-XYZ"})
    assert caught.value.ray_id == "abc-XYZ"


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, 6003, AuthenticationError),
        (400, 9106, AuthenticationError),
        (400, 10000, AuthenticationError),
        (400, 1001, APIStatusError),
        (401, 10000, AuthenticationError),
        (403, 9109, PermissionDeniedError),
        (403, 10000, PermissionDeniedError),
        (404, 7003, NotFoundError),
        (404, 7000, NotFoundError),
        (429, 971, RateLimitError),
        (500, 10001, ServerError),
        (503, 10001, ServerError),
        (418, 1, APIStatusError),
    ],
)
def test_error_statuses_map_to_typed_errors(status: int, code: int, cls: type[APIError]) -> None:
    with pytest.raises(cls) as caught:
        parse(status, error_body(code, "Something went wrong"))
    error = caught.value
    assert type(error) is cls
    assert error.status_code == status
    assert error.codes == (code,)
    assert error.ray_id == "8f00aa11bb22cc33-LHR"
    assert error.account_id == ACCOUNT
    message = str(error)
    assert f"code {code}: Something went wrong" in message
    assert ACCOUNT in message
    assert "CF-Ray 8f00aa11bb22cc33-LHR" in message
    assert "\n" not in message


def test_auth_failure_message_says_what_to_do() -> None:
    with pytest.raises(AuthenticationError, match="CLOUDFLARE_API_TOKEN must be a valid, active API token"):
        parse(400, error_body(9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers"))


def test_wrong_account_message_says_what_to_do() -> None:
    with pytest.raises(PermissionDeniedError, match="'AI Gateway Read' on this account"):
        parse(403, error_body(9109, "Unauthorized to access requested resource"))


def test_forbidden_with_code_10000_is_about_the_credential() -> None:
    with pytest.raises(PermissionDeniedError, match="CLOUDFLARE_API_TOKEN must be a valid"):
        parse(403, error_body(10000, "Authentication error"))


def test_html_error_page_from_a_proxy() -> None:
    with pytest.raises(ServerError, match=r"HTTP 502 \(the body is not valid JSON \(text/html, \d+ bytes\)\)"):
        parse(502, b"<html><body>Bad gateway</body></html>", {"Content-Type": "text/html"})


def test_attempts_are_reported() -> None:
    with pytest.raises(ServerError, match="after 4 attempts"):
        parse(503, error_body(10001, "x"), attempts=4)


def test_rate_limit_with_short_retry_after() -> None:
    with pytest.raises(RateLimitError, match="retry after 5 s") as caught:
        parse(429, error_body(971, "Please wait"), {**JSON, "Retry-After": "5"}, max_retry_after=60)
    assert caught.value.retry_after == 5.0


def test_rate_limit_beyond_what_we_wait_says_when_to_retry() -> None:
    with pytest.raises(RateLimitError, match=r"asks to wait 86400 s, longer than the 60 s .* retry after \d{4}-"):
        parse(429, error_body(971, "Please wait"), {**JSON, "Retry-After": "86400"}, max_retry_after=60)


def test_cloudflare_messages_are_flattened_and_shortened() -> None:
    with pytest.raises(APIStatusError) as caught:
        parse(400, error_body(1, "line one\nline two" + "x" * 500))
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 800


@pytest.mark.parametrize(
    ("payload", "content_type", "fragment"),
    [
        (b"", "application/json", "is empty"),
        (b"<html>captive portal</html>", "text/html", "not valid JSON (text/html"),
        (b'{"success": true, "result": {"balance"', "application/json", "not valid JSON"),
        (b"\xff\xfe\x00", "application/json", "not valid JSON"),
        (b'{"success": true, "result": {"balance": NaN}}', "application/json", "not valid JSON"),
        (b"[" * 100_000, "application/json", "not valid JSON"),
        (b"1" * 5000, "application/json", "not valid JSON"),
    ],
)
def test_bodies_that_are_not_json(payload: bytes, content_type: str, fragment: str) -> None:
    with pytest.raises(APIResponseError, match=fragment.replace("(", r"\(")):
        parse(200, payload, {"Content-Type": content_type})


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ([1, 2, 3], "envelope is malformed"),
        ("just a string", "envelope is malformed"),
        ({"result": RESULT}, "success"),
        ({"success": "yes", "result": RESULT}, "success"),
        ({"success": True}, "result"),
        ({"success": True, "result": [RESULT]}, "result"),
    ],
)
def test_malformed_envelopes(document: Any, fragment: str) -> None:
    with pytest.raises(APIResponseError, match=fragment):
        parse(200, body(document))


def test_success_false_on_http_200() -> None:
    with pytest.raises(APIResponseError, match=r"success: false \(code 10001: Internal error\)") as caught:
        parse(200, error_body(10001, "Internal error"))
    assert caught.value.codes == (10001,)


def test_result_null_on_http_200() -> None:
    with pytest.raises(APIResponseError, match=r"no result \(result: null\)"):
        parse(200, ok(result=None))


def test_wrong_types_name_the_field() -> None:
    with pytest.raises(APIResponseError, match=r"balance: Value error, must be a number, got str"):
        parse(200, ok(result={**RESULT, "balance": "lots"}))


def test_missing_keys_name_the_field() -> None:
    result = dict(RESULT)
    del result["balance"]
    with pytest.raises(APIResponseError, match=r"balance: Field required"):
        parse(200, ok(result=result))


def test_many_problems_are_summarised() -> None:
    with pytest.raises(APIResponseError, match="and 1 more"):
        parse(200, ok(result={"topup_config": 1}))


def test_redirect_names_the_location_host() -> None:
    with pytest.raises(APIResponseError, match=r"redirect to evil\.example, which is never followed"):
        parse(302, b"", {"Location": "https://evil.example/steal"})


def test_redirect_without_location() -> None:
    with pytest.raises(APIResponseError, match="no Location header"):
        parse(307, b"", {})


def test_oversized_body_is_refused() -> None:
    with pytest.raises(APIResponseError, match="larger than 1024 KiB"):
        parse(200, b" " * (MAX_BODY_BYTES + 1))


def test_unknown_envelope_fields_are_accepted() -> None:
    assert parse(200, ok(result_info={"page": 1}, extra=True)).balance == 640.19


def test_error_lists_are_read_leniently() -> None:
    payload = body({"success": False, "errors": ["odd", {"code": "x", "message": 5}, {"code": 7, "message": "m"}]})
    with pytest.raises(ServerError) as caught:
        parse(500, payload)
    assert caught.value.codes == (7,)


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("5", 5.0), (" 12 ", 12.0), ("soon", None), ("-3", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_beyond_a_year_is_no_instruction() -> None:
    # Neither an HTTP date in the year 9999 nor 400 digits of seconds (infinity as a float) is a wait to honour.
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT") is None
    assert parse_retry_after("9" * 400) is None
    assert parse_retry_after("31622400") == 31622400.0
