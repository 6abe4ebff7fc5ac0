"""The CrossGuard policy: validate() called directly with a collecting report_violation, against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import FAILING, HEALTHY, LOW, assert_no_secret
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
    StackValidationPolicy,
)

from pulumi_cfbilling.policy import POLICY_NAME, credit_balance_policy, validate_credit_balance
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)


def run(config: dict[str, Any]) -> list[str]:
    violations: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        assert urn is None  # the whole stack is in violation, not a resource
        violations.append(message)

    validate_credit_balance(StackValidationArgs(resources=[], config=config), report)
    assert_no_secret(*violations)
    return violations


def test_healthy_accounts_pass() -> None:
    assert (
        run({"accountIds": [HEALTHY], "minBalanceUsd": 20, "requireAutoTopup": True, "requirePaymentMethod": True})
        == []
    )


@pytest.mark.parametrize(
    ("account", "config", "rule"),
    [
        (LOW, {"minBalanceUsd": 20}, "min-balance"),
        (LOW, {"requireAutoTopup": True}, "auto-topup"),
        (LOW, {"requirePaymentMethod": True}, "payment-method"),
        (FAILING, {"maxTopupFailureAge": "12h"}, "topup-failure"),
        (LOW, {"minTopupThresholdUsd": 5}, "topup-threshold"),
    ],
)
def test_each_rule(account: str, config: dict[str, Any], rule: str) -> None:
    (violation,) = run({"accountIds": [account], **config})
    assert violation.startswith(f"AI Gateway credits of account {account}: ")
    assert violation.endswith(f"[{rule}]")


def test_every_account_is_checked() -> None:
    violations = run({"accountIds": [HEALTHY, LOW, FAILING], "minBalanceUsd": 20})
    assert [LOW in v for v in violations] == [True, False]
    assert FAILING in violations[1]


def test_an_unreadable_balance_is_a_violation(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 500}])
    (violation,) = run({"accountIds": [HEALTHY], "minBalanceUsd": 1, "timeoutSeconds": 2})
    assert violation.startswith(f"AI Gateway credits of account {HEALTHY} cannot be read: ")
    assert "HTTP 500" in violation


def test_a_stalled_api_is_bounded_by_timeout_seconds(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFBILLING_MAX_RETRIES", "0")
    emulator.set_faults(HEALTHY, [{"kind": "stall", "seconds": 30}])
    (violation,) = run({"accountIds": [HEALTHY], "minBalanceUsd": 1, "timeoutSeconds": 0.5})
    assert "no complete answer within the 0.5 s timeout" in violation


def test_missing_credentials_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    (violation,) = run({"accountIds": [HEALTHY], "minBalanceUsd": 1})
    assert violation.startswith("AI Gateway credits cannot be checked: no Cloudflare credentials found")


def test_no_accounts_configured_is_a_violation() -> None:
    (violation,) = run({"minBalanceUsd": 1})
    assert "no account to check: the stack has no cfbilling provider with an accountId" in violation
    assert "lists no accountIds" in violation


def _resource(resource_type: str, props: dict[str, Any]) -> PolicyResource:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return PolicyResource(resource_type, props, f"urn::{resource_type}", "r", options, None, None, [], {})


def test_by_default_the_stacks_own_account_is_checked() -> None:
    violations: list[str] = []
    resources = [
        _resource("pulumi:providers:cfbilling", {"accountId": LOW, "apiToken": "[secret]"}),
        _resource("pulumi:providers:cfbilling", {"accountId": LOW}),  # a second provider of the same account
        _resource("pulumi:providers:cloudflare", {"accountId": HEALTHY}),  # another package's: not ours to read
    ]
    args = StackValidationArgs(resources=resources, config={"minBalanceUsd": 20})
    validate_credit_balance(args, lambda message, urn=None: violations.append(message))
    assert violations == [
        f"AI Gateway credits of account {LOW}: balance $3.13 is below the minimum of $20.00 [min-balance]"
    ]
    configured: list[str] = []
    chosen = StackValidationArgs(resources=resources, config={"accountIds": [HEALTHY], "minBalanceUsd": 20})
    validate_credit_balance(chosen, lambda message, urn=None: configured.append(message))
    assert configured == []  # the configured list wins over the stack's


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"accountIds": ["nope"]}, "accountIds 'nope'"),
        ({"accountIds": [HEALTHY], "maxTopupFailureAge": "soon"}, "maxTopupFailureAge 'soon'"),
    ],
)
def test_bad_config_is_a_violation_naming_the_key(config: dict[str, Any], fragment: str) -> None:
    (violation,) = run(config)
    assert fragment in violation


def test_policy_object() -> None:
    policy = credit_balance_policy()
    assert isinstance(policy, StackValidationPolicy)
    assert policy.name == POLICY_NAME
    assert policy.enforcement_level == EnforcementLevel.MANDATORY
    assert credit_balance_policy(EnforcementLevel.ADVISORY).enforcement_level == EnforcementLevel.ADVISORY
    assert policy.config_schema is not None
    assert set(policy.config_schema.properties) == {
        "accountIds",
        "minBalanceUsd",
        "requireAutoTopup",
        "requirePaymentMethod",
        "maxTopupFailureAge",
        "minTopupThresholdUsd",
        "minRunwayDays",
        "requireSpendLimit",
        "requireSpendLimitWithAutoTopup",
        "maxInvoiceDueUsd",
        "timeoutSeconds",
    }
    violations: list[str] = []
    policy.validate(
        StackValidationArgs([], {"accountIds": [LOW], "minBalanceUsd": 20}), lambda m, u=None: violations.append(m)
    )
    assert len(violations) == 1


def test_example_pack_builds_the_pack_only_in_main() -> None:
    from pathlib import Path

    pack = Path(__file__).resolve().parent.parent / "examples" / "policy-pack"
    source = (pack / "__main__.py").read_text()
    assert "PolicyPack(" in source
    assert "credit_balance_policy()" in source
    assert (pack / "PulumiPolicy.yaml").read_text().startswith("runtime:")
    assert "pulumi-cfbilling[policy]" in (pack / "requirements.txt").read_text()
    assert (
        "PolicyPack(" not in Path(__import__("pulumi_cfbilling.policy").policy.__file__).read_text().split('"""', 2)[2]
    )


def test_the_readme_and_the_description_name_every_guardrail_of_the_table() -> None:
    from pathlib import Path

    from pulumi_cfbilling.guardrails.rules import GUARDRAILS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("Policy config of `cfbilling-credit-balance`") :][:1200]
    description = credit_balance_policy().description
    for entry in GUARDRAILS:
        assert f"`{entry.camel}`" in section, entry.camel
        assert entry.rule in description, entry.rule
