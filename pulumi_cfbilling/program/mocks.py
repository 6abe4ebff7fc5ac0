"""Unit tests of Pulumi programs: how the package's functions behave under ``pulumi.runtime.set_mocks``.

Under mocks, the data functions (``get_credit_balance``, ``check_credit_balance``, ``get_usage_history`` and their
``_output`` forms) and ``guard()`` ask the mocks, as the invokes of generated SDKs do: ``Mocks.call`` receives
``MockCallArgs(token, args)`` with the function's token (``cfbilling:index:getCreditBalance``,
``cfbilling:index:checkCreditBalance``, ``cfbilling:index:getUsageHistory``) and the call's arguments under their
camelCase names (``accountId``, ``minBalanceUsd``, ``days``), and returns the function's document (the shape of
``schema.json``'s outputs). Nothing is sent to Cloudflare with whatever credentials happen to be around.

To stub a function, return its document from your mocks' ``call``. To read a real endpoint instead (the local
emulator, in a test of the wiring), wrap your mocks in :class:`LiveMocks`: it answers the package's functions with
a live read through the same service every surface uses, settings from the program's config and environment.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.runtime

from ..core.settings import CHECK_TOKEN, GET_TOKEN, USAGE_TOKEN
from ..core.values import read_day_count, read_window
from ..guardrails.rules import GUARDRAILS, read_policy
from ..service.documents import function_document
from ..service.functions import ROUTE_FUNCTIONS, route_function
from ..service.reader import Ask, Service
from .boundary import program_settings, run_cache

__all__ = ["FUNCTIONS", "LiveMocks", "live_document"]

FUNCTIONS = frozenset({GET_TOKEN, CHECK_TOKEN, USAGE_TOKEN, *(f.token for f in ROUTE_FUNCTIONS)})
"""The tokens the package's functions ask the mocks about."""


def live_document(token: str, args: dict[str, Any]) -> dict[str, Any]:
    """The document the function ``token`` answers for ``args`` (camelCase), read live as a program reads it.

    Values are read by the same parsers as everywhere; a failure raises the ``CfBillingError`` that explains it.
    """
    if token == CHECK_TOKEN:
        ask = Ask(read_policy({g.name: args.get(g.camel) for g in GUARDRAILS}, "program"))
    elif token == USAGE_TOKEN:
        days = read_day_count(args.get("days", 7), "days")
        hourly = read_window(args.get("window", "day"), "window") == "hour"
        ask = Ask(usage_days=days, usage_window="hour" if hourly else "day")
    elif token == GET_TOKEN:
        ask = Ask()
    elif (function := route_function(token)) is not None:
        ask = function.ask
    else:
        raise ValueError(f"{token} is not a function of this package")
    result = Service(program_settings(), run_cache()).read(args.get("accountId"), ask).unwrap()
    return function_document(token, result)


class LiveMocks(pulumi.runtime.Mocks):
    """Mocks that answer the package's functions with live reads and hand everything else to ``mocks``.

    Example::

        pulumi.runtime.set_mocks(LiveMocks(MyMocks()))   # the balance comes from CLOUDFLARE_BASE_URL's emulator
    """

    def __init__(self, mocks: pulumi.runtime.Mocks | None = None) -> None:
        self._mocks = mocks

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        """Your mocks' resources, or an id from the name and the inputs as outputs."""
        if self._mocks is not None:
            return self._mocks.new_resource(args)
        return args.resource_id or f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        """A live read for the package's functions; your mocks' answer for any other invoke."""
        if args.token in FUNCTIONS:
            return live_document(args.token, dict(args.args)), None
        if self._mocks is not None:
            answer = self._mocks.call(args)
            return (answer, None) if isinstance(answer, dict) else answer
        return {}, None
