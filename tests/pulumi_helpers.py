"""Helpers for running Pulumi code under the SDK's mocks in the test process."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime.sync_await import _sync_await


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every registered resource; resources named ``pending*`` get no id (unknown in preview)."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.resources.append(args)
        if args.name.startswith("pending"):
            return "", {}
        return args.resource_id or f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], None]:
        return {}, None


class Collector(logging.Handler):
    """Collects what the mock engine logs (pulumi.log.warn and friends)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def warnings(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == logging.WARNING]


def resolve(output: pulumi.Output[Any]) -> Any:
    """The value of an output (``None`` when unknown), waiting for it like the engine would."""
    return _sync_await(output.future())


def is_known(output: pulumi.Output[Any]) -> bool:
    return bool(_sync_await(output.is_known()))


def unknown_output() -> pulumi.Output[str]:
    """An output whose value is unknown, as an id of a resource yet to be created during preview."""
    loop = asyncio.get_event_loop()
    value: asyncio.Future[Any] = loop.create_future()
    known: asyncio.Future[bool] = loop.create_future()
    secret: asyncio.Future[bool] = loop.create_future()
    value.set_result(None)
    known.set_result(False)
    secret.set_result(False)
    return pulumi.Output(set(), value, known, secret)


def serialize(value: Any) -> str:
    """Serialize like the engine does for stack outputs, and return it as text (to search for secrets)."""
    from pulumi.runtime import rpc

    return str(_sync_await(rpc.serialize_properties({"value": value}, {})))
