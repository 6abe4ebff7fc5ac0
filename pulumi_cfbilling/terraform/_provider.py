"""The ``cfbilling`` Terraform provider on the ``tf`` framework: its block, plan-time checks and data sources.

Settings come from the provider block, then the environment (the ``terraform-provider`` row of
:data:`config.SURFACES`). Everything the user wrote is checked at validation time, so ``terraform validate`` and
``plan`` stop on a bad account id, base URL or guardrail with the library's one-line message on the attribute,
before any request. A read that fails is an error diagnostic naming the account; a failed guardrail is data
(``ok = false``), so a ``check`` or ``precondition`` block shows the message.

Terraform starts the provider three times per plan (schema, validation, plan): the client, pydantic and the
rules load only in the calls that need them, so a start that only serves the schema stays short.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tf.iface import Provider
from tf.schema import Schema, TextFormat
from tf.types import Unknown
from tf.utils import Diagnostics

from ..core.errors import ConfigurationError
from ..core.settings import TERRAFORM_SOURCE, Settings, no_credentials, settings_for
from ._common import SURFACE, attribute, check_values, known
from ._schema import provider_arguments

if TYPE_CHECKING:
    from ..service.cache import BalanceCache

__all__ = ["SOURCE_ADDRESS", "CfBillingProvider"]

SOURCE_ADDRESS = TERRAFORM_SOURCE
"""Where Terraform finds the provider: ``source = "pulumi-cfbilling/cfbilling"`` (a mirror or dev_overrides)."""


class CfBillingProvider(Provider):  # type: ignore[misc]  # tf has no type information
    """The provider: its block's schema and validation, the shared settings, cache and data sources."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None
        self._problem: ConfigurationError | None = None
        self._cache: BalanceCache | None = None

    @property
    def cache(self) -> BalanceCache:
        """One cache per provider process: one request per account and route for a whole plan."""
        with self._lock:
            if self._cache is None:
                from ..service.cache import BalanceCache

                self._cache = BalanceCache()
            return self._cache

    def get_model_prefix(self) -> str:
        """Data source names start with ``cfbilling_``."""
        return "cfbilling_"

    def full_name(self) -> str:
        """The provider's source address."""
        return SOURCE_ADDRESS

    def get_provider_schema(self, diags: Diagnostics) -> Any:
        """The provider block: the plugin's settings, credentials sensitive."""
        return Schema(
            attributes=[attribute(argument) for argument in provider_arguments()],
            description="Read and guard Cloudflare AI Gateway credits. Every setting falls back to its "
            "CLOUDFLARE_* environment variable.",
            description_kind=TextFormat.Plain,
        )

    def validate_config(self, diags: Diagnostics, config: Mapping[str, Any]) -> None:
        """Each setting written in the block, alone (the environment is not consulted here)."""
        values = known(config)
        checks = {
            name: (lambda value, name=name: settings_for(SURFACE, {name: value}, environ={}, require_credentials=False))
            for name in values
        }
        check_values(diags, values, checks)

    def configure_provider(self, diags: Diagnostics, config: Mapping[str, Any]) -> None:
        """Resolve the block and the environment.

        A problem is kept and reported by the first read that needs it, so a plan that reads nothing never fails
        on the environment.
        """
        with self._lock:
            self._resolve(config)

    def _resolve(self, config: Mapping[str, Any]) -> None:
        self._settings, self._problem = None, None
        unknown = sorted(key for key, value in config.items() if value is Unknown)
        if unknown:
            self._problem = ConfigurationError(
                f"the provider configuration is not known yet ({', '.join(unknown)}): set it from values known at "
                "plan time"
            )
            return
        try:
            settings = settings_for(SURFACE, known(config), require_credentials=False)
        except ConfigurationError as error:
            self._problem = error
            return
        if settings.credentials is None:
            self._problem = ConfigurationError(no_credentials(SURFACE))
        else:
            self._settings = settings

    def settings(self) -> Settings:
        """The configured settings, or the configuration problem as an error."""
        with self._lock:
            if self._settings is None and self._problem is None:  # not configured: the environment alone
                self._resolve({})
            if self._problem is not None:
                raise self._problem
            assert self._settings is not None  # _resolve sets one or the other
            return self._settings

    def get_data_sources(self) -> list[type[Any]]:
        """The data sources, one per function of the package schema."""
        from ._sources import CreditBalance, CreditCheck, UsageHistory, route_sources

        return [CreditBalance, CreditCheck, UsageHistory, *route_sources()]

    def get_resources(self) -> list[type[Any]]:
        """No resources: the provider only reads."""
        return []
