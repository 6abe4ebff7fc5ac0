"""``terraform-provider-cfbilling``: a native Terraform provider, written in Python on the ``tf`` framework.

Terraform starts it (from a filesystem mirror that ``cfbilling terraform install-provider`` lays out, or through
``dev_overrides``) and talks to it over gRPC; people do not run it. Data sources: ``cfbilling_credit_balance``,
``cfbilling_credit_check``, ``cfbilling_usage_history``, ``cfbilling_gateways`` and ``cfbilling_invoice_preview``,
typed from the package schema (:mod:`._schema`). Started by a mirror's launcher, it serves only the version that
launcher was locked with (``CFBILLING_PROVIDER_VERSION``).
Needs Python 3.11+ and the package's ``terraform`` extra (``pip install '<clone or wheel>[terraform]'``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import socket

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the provider to the Terraform that launched it; a person running it gets one line saying so."""
    from ._handshake import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE

    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            "terraform-provider-cfbilling: this is a Terraform plugin, started by terraform itself: install it "
            "with `cfbilling terraform install-provider` and run `terraform init`",
            file=sys.stderr,
        )
        return 1
    from ..core.errors import ConfigurationError
    from ..core.requires import terraform_problem
    from ..core.version import __version__
    from . import _warm

    locked = os.environ.get("CFBILLING_PROVIDER_VERSION")
    if locked is not None and locked != __version__:
        # The lock file pinned the launcher of `locked`; serving another release under it would void the lock.
        print(
            f"terraform-provider-cfbilling: the lock file's provider is {locked}, but pulumi-cfbilling {__version__} "
            f"is what serves it here: install {locked} (pipx install 'pulumi-cfbilling[terraform]=={locked}') and "
            "run cfbilling terraform install-provider from it, or upgrade the lock (terraform init -upgrade)",
            flush=True,
        )
        return 1
    problem = terraform_problem()
    if problem is not None:
        # On stdout: Terraform reads the handshake there, and shows a line it does not recognise as
        # "Unrecognized remote plugin message: <line>", so the user sees why, not just that it failed.
        print(f"terraform-provider-cfbilling: {problem}", flush=True)
        return 1
    try:
        warm = _warm.enabled(os.environ)
    except ConfigurationError as error:
        print(f"terraform-provider-cfbilling: {error}", flush=True)
        return 1
    # Our own process: pydantic's plugins are for the models of a user's program, and looking for them scans every
    # installed distribution's entry points (about 3 ms, more in a large environment). A value set by the user wins.
    # Set before the warm server's socket is chosen: the server is started with this environment.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    path = _warm.socket_path(os.environ) if warm else None
    if path is not None:
        code = _warm.ask(path, os.environ)
        if code is not None:
            return code
        # None up: fork one now, so it loads on the other core while this start loads for itself.
        _warm.fork_server(path, _load_steps(), _serve_child)
    from ._provider import CfBillingProvider
    from ._serve import serve

    serve(CfBillingProvider())
    return 0  # not reached: serving ends the process


# What a start needs, in the order a warm server loads it: the protocol (the plan's next start validates), then what
# a start that reads needs. A module a step, dependencies first, so that no step holds a start up for long.
_LOADS = (
    "pulumi_cfbilling.terraform._serve",
    "grpc._cython.cygrpc",
    "grpc",
    "google.protobuf.descriptor_pool",
    "tf.gen.tfplugin_pb2",
    "tf.provider",
    "tf.gen.tfplugin_pb2_grpc",
    "tf.gen.grpc_controller_pb2_grpc",
    "tf.gen.grpc_stdio_pb2_grpc",
    "pulumi_cfbilling.core.settings",
    "pulumi_cfbilling.terraform._provider",
    "pulumi_cfbilling.terraform._sources",
    "ssl",
    "http.client",
    "email.parser",
    "urllib3.exceptions",
    "urllib3.util",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3",
    "charset_normalizer.md",
    "charset_normalizer",
    "idna",
    "http.cookiejar",
    "requests.utils",
    "requests.models",
    "requests",
    "typing_extensions",
    "annotated_types",
    "pydantic_core.core_schema",
    "pydantic_core",
    "pydantic._internal._typing_extra",
    "pydantic.errors",
    "pydantic.config",
    "pydantic._internal._decorators",
    "pydantic.fields",
    "pydantic.json_schema",
    "pydantic._internal._generate_schema",
    "pydantic.main",
    "pulumi_cfbilling.api.models",
    "pulumi_cfbilling.api.response",
    "pulumi_cfbilling.api.client",
    "pulumi_cfbilling.service.reader",
    "pulumi_cfbilling.service.documents",
    "pulumi_cfbilling.api.usage",
    "pulumi_cfbilling.guardrails.runway",
    "pulumi_cfbilling.service.functions",
    "pulumi_cfbilling.api.gateways",
    "pulumi_cfbilling.guardrails.stops",
    "pulumi_cfbilling.api.invoices",
)


def _load_steps() -> list[Callable[[], object]]:
    import functools
    import importlib

    return [functools.partial(importlib.import_module, name) for name in _LOADS]


def _serve_child(connection: socket.socket) -> None:
    """A forked child's start: serve, and send the start its exit code; exit when the start goes away."""
    import threading

    from ._provider import CfBillingProvider
    from ._serve import serve

    def watch() -> None:
        try:
            connection.recv(1)  # the start sends nothing: this returns when it is gone (killed by Terraform)
        finally:
            os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    serve(CfBillingProvider(), done=lambda: connection.sendall(bytes([0])))
