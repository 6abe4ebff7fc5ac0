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
from tf.types import Unknown
from tf.utils import Diagnostics

from ..core.errors import CfBillingError, ConfigurationError
from ..core.settings import Settings
from ..core.text import neutralize
from ..core.values import read_account_id, read_day_count, read_window
from ._common import SURFACE, attribute, check_values, known, report
from ._schema import DataSourceSpec, data_sources

if TYPE_CHECKING:
    from ..service.cache import BalanceCache
    from ..service.reader import Ask

__all__ = ["CreditBalance", "CreditCheck", "UsageHistory", "route_sources"]


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
        check_values(diags, values, {"account_id": lambda value: read_account_id(value, "account_id")})
        self.check_arguments(diags, values)

    def check_arguments(self, diags: Diagnostics, values: Mapping[str, Any]) -> None:
        """The data source's own arguments; none by default."""

    def read(self, ctx: ReadDataContext, config: Mapping[str, Any]) -> dict[str, Any] | None:
        """Read the account; a failure is one error diagnostic naming it, never a traceback."""
        given = known(config)
        try:
            from ..service.documents import function_document
            from ..service.reader import Service

            service = Service(self.provider.settings(), self.provider.cache)
            result = service.read(given.get("account_id"), self.ask(given)).unwrap()
            document = function_document(self.spec().token, result)
        except CfBillingError as error:
            report(ctx.diagnostics, error)
            return None
        except Exception as error:  # a bug of ours: one diagnostic for people, the traceback for TF_LOG only
            import traceback

            traceback.print_exc()  # go-plugin files the plugin's stderr in Terraform's debug log
            summary = f"cfbilling provider: unexpected {type(error).__name__} reading {self.type_name}: {error}"
            ctx.diagnostics.add_error(neutralize(summary, 2000) + " (please report it, with TF_LOG=debug output)", "")
            return None
        return self.spec().result(document, dict(config))

    def ask(self, given: Mapping[str, Any]) -> Ask:
        """What to read and judge, from the data source's arguments (checked already at validation)."""
        from ..service.reader import Ask

        return Ask()


class CreditBalance(_Source):
    """``cfbilling_credit_balance``: every field of the balance, typed."""

    type_name = "cfbilling_credit_balance"


def _policy(values: Mapping[str, Any]) -> Ask:
    from ..guardrails.rules import GUARDRAILS, read_policy
    from ..service.reader import Ask

    names = {g.name for g in GUARDRAILS}
    return Ask(read_policy({k: v for k, v in values.items() if k in names}, SURFACE))


class CreditCheck(_Source):
    """``cfbilling_credit_check``: the guardrails as arguments; ``ok``, ``violations`` and ``runway``."""

    type_name = "cfbilling_credit_check"

    def validate(self, diags: Diagnostics, type_name: str, config: Mapping[str, Any]) -> None:
        """Each guardrail value alone, as its attribute names it; then that the check has one at all."""
        super().validate(diags, type_name, config)
        from ..guardrails.rules import GUARDRAILS, no_guardrail, read_policy

        # A guardrail still unknown at plan time may switch one on: judge emptiness only when all are known.
        if any(config.get(g.name) is Unknown for g in GUARDRAILS):
            return
        values = known(config)
        try:
            empty = read_policy({g.name: values.get(g.name) for g in GUARDRAILS}, SURFACE, require=False).is_empty
        except ConfigurationError:
            return  # a bad value, reported on its attribute by check_arguments
        if empty:
            report(diags, ConfigurationError(no_guardrail(SURFACE)))

    def check_arguments(self, diags: Diagnostics, values: Mapping[str, Any]) -> None:
        """Each guardrail value alone, as its attribute names it."""
        from ..guardrails.rules import GUARDRAILS, read_policy

        checks = {g.name: (lambda value, name=g.name: read_policy({name: value}, SURFACE, require=False))
                  for g in GUARDRAILS}  # fmt: skip
        check_values(diags, values, checks)

    def ask(self, given: Mapping[str, Any]) -> Ask:
        """The verdict of the guardrails given."""
        return _policy(given)


class UsageHistory(_Source):
    """``cfbilling_usage_history``: spend per day or hour over the last whole UTC days."""

    type_name = "cfbilling_usage_history"

    def check_arguments(self, diags: Diagnostics, values: Mapping[str, Any]) -> None:
        """``days`` from 1 to 90, ``window`` day or hour."""
        checks: dict[str, Callable[[Any], object]] = {
            "days": lambda value: read_day_count(value, "days"),
            "window": lambda value: read_window(value, "window"),
        }
        check_values(diags, values, checks)

    def ask(self, given: Mapping[str, Any]) -> Ask:
        """A usage read of ``days`` by ``window``."""
        from ..service.reader import Ask

        window = read_window(given.get("window", "day"), "window")
        days = read_day_count(given.get("days", 7), "days")
        return Ask(usage_days=days, usage_window="hour" if window == "hour" else "day")


def route_sources() -> list[type[_Source]]:
    """One data source per route function (``cfbilling_gateways``, ``cfbilling_invoice_preview``), from its row."""
    from ..service.functions import ROUTE_FUNCTIONS

    def source(type_name: str, doc: str) -> type[_Source]:
        def ask(self: _Source, given: Mapping[str, Any]) -> Ask:
            from ..service.functions import route_function

            function = route_function(self.spec().token)
            assert function is not None  # a row of the table, by construction
            return function.ask

        return type(type_name, (_Source,), {"type_name": type_name, "__doc__": doc, "ask": ask})

    return [source(f.terraform, f"``{f.terraform}``: {f.description}") for f in ROUTE_FUNCTIONS]
