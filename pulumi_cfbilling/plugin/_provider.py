"""The cfbilling provider: configuration (``cfbilling:*``, then the environment) and the two functions.

Bad inputs come back as check failures; API and configuration errors raise a ``CfBillingError``, which the
server (:mod:`._server`) turns into a gRPC status with the library's one-line message.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from ..core.errors import ConfigurationError
from ..core.settings import (
    CHECK_TOKEN,
    GET_TOKEN,
    GUARD_TOKEN,
    PACKAGE,
    SETTINGS,
    USAGE_TOKEN,
    Settings,
    settings_for,
)
from ..core.values import read_account_id, read_day_count, read_enforcement, read_window

if TYPE_CHECKING:
    from ..service.cache import BalanceCache
    from ..service.reader import Ask, Result

# The engine waits for the port line before anything else: what reading and checking balances needs
# (pydantic, requests) loads on first use, warmed up in a thread right after the port is printed.
logger = logging.getLogger("pulumi_cfbilling.plugin")
_SCHEMA_FILE = resources.files("pulumi_cfbilling.service").joinpath("schema.json")

__all__ = ["CfBillingProvider", "UnknownFunctionError"]


@functools.cache
def _guard_outputs() -> tuple[str, ...]:
    """The guard's outputs, as its schema names them: read from the shipped file once per process."""
    schema = json.loads(_SCHEMA_FILE.read_text("utf-8"))
    return tuple(schema["functions"][GUARD_TOKEN]["outputs"]["properties"])


def _parameters() -> Mapping[str, str]:
    """Guardrail parameters, snake_case -> camelCase (from the rules table)."""
    from ..guardrails.rules import GUARDRAILS

    return {g.name: g.camel for g in GUARDRAILS}


class UnknownFunctionError(Exception):
    """An Invoke of a token this plugin does not serve."""


def _is_unknown(value: PropertyValue) -> bool:
    # Engines send unknowns as the UNKNOWN sentinel string unless the provider accepts outputs.
    return isinstance(value.value, Computed) or value.value == UNKNOWN


def _plain(value: PropertyValue) -> Any:
    inner = value.value
    if isinstance(inner, Mapping):
        return {k: _plain(v) for k, v in inner.items()}
    if isinstance(inner, tuple):
        return [_plain(v) for v in inner]
    return inner


def _property(value: Any, secret: bool = False) -> PropertyValue:
    """Plain JSON-like data as a PropertyValue; every number becomes a float, as the protocol demands."""
    if isinstance(value, dict):
        return PropertyValue({k: _property(v) for k, v in value.items()}, is_secret=secret)
    if isinstance(value, list):
        return PropertyValue([_property(v) for v in value], is_secret=secret)
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return PropertyValue(value, is_secret=secret)


