"""pulumi-cfbilling: watch and guard Cloudflare AI Gateway credits from infrastructure code.

The public face of the package. The Pulumi-facing names (data functions, ``guard``, ``CreditBalanceSnapshot``)
load lazily on first use, so the ``cfbilling`` command and plain client users never pay for importing Pulumi.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .core.version import __version__

if TYPE_CHECKING:
    from .api.client import BillingClient
    from .api.models import CreditBalance, PaymentMethod, TopupConfig, cents_to_usd
    from .core.errors import (
        APIConnectionError,
        APIError,
        APIResponseError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        CfBillingError,
        CloudflareErrorDetail,
        ConfigurationError,
        DeadlineError,
        GuardrailError,
        InternalError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ServerError,
    )
    from .core.settings import Settings
    from .guardrails.rules import Policy, Verdict, Violation, evaluate, parse_duration
    from .program.billing import (
        GetGatewaysResult,
        GetInvoicePreviewResult,
        get_gateways,
        get_gateways_output,
        get_invoice_preview,
        get_invoice_preview_output,
    )
    from .program.functions import (
        AwaitableCheckCreditBalanceResult,
        AwaitableGetCreditBalanceResult,
        CheckCreditBalanceResult,
        GetCreditBalanceResult,
        GetUsageHistoryResult,
        check_credit_balance,
        check_credit_balance_output,
        get_credit_balance,
        get_credit_balance_output,
        get_usage_history,
        get_usage_history_output,
    )
    from .program.guard import guard
    from .program.mocks import LiveMocks
    from .program.resource import CreditBalanceSnapshot

_ERRORS = (
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "CfBillingError",
    "CloudflareErrorDetail",
    "ConfigurationError",
    "DeadlineError",
    "GuardrailError",
    "InternalError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
)

# Name -> module, imported on first access (PEP 562): nothing heavier than this file loads until a name is used,
# so the plugin prints its port and the CLI starts without paying for pydantic, requests or pulumi up front.
_LAZY = {
    **dict.fromkeys(_ERRORS, ".core.errors"),
    "AwaitableCheckCreditBalanceResult": ".program.functions",
    "AwaitableGetCreditBalanceResult": ".program.functions",
    "BillingClient": ".api.client",
    "CheckCreditBalanceResult": ".program.functions",
    "CreditBalance": ".api.models",
    "CreditBalanceSnapshot": ".program.resource",
    "GetCreditBalanceResult": ".program.functions",
    "GetGatewaysResult": ".program.billing",
    "GetInvoicePreviewResult": ".program.billing",
    "GetUsageHistoryResult": ".program.functions",
    "LiveMocks": ".program.mocks",
    "PaymentMethod": ".api.models",
    "Policy": ".guardrails.rules",
    "Settings": ".core.settings",
    "TopupConfig": ".api.models",
    "Verdict": ".guardrails.rules",
    "Violation": ".guardrails.rules",
    "cents_to_usd": ".api.models",
    "check_credit_balance": ".program.functions",
    "check_credit_balance_output": ".program.functions",
    "evaluate": ".guardrails.rules",
    "get_credit_balance": ".program.functions",
    "get_credit_balance_output": ".program.functions",
    "get_gateways": ".program.billing",
    "get_gateways_output": ".program.billing",
    "get_invoice_preview": ".program.billing",
    "get_invoice_preview_output": ".program.billing",
    "get_usage_history": ".program.functions",
    "get_usage_history_output": ".program.functions",
    "guard": ".program.guard",
    "parse_duration": ".guardrails.rules",
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "AwaitableCheckCreditBalanceResult",
    "AwaitableGetCreditBalanceResult",
    "BillingClient",
    "CfBillingError",
    "CheckCreditBalanceResult",
    "CloudflareErrorDetail",
    "ConfigurationError",
    "CreditBalance",
    "CreditBalanceSnapshot",
    "DeadlineError",
    "GetCreditBalanceResult",
    "GetGatewaysResult",
    "GetInvoicePreviewResult",
    "GetUsageHistoryResult",
    "GuardrailError",
    "InternalError",
    "LiveMocks",
    "NotFoundError",
    "PaymentMethod",
    "PermissionDeniedError",
    "Policy",
    "RateLimitError",
    "ServerError",
    "Settings",
    "TopupConfig",
    "Verdict",
    "Violation",
    "__version__",
    "cents_to_usd",
    "check_credit_balance",
    "check_credit_balance_output",
    "evaluate",
    "get_credit_balance",
    "get_credit_balance_output",
    "get_gateways",
    "get_gateways_output",
    "get_invoice_preview",
    "get_invoice_preview_output",
    "get_usage_history",
    "get_usage_history_output",
    "guard",
    "parse_duration",
]


_PULUMI_MODULES = frozenset(
    {".program.billing", ".program.functions", ".program.guard", ".program.mocks", ".program.resource"}
)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if module in _PULUMI_MODULES:
        from .core.requires import pulumi_problem

        problem = pulumi_problem()
        if problem is not None:
            raise ImportError(f"cannot use pulumi_cfbilling.{name}: {problem}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
