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
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the provider to the Terraform that launched it; a person running it gets one line saying so."""
    from ._serve import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE

    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            "terraform-provider-cfbilling: this is a Terraform plugin, started by terraform itself: install it "
            "with `cfbilling terraform install-provider` and run `terraform init`",
            file=sys.stderr,
        )
        return 1
    from ..core.requires import terraform_problem
    from ..core.version import __version__

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
    # Our own process: pydantic's plugins are for the models of a user's program, and looking for them scans every
    # installed distribution's entry points (about 3 ms, more in a large environment). A value set by the user wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from ._provider import CfBillingProvider
    from ._serve import serve

    serve(CfBillingProvider())
    return 0