class CfBillingProvider(p.Provider):
    """The provider: configuration from the ``cfbilling`` namespace (then the environment), two functions."""

    def __init__(self, engine_address: str | None = None) -> None:
        self.engine_address = engine_address
        """The engine's address, for warnings in its output (advisory guards)."""
        self._settings: Settings | None = None
        self._config_problem: str | None = None
        self._balances: BalanceCache | None = None

    @property
    def _cache(self) -> BalanceCache:
        if self._balances is None:
            from ..service.cache import BalanceCache

            self._balances = BalanceCache()
        return self._balances

    async def get_schema(self, request: p.GetSchemaRequest) -> p.GetSchemaResponse:
        """The package schema: the generated ``schema.json`` shipped in the package (a test pins it to the models).

        Read from the file rather than built: a YAML program's host asks for it from a plugin process of its
        own, and building it would import pydantic first.
        """
        return p.GetSchemaResponse(schema=_SCHEMA_FILE.read_text("utf-8"))

    async def check_config(self, request: p.CheckRequest) -> p.CheckResponse:
        """Validate the provider configuration; unknown (computed) values are left for later."""
        failures = []
        names = {row.camel: row.name for row in SETTINGS}
        for key, value in request.new_inputs.items():
            if _is_unknown(value) or value.value is None or key not in names:
                continue
            try:  # this value alone, as the plugin's surface names it; the environment is not consulted here
                settings_for("plugin", {names[key]: _plain(value)}, environ={}, require_credentials=False)
            except ConfigurationError as error:
                failures.append(p.CheckFailure(key, str(error)))
        return p.CheckResponse(inputs=request.new_inputs, failures=failures)

    async def configure(self, request: p.ConfigureRequest) -> p.ConfigureResponse:
        """Read ``cfbilling:config:*`` variables and the (possibly secret) args; never echo a secret."""
        values: dict[str, Any] = {}
        unknown = []
        for row in SETTINGS:
            arg = request.args.get(row.camel)
            if arg is not None and _is_unknown(arg):
                unknown.append(f"{PACKAGE}:{row.camel}")
            elif arg is not None and arg.value is not None:
                values[row.name] = arg.value
            else:
                values[row.name] = request.variables.get(f"{PACKAGE}:config:{row.camel}")
        self._settings, self._config_problem = None, None
        if unknown:
            self._config_problem = f"the provider configuration is not known yet ({', '.join(unknown)})"
        else:
            try:
                self._settings = settings_for("plugin", values, require_credentials=False)
            except ConfigurationError as error:
                self._config_problem = str(error)
        return p.ConfigureResponse(
            accept_secrets=True, supports_preview=True, accept_resources=False, accept_outputs=False
        )

    async def invoke(self, request: p.InvokeRequest) -> p.InvokeResponse:
        """Serve the functions; a bad input is a check failure, an API error raises a ``CfBillingError``."""
        from ..service.functions import ROUTE_FUNCTIONS  # the table only: no model loads with it

        tokens = (GET_TOKEN, CHECK_TOKEN, USAGE_TOKEN, GUARD_TOKEN, *(function.token for function in ROUTE_FUNCTIONS))
        if request.tok not in tokens:
            raise UnknownFunctionError(
                f"unknown function {request.tok!r}: this plugin provides {', '.join(tokens[:-1])} and {tokens[-1]}"
            )
        unknown = [key for key, value in request.args.items() if _is_unknown(value)]
        if unknown and request.tok == GUARD_TOKEN:
            # A preview with the account or a guardrail not known yet: the guard judges at up, when they are. Its
            # outputs are unknown meanwhile, as a resource's are, so nothing downstream reads a verdict not made.
            logger.info("guard: %s not known yet; judged when known", ", ".join(unknown))
            # The engine's unknown sentinel: the protocol has no other way for a plugin that does not accept outputs.
            return p.InvokeResponse(return_value={key: PropertyValue(UNKNOWN) for key in _guard_outputs()})
        failures = [
            p.CheckFailure(key, f"{key} is not known yet; it can be read once its value is known") for key in unknown
        ]
        if failures:
            return p.InvokeResponse(failures=failures)
        args = {key: _plain(value) for key, value in request.args.items()}
        secret = any(value.contains_secret() for value in request.args.values())
        snake = {camel: name for name, camel in _parameters().items()}
        allowed = {"accountId", *(snake if request.tok in (CHECK_TOKEN, GUARD_TOKEN) else ())}
        allowed |= {"days", "window"} if request.tok == USAGE_TOKEN else set()
        allowed |= {"enforcement"} if request.tok == GUARD_TOKEN else set()
        failures = [
            p.CheckFailure(key, f"unknown input {key!r} for {request.tok}") for key in args if key not in allowed
        ]
        ask, account, problems = self._inputs(request.tok, args)
        failures.extend(problems)
        if failures or ask is None:
            return p.InvokeResponse(failures=failures)
        from ..service.documents import function_document  # loaded on first use (see above)
        from ..service.reader import Service

        service = Service(self._configured(), self._cache)
        read = await asyncio.to_thread(service.read, account, ask)
        if request.tok == GUARD_TOKEN:
            document = await self._guard(read, read_enforcement(args.get("enforcement", "mandatory")))
        else:
            document = function_document(request.tok, read.unwrap())
        return p.InvokeResponse(return_value={k: _property(v, secret) for k, v in document.items()})

    async def _guard(self, result: Result, enforcement: str) -> dict[str, Any]:
        """Python's ``guard()`` for every language, with the same one-line messages.

        Mandatory raises (the invoke fails and the engine stops); advisory warns through the engine and goes on.
        """
        from ..core.errors import GuardrailError
        from ..service.documents import guard_document

        verdict = result.verdict
        if enforcement == "mandatory":
            if result.error is not None:
                raise result.error
            if verdict is not None and not verdict.ok:
                raise GuardrailError(result.ref.account_id, verdict)
        elif result.error is not None:
            await self._warn(f"cfbilling guard (advisory): {result.error}")
        else:
            for violation in verdict.violations if verdict else ():
                account = result.ref.account_id
                await self._warn(
                    f"cfbilling guard (advisory): account {account}: {violation.message} [{violation.rule}]"
                )
        return guard_document(result, enforcement)

    async def _warn(self, message: str) -> None:
        """A warning in the engine's output (the program's diagnostics), as ``pulumi.log.warn`` gives Python."""
        if self.engine_address is None:
            logger.warning("%s", message)
            return
        import grpc
        from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

        try:
            async with grpc.aio.insecure_channel(self.engine_address) as channel:
                request = engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn="")
                # The stubs type the synchronous channel; this one is asyncio's.
                await engine_pb2_grpc.EngineStub(channel).Log(request, timeout=10)  # type: ignore[misc]
        except grpc.RpcError:  # no engine to tell (a test harness): stderr, which the engine's log keeps
            logger.warning("%s", message)

    def _inputs(self, token: str, args: dict[str, Any]) -> tuple[Ask | None, str | None, list[p.CheckFailure]]:
        """The function's arguments read as on every surface; each bad one is a check failure on its key."""
        from ..guardrails.rules import GUARDRAILS, read_policy
        from ..service.functions import route_function
        from ..service.reader import Ask

        failures = []
        account = None
        if args.get("accountId") is not None:
            try:
                account = read_account_id(args["accountId"], "accountId")
            except ConfigurationError as error:
                failures.append(p.CheckFailure("accountId", str(error)))
        ask = None
        try:
            if token == CHECK_TOKEN:
                camel = {g.camel: g.name for g in GUARDRAILS}
                ask = Ask(read_policy({camel[k]: v for k, v in args.items() if k in camel}, "plugin"))
            elif token == USAGE_TOKEN:
                days = read_day_count(args.get("days", 7), "days")
                window = read_window(args.get("window", "day"), "window")
                ask = Ask(usage_days=days, usage_window="hour" if window == "hour" else "day")
            elif token == GUARD_TOKEN:
                camel = {g.camel: g.name for g in GUARDRAILS}
                ask = Ask(read_policy({camel[k]: v for k, v in args.items() if k in camel}, "plugin"))
                read_enforcement(args.get("enforcement", "mandatory"))
            elif (function := route_function(token)) is not None:
                ask = function.ask
            else:
                ask = Ask()
        except ConfigurationError as error:
            failures.append(p.CheckFailure(_first_parameter(str(error), args), str(error)))
        return ask, account, failures

    def _configured(self) -> Settings:
        if self._config_problem is not None:
            raise ConfigurationError(self._config_problem)
        if self._settings is None:  # Configure was not called: the environment alone
            self._settings = settings_for("plugin", require_credentials=False)
        return self._settings

    async def cancel(self) -> None:
        """Nothing to abort: each call is a short request bounded by the configured timeout."""
        logger.info("cancel requested")


def _first_parameter(message: str, values: Mapping[str, Any]) -> str:
    """The argument a message is about (messages start with its name), for the check failure's property."""
    return next((key for key in values if message.startswith(f"{key} ")), "")
