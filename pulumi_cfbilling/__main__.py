"""``cfbilling`` and ``python -m pulumi_cfbilling``: the command line, with Ctrl-C quiet from the first instruction.

The console script points here rather than at :func:`pulumi_cfbilling.cli.main` because a Ctrl-C that lands
while the CLI's modules are still importing would otherwise print the interpreter's traceback: until the CLI's
own handling is in place, an interrupt exits at once with 130 and one line.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

__all__ = ["main"]


def _interrupted_early(signum: int, frame: FrameType | None) -> None:
    try:
        os.write(2, b"cfbilling: interrupted\n")
    finally:
        os._exit(130)


def main() -> int:
    """Run the ``cfbilling`` command line; returns its exit code."""
    signal.signal(signal.SIGINT, _interrupted_early)
    # Our own process: pydantic's plugins are for the models of a user's program, and looking for them scans every
    # installed distribution's entry points (about 3 ms, more in a large environment). A value set by the user wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from .cli import main as run  # the imports a Ctrl-C may land in

    return run()


if __name__ == "__main__":
    sys.exit(main())
