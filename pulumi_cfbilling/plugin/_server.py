"""The plugin's gRPC server: the experimental servicer with a clean Invoke, and the port handshake.

Blocking HTTP runs in a thread, off the event loop. Stdout carries only the port line the engine reads; logs go
to stderr. What reading and checking balances needs (pydantic, requests) loads on first use, warmed up in a
thread right after the port is printed: the engine waits for that line before anything else.
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
from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from ..core.errors import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    AuthenticationError,
    CfBillingError,
    ConfigurationError,
    GuardrailError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from ..core.version import __version__
from ._provider import CfBillingProvider, UnknownFunctionError

__all__ = ["serve"]

logger = logging.getLogger("pulumi_cfbilling.plugin")

_HEAVY_MODULES = ("pulumi_cfbilling.service.cache", "pulumi_cfbilling.guardrails.rules")


_STATUS_CODES: tuple[tuple[type[CfBillingError], grpc.StatusCode], ...] = (
    (ConfigurationError, grpc.StatusCode.FAILED_PRECONDITION),
    # A mandatory guard that failed: the deployment's preconditions do not hold.
    (GuardrailError, grpc.StatusCode.FAILED_PRECONDITION),
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
        importlib.import_module(module)


def serve(argv: Sequence[str] | None = None) -> None:
    """Serve the plugin: print the port on stdout (and nothing else there), log to stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    engine = _engine_address(args)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="pulumi-resource-cfbilling: %(message)s")

    async def run() -> None:
        server = grpc.aio.server(options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(
            _Servicer(args, __version__, CfBillingProvider(engine), engine_address=engine), server
        )
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        threading.Thread(target=_warm_up, name="cfbilling-warm-up", daemon=True).start()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
