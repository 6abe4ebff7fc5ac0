"""Fuzzing with hypothesis: whatever arrives, the outcome is a valid value or a clear CfBillingError.

CI runs the "ci" profile (2,000 examples per test). A longer run:

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py      # 50,000 examples per test
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_cfbilling import CfBillingError, ConfigurationError, CreditBalance
from pulumi_cfbilling.api.response import MAX_BODY_BYTES, parse_credit_balance_response
from pulumi_cfbilling.cli._render import render_balance_text
from pulumi_cfbilling.core.settings import Source, read_account_id, read_base_url, resolve_settings
from pulumi_cfbilling.guardrails.rules import Policy, evaluate, parse_duration
from pulumi_cfbilling.service.accounts import AccountRef, parse_accounts_file
from pulumi_cfbilling.service.reader import Result

ACCOUNT = "0123456789abcdef0123456789abcdef"
FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
# Values for a known key: the right type often, anything else as often.
numbers = st.integers(min_value=-(10**15), max_value=10**15) | st.floats(allow_nan=False, allow_infinity=False)
field_values = st.one_of(json_values, numbers, st.none(), st.booleans(), st.text(max_size=8))


@st.composite
def results(draw: st.DrawFn) -> dict[str, Any]:
    topup_keys = ["amount", "threshold", "disabledReason", "error", "lastFailedAt"]
    topup = {k: draw(field_values) for k in topup_keys if draw(st.booleans())}
    result: dict[str, Any] = {
        "balance": draw(numbers | field_values),
        "has_default_payment_method": draw(st.booleans() | field_values),
        "payment_method": draw(
            st.none()
            | st.fixed_dictionaries({}, optional={"brand": field_values, "last4": field_values})
            | field_values
        ),
        "topup_config": draw(st.just(topup) | field_values),
        "first_topup_success": draw(st.booleans() | field_values),
    }
    for key in list(result):
        if draw(st.integers(0, 9)) == 0:
            del result[key]
    if draw(st.booleans()):
        result.update(draw(st.dictionaries(st.text(max_size=10), json_values, max_size=3)))
    return result


@st.composite
def envelopes(draw: st.DrawFn) -> Any:
    envelope: dict[str, Any] = {
        "success": draw(st.booleans() | field_values),
        "errors": draw(
            st.lists(st.fixed_dictionaries({"code": field_values, "message": field_values}), max_size=2) | field_values
        ),
        "messages": draw(st.lists(json_values, max_size=2) | field_values),
        "result": draw(results() | st.none() | field_values),
    }
    for key in list(envelope):
        if draw(st.integers(0, 7)) == 0:
            del envelope[key]
    return envelope


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return json.dumps(draw(json_values)).encode()
    if kind == 1:
        return draw(st.binary(max_size=200))
    valid = json.dumps(draw(envelopes())).encode()
    if kind == 2:
        return valid[: draw(st.integers(0, len(valid)))]
    if kind == 3:
        return valid + draw(st.binary(max_size=10))
    return valid


headers = st.dictionaries(
    st.sampled_from(["Content-Type", "CF-Ray", "Retry-After", "Location", "content-type", "retry-after", "X-Other"]),
    st.text(max_size=40),
    max_size=4,
)
statuses = st.integers(100, 599) | st.sampled_from([200, 200, 200, 400, 401, 403, 404, 429, 500, 502, 503])


def _accept(outcome: object) -> None:
    if isinstance(outcome, CreditBalance):
        json.dumps(outcome.to_document())  # derived values never raise, and serialize
        render_balance_text(Result(AccountRef(ACCOUNT), outcome))  # nor does rendering them for people
        assert outcome.account_id == ACCOUNT
    else:
        assert isinstance(outcome, CfBillingError), repr(outcome)
        message = str(outcome)
        assert message
        assert "\n" not in message
        assert outcome.__context__ is None


def parse(status: int, header_map: dict[str, str], body: bytes) -> object:
    try:
        return parse_credit_balance_response(status, header_map, body, ACCOUNT, attempts=1, max_retry_after=60)
    except CfBillingError as error:
        return error


@FUZZ
@given(statuses, headers, bodies())
def test_any_answer_is_a_balance_or_a_clear_error(status: int, header_map: dict[str, str], body: bytes) -> None:
    _accept(parse(status, header_map, body))


@FUZZ
@given(envelopes())
def test_any_envelope_on_http_200(envelope: Any) -> None:
    outcome = parse(200, {"Content-Type": "application/json"}, json.dumps(envelope).encode())
    _accept(outcome)
    if isinstance(outcome, CreditBalance):
        assert envelope["success"] is True


@FUZZ
@given(results())
def test_any_result_in_a_successful_envelope(result: dict[str, Any]) -> None:
    body = json.dumps({"success": True, "errors": [], "messages": [], "result": result}).encode()
    outcome = parse(200, {}, body)
    _accept(outcome)
    if isinstance(outcome, CreditBalance):
        assert outcome.balance == result["balance"]
        assert isinstance(outcome.balance_usd, Decimal)
        verdict = evaluate(
            outcome,
            Policy(
                min_balance_usd=Decimal(1),
                require_auto_topup=True,
                require_payment_method=True,
                max_topup_failure_age=timedelta(hours=1),
                min_topup_threshold_usd=Decimal(5),
            ),
        )
        json.dumps(verdict.to_dict())


@settings(max_examples=20, deadline=None)
@given(st.integers(MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 4096))
def test_oversized_bodies(size: int) -> None:
    _accept(parse(200, {}, b" " * size))


def _config_outcome(call: Any, *args: Any) -> Any:
    try:
        outcome = call(*args)
    except ConfigurationError as error:
        outcome = error
    if isinstance(outcome, ConfigurationError):
        assert str(outcome)
        assert "\n" not in str(outcome)
    return outcome


@FUZZ
@given(st.text(max_size=40) | st.from_regex(r"[0-9a-f]{32}", fullmatch=True))
def test_account_ids(text: str) -> None:
    outcome = _config_outcome(read_account_id, text, "account id")
    if isinstance(outcome, str):
        assert len(outcome) == 32
        assert all(c in "0123456789abcdef" for c in outcome)


@FUZZ
@given(
    st.text(max_size=60)
    | st.builds(lambda h, p: f"http{'s' if p else ''}://{h}/client/v4", st.text(max_size=20), st.booleans())
)
def test_base_urls(text: str) -> None:
    outcome = _config_outcome(read_base_url, text, "base URL")
    if isinstance(outcome, str):
        assert outcome.startswith(("https://", "http://"))


@FUZZ
@given(st.text(min_size=12, max_size=60).map(lambda text: "zQ9x" + text))  # a prefix no message contains by chance
def test_tokens_are_accepted_or_refused_without_echo(token: str) -> None:
    outcome = _config_outcome(resolve_settings, Source.environment({"CLOUDFLARE_API_TOKEN": token}))
    if isinstance(outcome, ConfigurationError):
        assert token.strip() not in str(outcome) or not token.strip()
    else:
        assert outcome.credentials is not None
        assert token not in repr(outcome)


@FUZZ
@given(st.text(max_size=20) | st.integers() | st.floats())
def test_durations(value: Any) -> None:
    outcome = _config_outcome(parse_duration, value, "duration")
    if isinstance(outcome, timedelta):
        assert outcome.total_seconds() > 0
        assert math.isfinite(outcome.total_seconds())


@FUZZ
@given(
    st.text(max_size=300)
    | st.lists(st.sampled_from([ACCOUNT, "# c", "", " label", "\t", "x", ACCOUNT + " a b"])).map("\n".join)
)
def test_accounts_files(text: str) -> None:
    outcome = _config_outcome(parse_accounts_file, text, "fleet.txt")
    if isinstance(outcome, list):
        assert outcome
        assert all(len(ref.account_id) == 32 for ref in outcome)
