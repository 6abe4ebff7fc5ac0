"""A stand-in for pulumi-cloudflare's provider plugin: just enough of it for a plan that holds an AI gateway.

The Go module proxy serves no version of ``github.com/pulumi/pulumi-cloudflare/provider/v6`` (nor ``/v5``, nor
``sdk/v6``: every list and version asked for answers 403), so the real provider cannot be built here. This plugin
serves the one resource the gateway policy reads, ``cloudflare:index/aiGateway:AiGateway``, with the input names
pulumi-cloudflare v6 gives it (``accountId``, ``aiGatewayId``, ``byokOnly``, ``workersAiBillingMode``,
``spendLimits``): its schema (for Pulumi YAML), ``Check`` (inputs as given) and ``Create`` (outputs as inputs). It
never talks to Cloudflare. The policy pack then sees the planned inputs exactly as the engine hands them to
CrossGuard, which is what the e2e test proves; the property names are pulumi-cloudflare's, checked by hand against
its v6 SDK.

Run as ``python standin.py`` (the engine's arguments are ignored): it prints its port, as plugins do.
"""

from __future__ import annotations

import json
import sys
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

GATEWAY = "cloudflare:index/aiGateway:AiGateway"
ANY = {"$ref": "pulumi.json#/Any"}
INPUTS = {
    "accountId": {"type": "string"},
    "aiGatewayId": {"type": "string"},
    "byokOnly": {"type": "boolean"},
    "workersAiBillingMode": {"type": "string"},
    "spendLimits": ANY,
    "cacheInvalidateOnUpdate": {"type": "boolean"},
    "collectLogs": {"type": "boolean"},
}
SCHEMA = {
    "name": "cloudflare",
    "version": "6.0.0",
    "resources": {GATEWAY: {"inputProperties": INPUTS, "properties": INPUTS, "requiredInputs": ["accountId"]}},
}


class Standin(provider_pb2_grpc.ResourceProviderServicer):  # type: ignore[misc]
    """The provider methods a preview and an up of one gateway call."""

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version="6.0.0")

    def GetSchema(self, request: Any, context: Any) -> Any:
        return provider_pb2.GetSchemaResponse(schema=json.dumps(SCHEMA))

    def CheckConfig(self, request: Any, context: Any) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> Any:
        return provider_pb2.DiffResponse()

    def Configure(self, request: Any, context: Any) -> Any:
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=False)

    def Check(self, request: Any, context: Any) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> Any:
        return provider_pb2.DiffResponse()

    def Create(self, request: Any, context: Any) -> Any:
        return provider_pb2.CreateResponse(id="standin", properties=request.properties)

    def Delete(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(Standin(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
