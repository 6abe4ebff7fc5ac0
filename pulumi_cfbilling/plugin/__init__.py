"""``pulumi-resource-cfbilling``: the provider plugin that serves the same functions to every Pulumi language.

Built on ``pulumi.provider.experimental``: GetPluginInfo, GetSchema (the packaged ``schema.json``), CheckConfig,
Configure, Invoke of ``cfbilling:index:getCreditBalance`` and ``cfbilling:index:checkCreditBalance``, and Cancel.
This module is the light entry point: it checks the Pulumi extra before importing anything of Pulumi's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..core.requires import pulumi_problem

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the plugin; without a usable Pulumi SDK, say so in one line on stderr and exit 1."""
    problem = pulumi_problem()
    if problem is not None:
        sys.stderr.write(f"pulumi-resource-cfbilling: {problem}\n")
        raise SystemExit(1)
    # Our own process: pydantic's plugins are for the models of a user's program, and looking for them scans every
    # installed distribution's entry points (about 3 ms, more in a large environment). A value set by the user wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from ._server import serve

    serve(argv)
