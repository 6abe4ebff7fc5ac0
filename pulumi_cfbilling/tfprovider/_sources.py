"""The data sources: ``cfbilling_credit_balance``, ``cfbilling_credit_check`` and ``cfbilling_usage_history``.

Each one's attributes come from the package schema (:mod:`._schema`); it checks what the user wrote at
validation time, reads through the provider's settings and cache, and turns every failure into one error
diagnostic naming the account, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from tf.iface import DataSource, ReadDataContext
from tf.schema import Schema, TextFormat
from tf.utils import Diagnostics

from ..config import Settings, choose_account, validate_account_id
from ..errors import CfBillingError
from ..text import neutralize
from ._common import SURFACE, attribute, check_values, known, report
from ._schema import DataSourceSpec, data_sources

if TYPE_CHECKING:
    from ..cache import BalanceCache
    from ..rules import Policy

__all__ = ["CreditBalance", "CreditCheck", "UsageHistory"]


class Configured(Protocol):
    """What a data source needs of the provider (:class:`._provider.CfBillingProvider`)."""

    @property
    def cache(self) -> BalanceCache:
        """The provider's cache: one request per account and route per plan."""

    def settings(self) -> Settings:
        """The resolved settings, or the configuration problem raised."""


class _Source(DataSource):  # type: ignore[misc]  # tf has no type information
    type_name: str

    @classmethod
    def spec(cls) -> DataSourceSpec:
        """The data source's attributes, translated from the package schema."""
        return data_sources()[cls.type_name]

    def __init__(self, provider: Configured) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        """The Terraform type name without the provider prefix."""
        return cls.type_name.removeprefix("cfbilling_")

    @classmethod
    def get_schema(cls) -> Any:
        """The attributes, derived from the package schema's function."""
        return Schema(
            attributes=[attribute(argument) for argument in cls.spec().arguments],
            description=cls.spec().description,
            description_kind=TextFormat.Plain,
        )

    def validate(self, diags: Diagnostics, type_name: str, config: Mapping[str, Any]) -> None:
        """Plan-time checks of the values written (unknown ones wait for the read)."""
        values = known(config)
        check_values(diags, values, {"account_id": lambda value: validate_account_id(value, "account_id")})
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
            report(ctx.diagnostics, error)
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
        check_values(diags, values, checks)

    def document(self, settings: Settings, account: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The verdict document."""
        from ..results import check_result

        return check_result(self.provider.cache, settings, account, _policy(known(given)))


class UsageHistory(_Source):
    """``cfbilling_usage_history``: spend per day or hour over the last whole UTC days."""

    type_name = "cfbilling_usage_history"

    def check_arguments(self, diags: Diagnostics, values: Mapping[str, Any]) -> None:
        """``days`` from 1 to 90, ``window`` day or hour."""
        from datetime import datetime, timezone

        from .._validate import validate_window
        from ..runway import whole_days
        from ..runway import window as days_before

        now = datetime.now(timezone.utc)
        checks: dict[str, Callable[[Any], object]] = {
            "days": lambda value: days_before(now, whole_days(value)),
            "window": validate_window,
        }
        check_values(diags, values, checks)

    def document(self, settings: Settings, account: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The usage document."""
        from ..results import usage_result

        values = known(given)
        return usage_result(self.provider.cache, settings, account, values.get("days", 7), values.get("window", "day"))
