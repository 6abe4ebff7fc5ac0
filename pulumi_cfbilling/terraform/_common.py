"""What the provider and its data sources share: the surface, attributes, known values, our errors as diagnostics.

Attributes are built as ``tf`` wants them; errors land on the attribute they concern.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tf.schema import Attribute, TextFormat
from tf.types import Unknown
from tf.utils import Diagnostics

from ..core.errors import CfBillingError, ConfigurationError
from ..core.text import neutralize
from ._schema import Argument

__all__ = ["SURFACE", "attribute", "check_values", "known", "report"]

SURFACE = "terraform-provider"
"""The provider's row of :data:`config.SURFACES`."""


def attribute(argument: Argument) -> Any:
    return Attribute(
        argument.name,
        argument.shape,
        description=argument.description,
        optional=argument.role != "computed",
        computed=argument.role != "optional",
        sensitive=argument.sensitive,
        description_kind=TextFormat.Plain,
    )


def known(config: Mapping[str, Any]) -> dict[str, Any]:
    """The values set and known at this point (a value from a resource not yet created is unknown)."""
    return {key: value for key, value in config.items() if value is not None and value is not Unknown}


def report(diags: Diagnostics, error: CfBillingError, attribute: str | None = None) -> None:
    # The library's messages are one line and never hold a credential; server text in them is neutralised.
    message = neutralize(str(error), 2000)
    # The detail names the error's kind, as `cfbilling check --format json` does ("type"), for scripts and people.
    diags.add_error(message, _kind(error), path=[attribute] if attribute else None)


def _kind(error: CfBillingError) -> str:
    """``ConfigurationError: nothing was sent to Cloudflare`` or ``PermissionDeniedError (HTTP 403)``."""
    status = getattr(error, "status_code", None)
    if isinstance(error, ConfigurationError):
        return f"{type(error).__name__}: nothing was sent to Cloudflare"
    return f"{type(error).__name__}" + (f" (HTTP {status})" if status else "")


def check_values(diags: Diagnostics, values: Mapping[str, Any], checks: Mapping[str, Callable[[Any], object]]) -> None:
    for name, check in checks.items():
        if name in values:
            try:
                check(values[name])
            except ConfigurationError as error:
                report(diags, error, name)
