"""Emulator fixtures: loaded, checked against Cloudflare's own schema, and fixed in time, before serving.

A fixture is a JSON document (or a dict)::

    {
      "description": "free text",
      "tokens": {"<token>": {"accounts": "*" | ["<id>", ...], "status": "active" | "disabled" | "expired",
                              "owner": "user" | "<account id>", "id": "<32 hex>", "expires_on": "<ISO time>"}},
      "keys": [{"email": "<email>", "key": "<global API key>"}],
      "accounts": {"<32 hex account id>": {
          "label": "production",                    # shown by `cfbilling emulator`
          "result": {...},                          # the healthy answer: Cloudflare's result schema, exactly
          "faults": [{"kind": "status", ...}, ...], # answered in order (see the emulator's docstring)
          "latency": 0.1,                           # seconds before every answer for this account
          "failed_topup_seconds_ago": 7200,         # sets topup_config.lastFailedAt, once, at load
          "burn_cents_per_minute": 50,              # the balance falls this much a minute from load on
          "usage": {"daily_cents": [...]},          # spend per day for usage-history (see _usage)
          "usage_faults": [...]                     # faults of the usage-history route, as "faults"
      }}
    }

Every healthy ``result`` is validated against ``credit_balance_result.schema.json``, copied from Cloudflare's
OpenAPI document: a fixture cannot serve an answer the real API would not give. Errors are one line naming the
place in the fixture (``accounts.<id>.faults[0].kind``) and what to write instead.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ..core.errors import ConfigurationError
from ._answers import FAULTS
from ._billing import SCHEMAS, sdk_schema
from ._usage import check_usage

__all__ = ["ACCOUNT_ID", "FAULT_KEYS", "FixtureError", "demo_fixture", "load_fixture"]

ACCOUNT_ID = re.compile(r"[0-9a-f]{32}")
_TOP_LEVEL = {"description", "tokens", "keys", "accounts"}
_ACCOUNT_KEYS = {
    "label",
    "result",
    "faults",
    "latency",
    "failed_topup_seconds_ago",
    "burn_cents_per_minute",
    "usage",
    "usage_faults",
    "gateways",
    "invoice",
    "invoices",
    "gateways_faults",
    "invoice_preview_faults",
    "invoice_history_faults",
}
FAULT_KEYS = ("faults", "usage_faults", "gateways_faults", "invoice_preview_faults", "invoice_history_faults")
"""Each route's fault queue in an account spec, in the emulator's route order."""
_TOKEN_KEYS = {"accounts", "status", "owner", "id", "expires_on"}
_TOKEN_STATUSES = ("active", "disabled", "expired")
_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
}


class FixtureError(ConfigurationError):
    """A fixture the emulator cannot serve; the message names the place in it and the fix."""


def _schema() -> dict[str, Any]:
    text = resources.files(__package__ or "pulumi_cfbilling.testing").joinpath("credit_balance_result.schema.json")
    document: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return document


def demo_fixture() -> dict[str, Any]:
    """The sample accounts shipped with the package (``demo_fixture.json``), as a fresh dict."""
    text = resources.files(__package__ or "pulumi_cfbilling.testing").joinpath("demo_fixture.json")
    data: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return data


def load_fixture(source: Mapping[str, Any] | str | Path | None, origin: str | None = None) -> dict[str, Any]:
    """Read (a path) or copy (a dict) a fixture, validate all of it, and resolve relative times once.

    ``origin`` names the fixture in error messages (default: its path, or "fixture").
    """
    data: Any
    if isinstance(source, (str, Path)):
        origin = origin or str(source)
        try:
            data = json.loads(Path(source).read_text("utf-8-sig"))
        except (OSError, UnicodeDecodeError) as error:
            problem = f"cannot read the fixture ({type(error).__name__}); give a UTF-8 JSON file"
            raise FixtureError(f"{origin}: {problem}") from None
        except json.JSONDecodeError as error:
            raise FixtureError(f"{origin}: not valid JSON (line {error.lineno}: {error.msg})") from None
    else:
        origin = origin or "fixture"
        data = copy.deepcopy(dict(source or {}))
    _check(isinstance(data, dict), origin, "", "must be a JSON object with tokens, keys and accounts")
    _unknown(data, _TOP_LEVEL, origin, "")
    tokens = data.get("tokens", {})
    _check(isinstance(tokens, dict), origin, "tokens", "must be an object of token -> grant")
    for token, grant in tokens.items():
        _token(grant, origin, f"tokens.{token[:8]}...")
    keys = data.get("keys", [])
    _check(isinstance(keys, list), origin, "keys", "must be a list of {email, key}")
    for i, entry in enumerate(keys):
        ok = isinstance(entry, dict) and set(entry) == {"email", "key"}
        ok = ok and all(isinstance(v, str) for v in entry.values())
        _check(ok, origin, f"keys[{i}]", 'must be {"email": "...", "key": "..."}')
    accounts = data.get("accounts", {})
    _check(isinstance(accounts, dict), origin, "accounts", "must be an object of account id -> account")
    now_ms = int(time.time() * 1000)
    for account_id, account in accounts.items():
        where = f"accounts.{account_id}"
        _check(bool(ACCOUNT_ID.fullmatch(account_id)), origin, where, "an account id is 32 lowercase hex characters")
        accounts[account_id] = check_account(account, origin, where, now_ms)
    checked: dict[str, Any] = data
    return checked


def check_account(account: Any, origin: str, where: str, now_ms: int | None = None) -> dict[str, Any]:
    """Validate one account spec; ``failed_topup_seconds_ago`` becomes a fixed ``lastFailedAt``."""
    _check(isinstance(account, dict), origin, where, 'must be an object such as {"result": {...}}')
    _unknown(account, _ACCOUNT_KEYS, origin, where)
    _check("result" in account, origin, where, "needs a result: the healthy answer, in Cloudflare's schema")
    _validate(account["result"], _schema(), origin, f"{where}.result")
    label = account.get("label")
    _check(label is None or isinstance(label, str), origin, f"{where}.label", "must be text")
    for key in ("latency", "failed_topup_seconds_ago", "burn_cents_per_minute"):
        value = account.get(key)
        ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e9)
        unit = "cents a minute" if key.startswith("burn") else "seconds"
        _check(ok, origin, f"{where}.{key}", f"must be a number of {unit}, 0 or more")
    if "usage" in account:
        problem = check_usage(account["usage"])
        _check(problem is None, origin, f"{where}.usage", problem or "")
    for key, type_name in SCHEMAS.items():
        if key in account:
            # The gateways and past invoices are lists of the SDK's type; the preview is one.
            many = key != "invoice"
            values = account[key] if many else [account[key]]
            _check(isinstance(values, list), origin, f"{where}.{key}", "must be a list")
            for i, value in enumerate(values):
                _validate(value, sdk_schema(type_name), origin, f"{where}.{key}[{i}]" if many else f"{where}.{key}")
    for key in FAULT_KEYS:
        faults = account.get(key, [])
        _check(isinstance(faults, list), origin, f"{where}.{key}", "must be a list of faults")
        for i, fault in enumerate(faults):
            check_fault(fault, origin, f"{where}.{key}[{i}]")
    checked: dict[str, Any] = copy.deepcopy(account)
    ago = checked.pop("failed_topup_seconds_ago", None)
    if ago is not None:
        # Fixed once: two reads of the same account must agree. Relative, so the demo's failure stays recent.
        checked["result"]["topup_config"]["lastFailedAt"] = (now_ms or int(time.time() * 1000)) - int(ago * 1000)
    for key in FAULT_KEYS:
        checked[key] = [dict(f) for f in account.get(key, [])]
    if checked.get("burn_cents_per_minute"):
        checked["burn_since"] = time.monotonic()  # the balance falls from now on (see Emulator.balance_now)
    return checked


def check_fault(fault: Any, origin: str, where: str) -> None:
    """A fault names a known kind and only that kind's parameters, with the right types."""
    _check(isinstance(fault, dict) and "kind" in fault, origin, where, 'must be an object such as {"kind": "drop"}')
    kind = fault["kind"]
    spec = FAULTS.get(kind) if isinstance(kind, str) else None
    _check(spec is not None, origin, f"{where}.kind", f"unknown fault kind {kind!r} (one of: {', '.join(FAULTS)})")
    assert spec is not None
    for name, value in fault.items():
        if name == "kind":
            continue
        expected = spec.get(name) if name != "times" else "integer"
        _check(expected is not None, origin, f"{where}.{name}", f"is not a parameter of {kind!r} ({_params(spec)})")
        assert expected is not None
        types = tuple(t for option in expected.split("|") for t in _JSON_TYPES[option])
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        _check(ok, origin, f"{where}.{name}", f"must be {expected.replace('|', ' or ')}")
    times = fault.get("times")
    _check(times is None or times >= 1, origin, f"{where}.times", "must be 1 or more (leave it out for every request)")


