"""``pulumi-resource-cfbilling``: the provider plugin that serves the same functions to every Pulumi language.

Built on ``pulumi.provider.experimental``: GetPluginInfo, GetSchema (``schema.json``), CheckConfig, Configure,
Invoke of ``cfbilling:index:getCreditBalance`` and ``cfbilling:index:checkCreditBalance``, and Cancel. Bad inputs
come back as check failures; API and configuration errors abort the call with a gRPC status whose message is
the library's one-line error (the experimental servicer would append a Python stack). Blocking HTTP runs in a
thread, off the event loop. Stdout carries only the port line the engine reads; logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import empty_pb2
from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN

from ._version import __version__
from .config import Settings, Source, choose_account, resolve_settings, validate_account_id
from .errors import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    AuthenticationError,
    CfBillingError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from .pulumi_sources import CFBILLING_KEYS, CHECK_TOKEN, GET_TOKEN, PACKAGE

if TYPE_CHECKING:
    from .cache import BalanceCache
    from .rules import Policy

# The engine waits for the port line before anything else: what reading and checking balances needs
# (pydantic, requests) loads on first use, warmed up in a thread right after the port is printed.
_HEAVY_MODULES = (".cache", ".rules")
_SCHEMA_FILE = resources.files(__package__ or "pulumi_cfbilling").joinpath("schema.json")

__all__ = ["CfBillingProvider", "main"]

logger = logging.getLogger("pulumi_cfbilling.plugin")


def _parameters() -> Mapping[str, str]:
    """Guardrail parameters, snake_case -> camelCase (from the rules table)."""
    from .rules import PARAMETERS

    return PARAMETERS


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

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._config_problem: str | None = None
        self._balances: BalanceCache | None = None

    @property
    def _cache(self) -> BalanceCache:
        if self._balances is None:
            from .cache import BalanceCache

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
        for key, value in request.new_inputs.items():
            if _is_unknown(value) or value.value is None or key not in CFBILLING_KEYS.values():
                continue
            setting = next(s for s, k in CFBILLING_KEYS.items() if k == key)
            try:
                resolve_settings(
                    Source("provider", {setting: _plain(value)}, {setting: f"{PACKAGE}:{key}"}),
                    require_credentials=False,
                )
            except ConfigurationError as error:
                failures.append(p.CheckFailure(key, str(error)))
        return p.CheckResponse(inputs=request.new_inputs, failures=failures)

    async def configure(self, request: p.ConfigureRequest) -> p.ConfigureResponse:
        """Read ``cfbilling:config:*`` variables and the (possibly secret) args; never echo a secret."""
        values: dict[str, Any] = {}
        unknown = []
        for setting, key in CFBILLING_KEYS.items():
            arg = request.args.get(key)
            if arg is not None and _is_unknown(arg):
                unknown.append(f"{PACKAGE}:{key}")
            elif arg is not None and arg.value is not None:
                values[setting] = arg.value
            else:
                values[setting] = request.variables.get(f"{PACKAGE}:config:{key}")
        labels = {setting: f"{PACKAGE}:{key}" for setting, key in CFBILLING_KEYS.items()}
        self._settings, self._config_problem = None, None
        if unknown:
            self._config_problem = f"the provider configuration is not known yet ({', '.join(unknown)})"
        else:
            try:
                self._settings = resolve_settings(
                    Source("provider config", values, labels), Source.environment(), require_credentials=False
                )
            except ConfigurationError as error:
                self._config_problem = str(error)
        return p.ConfigureResponse(
            accept_secrets=True, supports_preview=True, accept_resources=False, accept_outputs=False
        )

    async def invoke(self, request: p.InvokeRequest) -> p.InvokeResponse:
        """Serve both functions; a bad input is a check failure, an API error raises a ``CfBillingError``."""
        if request.tok not in (GET_TOKEN, CHECK_TOKEN):
            raise UnknownFunctionError(
                f"unknown function {request.tok!r}: this plugin provides {GET_TOKEN} and {CHECK_TOKEN}"
            )
        failures = [
            p.CheckFailure(key, f"{key} is not known yet; it can be read once its value is known")
            for key, value in request.args.items()
            if _is_unknown(value)
        ]
        if failures:
            return p.InvokeResponse(failures=failures)
        args = {key: _plain(value) for key, value in request.args.items()}
        secret = any(value.contains_secret() for value in request.args.values())
        snake = {camel: name for name, camel in _parameters().items()}
        allowed = {"accountId", *(snake if request.tok == CHECK_TOKEN else ())}
        failures = [
            p.CheckFailure(key, f"unknown input {key!r} for {request.tok}") for key in args if key not in allowed
        ]
        policy, account, problems = self._inputs(args, check=request.tok == CHECK_TOKEN)
        failures.extend(problems)
        if failures:
            return p.InvokeResponse(failures=failures)
        settings = self._configured()
        # accountId, when given, was validated by _inputs; otherwise the provider's default applies.
        how = "set the provider's accountId (cfbilling:accountId) or CLOUDFLARE_ACCOUNT_ID"
        account = choose_account(settings, account, "accountId", how)
        balance = await asyncio.to_thread(self._cache.get, settings, account)
        if policy is None:
            result = balance.to_document()
        else:
            from .rules import evaluate

            result = {"accountId": balance.account_id, **evaluate(balance, policy).to_dict()}
        return p.InvokeResponse(return_value={k: _property(v, secret) for k, v in result.items()})

    def _inputs(self, args: dict[str, Any], *, check: bool) -> tuple[Policy | None, str | None, list[p.CheckFailure]]:
        failures = []
        account = None
        if args.get("accountId") is not None:
            try:
                account = validate_account_id(args["accountId"], "accountId")
            except ConfigurationError as error:
                failures.append(p.CheckFailure("accountId", str(error)))
        policy = None
        if check:
            from .rules import Policy

            parameters = _parameters()
            snake = {camel: name for name, camel in parameters.items()}
            values = {snake[k]: v for k, v in args.items() if k in snake}
            try:
                policy = Policy.from_values(values, labels=parameters.__getitem__)
            except ConfigurationError as error:
                failures.append(p.CheckFailure(_first_parameter(str(error), values), str(error)))
        return policy, account, failures

    def _configured(self) -> Settings:
        if self._config_problem is not None:
            raise ConfigurationError(self._config_problem)
        if self._settings is None:  # Configure was not called: the environment alone
            self._settings = resolve_settings(Source.environment(), require_credentials=False)
        return self._settings

    async def cancel(self) -> None:
        """Nothing to abort: each call is a short request bounded by the configured timeout."""
        logger.info("cancel requested")


def _first_parameter(message: str, values: Mapping[str, Any]) -> str:
    parameters = _parameters()
    return next((parameters[k] for k in values if parameters[k] in message), "")


_STATUS_CODES: tuple[tuple[type[CfBillingError], grpc.StatusCode], ...] = (
    (ConfigurationError, grpc.StatusCode.FAILED_PRECONDITION),
    (AuthenticationError, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDeniedError, grpc.StatusCode.PERMISSION_DENIED),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (RateLimitError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (APITimeoutError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (ServerError, grpc.StatusCode.UNAVAILABLE),
    (APIConnectionError, grpc.StatusCode.UNAVAILABLE),
    # An answer that cannot be trusted (malformed, redirected, out of range): not ours to retry.
    (APIResponseError, grpc.StatusCode.INTERNAL),
)


def _status(error: Exception) -> grpc.StatusCode:
    if isinstance(error, UnknownFunctionError):
        return grpc.StatusCode.INVALID_ARGUMENT
    return next((code for cls, code in _STATUS_CODES if isinstance(error, cls)), grpc.StatusCode.UNKNOWN)


class _Servicer(ProviderServicer):
    """The experimental servicer, with an Invoke that fails with our one-line message instead of a stack."""

    async def Invoke(self, request: provider_pb2.InvokeRequest, context: Any) -> provider_pb2.InvokeResponse:
        try:
            response = await self._provider.invoke(
                p.InvokeRequest(request.tok, PropertyValue.unmarshal_map(request.args))
            )
        except (CfBillingError, UnknownFunctionError) as error:
            failure: Exception = error
        else:
            fields: dict[str, Any] = {
                "return": PropertyValue.marshal_map(response.return_value) if response.return_value else None
            }
            if response.failures:
                fields["failures"] = [
                    provider_pb2.CheckFailure(property=f.property, reason=f.reason) for f in response.failures
                ]
            return provider_pb2.InvokeResponse(**fields)
        logger.info("invoke %s failed: %s", request.tok, failure)
        await context.abort(_status(failure), str(failure))
        raise AssertionError("context.abort returned")  # pragma: no cover - abort always raises

    async def Cancel(self, request: empty_pb2.Empty, context: Any) -> empty_pb2.Empty:
        await self._provider.cancel()
        return empty_pb2.Empty()


_ENGINE_ADDRESS = re.compile(r"^[\w.\-\[\]:]*:\d+$")


def _engine_address(argv: Sequence[str]) -> str:
    # The engine passes flags (--logtostderr, -v=9, --tracing ...) and its address; a language host may put the
    # plugin's folder first. The address is the positional argument that looks like host:port.
    parser = argparse.ArgumentParser(prog="pulumi-resource-cfbilling", add_help=False)
    parser.add_argument("positional", nargs="*")
    known, _ = parser.parse_known_args(list(argv))
    addresses = [a for a in known.positional if _ENGINE_ADDRESS.match(a)]
    if not addresses:
        raise SystemExit(
            "pulumi-resource-cfbilling: the engine address (host:port) is missing; the Pulumi engine starts this plugin"
        )
    return str(addresses[-1])


def _warm_up() -> None:
    for module in _HEAVY_MODULES:
        importlib.import_module(module, __package__)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the plugin: print the port on stdout (and nothing else there), log to stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    engine = _engine_address(args)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="pulumi-resource-cfbilling: %(message)s")

    async def serve() -> None:
        server = grpc.aio.server(options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(
            _Servicer(args, __version__, CfBillingProvider(), engine_address=engine), server
        )
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        threading.Thread(target=_warm_up, name="cfbilling-warm-up", daemon=True).start()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
