"""pulumi-cfbilling: watch and guard Cloudflare AI Gateway credits from infrastructure code.

The public face of the package. Everything here is importable from ``pulumi_cfbilling`` directly.
"""

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
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from .models import CreditBalance, PaymentMethod, TopupConfig, cents_to_usd

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BillingClient",
    "CfBillingError",
    "CloudflareErrorDetail",
    "ConfigurationError",
    "CreditBalance",
    "NotFoundError",
    "PaymentMethod",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "Settings",
    "TopupConfig",
    "__version__",
    "cents_to_usd",
]
