"""The JSON documents of the service's results: the one place a result becomes plain values.

Every sink that emits JSON or protocol values takes its document from here: the CLI's ``--format json``
(``balance``, ``check``, ``usage``), ``terraform-external`` (flattened), the Pulumi data functions, ``guard()`` and
the snapshot, the provider plugin's functions and the Terraform provider's data sources. Every value goes through
:func:`core.amounts.plain_value`, so numbers are finite or null, never ``inf`` or ``NaN``, times are ISO-8601
UTC, and nothing is a ``Decimal`` or a model. The shapes of the three functions' documents are those of the
package schema's function outputs (:mod:`.schema`); the check report's is ``check_report.schema.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.amounts import plain_value
from ..core.errors import APIError, CfBillingError
from ..core.settings import CACHED_AGE_KEY, CHECK_TOKEN, GET_TOKEN, USAGE_TOKEN
from ..guardrails.rules import GUARDRAILS, Policy
from .reader import Result, UsageRead

__all__ = [
    "DOCUMENT_VERSION",
    "account_document",
    "balance_document",
    "check_document",
    "counts",
    "error_document",
    "function_document",
    "guard_document",
    "policy_document",
    "report_document",
    "usage_document",
]

DOCUMENT_VERSION = 1
"""Bumped only on a breaking change to the JSON documents the CLI prints."""


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = plain_value(document)
    return plain


def error_document(error: CfBillingError) -> dict[str, Any]:
    """An error as plain values: its type, one-line message, HTTP status, Cloudflare codes and CF-Ray id."""
    api = error if isinstance(error, APIError) else None
    return _plain(
        {
            "type": type(error).__name__,
            "message": str(error),
            "statusCode": api.status_code if api else None,
            "codes": list(api.codes) if api else [],
            "rayId": api.ray_id if api else None,
        }
    )


def balance_document(result: Result) -> dict[str, Any]:
    """``getCreditBalance``: the canonical document of the account's balance (``accountId`` first)."""
    if result.balance is None:
        raise ValueError("balance_document needs a result with a balance")
    return _plain(result.balance.to_document())


def check_document(result: Result) -> dict[str, Any]:
    """``checkCreditBalance``: ``accountId``, ``ok``, ``violations``, ``runway`` and ``firstStop`` (null unless read).

    ``firstStop`` is known only when a gateway guardrail read the gateways beside the runway.
    """
    verdict = result.verdict
    if verdict is None:
        raise ValueError("check_document needs a judged result")
    document = {
        "accountId": result.ref.account_id,
        **verdict.to_dict(),
        "runway": result.runway.to_dict() if result.runway else None,
        "firstStop": result.first_stop.to_dict() if result.first_stop else None,
    }
    return _plain(document)


def usage_document(result: Result | UsageRead, account_id: str | None = None) -> dict[str, Any]:
    """``getUsageHistory``: the range asked for, the total, and each bucket raw and in dollars."""
    from ..api.usage import BUCKET_KEYS, USAGE_KEYS  # the usage model: loaded with a usage read, never before

    read = result.usage if isinstance(result, Result) else result
    if read is None:
        raise ValueError("usage_document needs a result with a usage read")
    account = result.ref.account_id if isinstance(result, Result) else account_id or read.history.account_id
    buckets = [{key: getattr(bucket, name) for name, key in BUCKET_KEYS.items()} for bucket in read.history.history]
    values: dict[str, Any] = {"account_id": account, "window": read.window, "start": read.start, "end": read.end}
    values |= {"total_usd": read.history.total_usd, "buckets": buckets}
    return _plain({key: values[name] for name, key in USAGE_KEYS.items()})


def _first_stop(result: Result) -> dict[str, Any]:
    """``firstStop``, only when the runway and the gateways were both read (a gateway guardrail with the runway)."""
    return {"firstStop": result.first_stop.to_dict()} if result.first_stop is not None else {}


def guard_document(result: Result, enforcement: str) -> dict[str, Any]:
    """``guard``: the check's document with its ``enforcement`` and the read's ``error``.

    An account that could not be read is ``ok: false`` with the error: a guard that cannot see is closed.
    """
    if result.error is not None:
        unread = {"accountId": result.ref.account_id, "ok": False, "violations": [], "runway": None}
        document = {**unread, "firstStop": None, "enforcement": enforcement, "error": str(result.error)}
    else:
        document = {**check_document(result), "enforcement": enforcement, "error": None}
    return _plain({**document, CACHED_AGE_KEY: result.cached_age})


def function_document(token: str, result: Result) -> dict[str, Any]:
    """The document a package function (``cfbilling:index:...``) answers with, for its token.

    Each says how old its answer is (``cachedAgeSeconds``, null when read live): a cached value never passes for a
    fresh one.
    """
    from .functions import ROUTE_FUNCTIONS

    documents: dict[str, Callable[[Result], dict[str, Any]]] = {
        GET_TOKEN: balance_document,
        CHECK_TOKEN: check_document,
        USAGE_TOKEN: usage_document,
    }
    documents |= {function.token: function.document for function in ROUTE_FUNCTIONS}
    if token not in documents:
        raise ValueError(f"no function {token!r}")
    return {**documents[token](result), CACHED_AGE_KEY: plain_value(result.cached_age)}


def account_document(result: Result) -> dict[str, Any]:
    """One account of the check report: label, status, balance, violations, error and runway, all plain."""
    return _plain(
        {
            "accountId": result.ref.account_id,
            "label": result.ref.label,
            "status": result.status,
            "ok": result.status == "pass",
            "balance": result.balance.to_document() if result.balance else None,
            "violations": result.verdict.to_dict()["violations"] if result.verdict else [],
            "error": error_document(result.error) if result.error else None,
            "runway": result.runway.to_dict() if result.runway else None,
            CACHED_AGE_KEY: result.cached_age,
        }
        | _first_stop(result)
    )


def policy_document(policy: Policy) -> dict[str, Any]:
    """Every guardrail under its camelCase name: its value, or off (null; false for a flag)."""
    return _plain({g.camel: g.plain(policy.get(g.name)) for g in GUARDRAILS})


def counts(results: Sequence[Result]) -> dict[str, int]:
    """How many accounts passed, failed a guardrail, or could not be read."""
    statuses = [result.status for result in results]
    return {
        "total": len(statuses),
        "passed": statuses.count("pass"),
        "failed": statuses.count("fail"),
        "errors": statuses.count("error"),
    }


def report_document(results: Sequence[Result], policy: Policy, *, enforcement: str, exit_code: int) -> dict[str, Any]:
    """The JSON document of ``cfbilling check`` (``check_report.schema.json``): stable, versioned, plain."""
    return {
        "version": DOCUMENT_VERSION,
        "ok": exit_code == 0,
        "exitCode": exit_code,
        "enforcement": enforcement,
        "policy": policy_document(policy),
        "summary": counts(results),
        "accounts": [account_document(result) for result in results],
    }
