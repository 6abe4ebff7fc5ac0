"""pulumi-cfbilling: watch and guard Cloudflare AI Gateway credits from infrastructure code.

The public face of the package. The Pulumi-facing names (data functions, ``guard``, ``CreditBalanceSnapshot``)
load lazily on first use, so the ``cfbilling`` command and plain client users never pay for importing Pulumi.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .client import BillingClient
from .config import Settings
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    CfBillingError,
    CloudflareErrorDetail,
    ConfigurationError,
    GuardrailError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from .models import CreditBalance, PaymentMethod, TopupConfig, cents_to_usd
from .rules import Policy, Verdict, Violation, evaluate, parse_duration

if TYPE_CHECKING:
    from .functions import (
        AwaitableCheckCreditBalanceResult,
        AwaitableGetCreditBalanceResult,
        CheckCreditBalanceResult,
        GetCreditBalanceResult,
        check_credit_balance,
        check_credit_balance_output,
        get_credit_balance,
        get_credit_balance_output,
    )
    from .guard import guard
    from .resource import CreditBalanceSnapshot

# Name -> module, imported on first access (PEP 562): these modules import pulumi.
_LAZY = {
    "AwaitableCheckCreditBalanceResult": ".functions",
    "AwaitableGetCreditBalanceResult": ".functions",
    "CheckCreditBalanceResult": ".functions",
    "CreditBalanceSnapshot": ".resource",
    "GetCreditBalanceResult": ".functions",
    "check_credit_balance": ".functions",
    "check_credit_balance_output": ".functions",
    "get_credit_balance": ".functions",
    "get_credit_balance_output": ".functions",
    "guard": ".guard",
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
    "GetCreditBalanceResult",
    "GuardrailError",
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
    "guard",
    "parse_duration",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
