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
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tf.iface import DataSource, Provider, ReadDataContext
from tf.schema import Attribute, Schema, TextFormat
from tf.types import Unknown
from tf.utils import Diagnostics

from ..config import TERRAFORM_SOURCE, Settings, choose_account, settings_for, validate_account_id
from ..errors import CfBillingError, ConfigurationError
from ..text import neutralize
from ._schema import Argument, DataSourceSpec, data_sources, provider_arguments

if TYPE_CHECKING:
    from ..cache import BalanceCache
    from ..rules import Policy

__all__ = ["SOURCE_ADDRESS", "CfBillingProvider"]

SOURCE_ADDRESS = TERRAFORM_SOURCE
"""Where Terraform finds the provider: ``source = "pulumi-cfbilling/cfbilling"`` (a mirror or dev_overrides)."""

SURFACE = "terraform-provider"
NO_CREDENTIALS = (
    "no Cloudflare credentials found: set api_token (a token with 'AI Gateway Read') in the provider block, or "
    "CLOUDFLARE_API_TOKEN where terraform runs (or api_key with email, CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL)"
)


def _attribute(argument: Argument) -> Any:
    return Attribute(
        argument.name,
        argument.shape,
        description=argument.description,
        optional=argument.role != "computed",
        computed=argument.role != "optional",
        sensitive=argument.sensitive,
        description_kind=TextFormat.Plain,
    )


def _known(config: Mapping[str, Any]) -> dict[str, Any]:
    """The values set and known at this point (a value from a resource not yet created is unknown)."""
    return {key: value for key, value in config.items() if value is not None and value is not Unknown}


def _error(diags: Diagnostics, error: CfBillingError, attribute: str | None = None) -> None:
    # The library's messages are one line and never hold a credential; server text in them is neutralised.
    message = neutralize(str(error), 2000)
    diags.add_error(message, "", path=[attribute] if attribute else None)


def _check_values(diags: Diagnostics, values: Mapping[str, Any], checks: Mapping[str, Callable[[Any], object]]) -> None:
    for name, check in checks.items():
        if name in values:
            try:
                check(values[name])
            except ConfigurationError as error:
                _error(diags, error, name)


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
                from ..cache import BalanceCache

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
            attributes=[_attribute(argument) for argument in provider_arguments()],
            description="Read and guard Cloudflare AI Gateway credits. Every setting falls back to its "
            "CLOUDFLARE_* environment variable.",
            description_kind=TextFormat.Plain,
        )

    def validate_config(self, diags: Diagnostics, config: Mapping[str, Any]) -> None:
        """Each setting written in the block, alone (the environment is not consulted here)."""
        values = _known(config)
        checks = {
            name: (lambda value, name=name: settings_for(SURFACE, {name: value}, environ={},
                                                         require_credentials=False))
            for name in values
        }
        _check_values(diags, values, checks)

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
            settings = settings_for(SURFACE, _known(config), require_credentials=False)
        except ConfigurationError as error:
            self._problem = error
            return
        if settings.credentials is None:
            self._problem = ConfigurationError(NO_CREDENTIALS)
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
        """The three data sources, one per function of the package schema."""
        return [CreditBalance, CreditCheck, UsageHistory]

    def get_resources(self) -> list[type[Any]]:
        """No resources: the provider only reads."""
        return []


class _Source(DataSource):  # type: ignore[misc]  # tf has no type information
    type_name: str

    @classmethod
    def spec(cls) -> DataSourceSpec:
        """The data source's attributes, translated from the package schema."""
        return data_sources()[cls.type_name]

    def __init__(self, provider: CfBillingProvider) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        """The Terraform type name without the provider prefix."""
        return cls.type_name.removeprefix("cfbilling_")

    @classmethod
    def get_schema(cls) -> Any:
        """The attributes, derived from the package schema's function."""
        return Schema(
            attributes=[_attribute(argument) for argument in cls.spec().arguments],
            description=cls.spec().description,
            description_kind=TextFormat.Plain,
        )

    def validate(self, diags: Diagnostics, type_name: str, config: Mapping[str, Any]) -> None:
        """Plan-time checks of the values written (unknown ones wait for the read)."""
        values = _known(config)
        _check_values(diags, values, {"account_id": lambda value: validate_account_id(value, "account_id")})
        self.check_arguments(diags, values)

    def check_arguments(self, diags: Diagnostics, values: Mapping[str, Any]) -> None:
        """The data source's own arguments; none by default."""

    def read(self, ctx: ReadDataContext, config: Mapping[str, Any]) -> dict[str, Any] | None:
        """Read the account; a failure is one error diagnostic naming it, never a traceback."""
        given = dict(config)
        try:
            settings = self.provider.settings()
            account = choose_account(settings, given.get("account_id"), SURFACE)
            document = self.document(settings, account, given)
        except CfBillingError as error:
            _error(ctx.diagnostics, error)
            return None
        except Exception as error:  # a bug of ours: one diagnostic for people, the traceback for TF_LOG only
            import traceback

            traceback.print_exc()  # go-plugin files the plugin's stderr in Terraform's debug log
            summary = f"cfbilling provider: unexpected {type(error).__name__} reading {self.type_name}: {error}"
            ctx.diagnostics.add_error(neutralize(summary, 2000) + " (please report it, with TF_LOG=debug output)", "")
            return None
        return self.spec().result(document, given)

    def document(self, settings: Settings, account: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The function's camelCase document."""
        raise NotImplementedError


class CreditBalance(_Source):
    """``cfbilling_credit_balance``: every field of the balance, typed."""

    type_name = "cfbilling_credit_balance"

    def document(self, settings: Settings, account: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The balance document."""
        from ..results import balance_result

        return balance_result(self.provider.cache, settings, account)


def _policy(values: Mapping[str, Any]) -> Policy:
    from ..rules import GUARDRAILS, Policy

    names = {g.name for g in GUARDRAILS}
    return Policy.from_values({k: v for k, v in values.items() if k in names}, labels=lambda key: key)


class CreditCheck(_Source):
    """``cfbilling_credit_check``: the guardrails as arguments; ``ok``, ``violations`` and ``runway``."""

    type_name = "cfbilling_credit_check"

    def check_arguments(self, diags: Diagnostics, values: Mapping[str, Any]) -> None:
        """Each guardrail value alone, as its attribute names it."""
        from ..rules import GUARDRAILS

        checks = {g.name: (lambda value, name=g.name: _policy({name: value})) for g in GUARDRAILS}
        _check_values(diags, values, checks)

    def document(self, settings: Settings, account: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The verdict document."""
        from ..results import check_result

        return check_result(self.provider.cache, settings, account, _policy(_known(given)))


def _days(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


class UsageHistory(_Source):
    """``cfbilling_usage_history``: spend per day or hour over the last whole UTC days."""

    type_name = "cfbilling_usage_history"

    def check_arguments(self, diags: Diagnostics, values: Mapping[str, Any]) -> None:
        """``days`` from 1 to 90, ``window`` day or hour."""
        from datetime import datetime, timezone

        from .._validate import validate_window
        from ..runway import window as days_before

        now = datetime.now(timezone.utc)
        checks: dict[str, Callable[[Any], object]] = {
            "days": lambda value: days_before(now, _days(value)),
            "window": validate_window,
        }
        _check_values(diags, values, checks)

    def document(self, settings: Settings, account: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The usage document."""
        from ..results import usage_result

        known = _known(given)
        return usage_result(self.provider.cache, settings, account, _days(known.get("days", 7)),
                            known.get("window", "day"))