def _params(spec: Mapping[str, str]) -> str:
    return ", ".join(["times", *spec]) if spec else "times"


def _token(grant: Any, origin: str, where: str) -> None:
    _check(isinstance(grant, dict), origin, where, 'must be an object such as {"accounts": "*"}')
    _unknown(grant, _TOKEN_KEYS, origin, where)
    accounts = grant.get("accounts", "*")
    ok = accounts == "*" or (isinstance(accounts, list) and all(isinstance(a, str) for a in accounts))
    _check(ok, origin, f"{where}.accounts", 'must be "*" or a list of account ids')
    status = grant.get("status", "active")
    _check(status in _TOKEN_STATUSES, origin, f"{where}.status", f"must be one of {', '.join(_TOKEN_STATUSES)}")
    owner = grant.get("owner", "user")
    ok = isinstance(owner, str) and (owner == "user" or ACCOUNT_ID.fullmatch(owner) is not None)
    _check(ok, origin, f"{where}.owner", 'must be "user" or the id of the account that owns the token')
    for key in ("id", "expires_on"):
        _check(isinstance(grant.get(key, ""), str), origin, f"{where}.{key}", "must be text")


def _validate(value: Any, schema: Mapping[str, Any], origin: str, where: str) -> None:
    """The subset of JSON Schema the results use (Cloudflare's OpenAPI document, the SDK's types for the rest).

    That is type, nullable, properties, required, items, enum, anyOf and additionalProperties.
    """
    if value is None:
        _check(bool(schema.get("nullable")), origin, where, "must not be null (Cloudflare's schema says so)")
        return
    if "anyOf" in schema:
        fits = []
        for option in schema["anyOf"]:
            try:
                _validate(value, option, origin, where)
            except FixtureError:
                continue
            fits.append(option)
        _check(bool(fits), origin, where, "fits none of the shapes Cloudflare's schema allows here")
        return
    if "enum" in schema:
        allowed = ", ".join(json.dumps(v) for v in schema["enum"])
        _check(value in schema["enum"], origin, where, f"must be one of {allowed} (Cloudflare's schema says so)")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _validate(item, schema["items"], origin, f"{where}[{i}]")
    if isinstance(value, dict) and "additionalProperties" in schema:
        for name, item in value.items():
            _validate(item, schema["additionalProperties"], origin, f"{where}.{name}")
    expected = schema.get("type")
    if expected is not None:
        types = _JSON_TYPES[expected]
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        _check(ok, origin, where, f"must be a {expected} (Cloudflare's schema says so)")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            _check(name in value, origin, f"{where}.{name}", "is missing: Cloudflare's schema requires it")
        for name, subschema in schema.get("properties", {}).items():
            if name in value:
                _validate(value[name], subschema, origin, f"{where}.{name}")


def _unknown(data: Mapping[str, Any], allowed: set[str], origin: str, where: str) -> None:
    extra = sorted(set(data) - allowed)
    place = f"{where}.{extra[0]}" if where and extra else (extra[0] if extra else where)
    _check(not extra, origin, place, f"is not a fixture field (fields here: {', '.join(sorted(allowed))})")


def _check(ok: bool, origin: str, where: str, problem: str) -> None:
    if not ok:
        raise FixtureError(f"{origin}: {where or 'the top level'} {problem}")
