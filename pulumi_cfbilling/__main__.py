"""``cfbilling`` and ``python -m pulumi_cfbilling``: the command line, with Ctrl-C quiet from the first instruction.

The console script points here rather than at :func:`pulumi_cfbilling.cli.main` because a Ctrl-C that lands
while the CLI's modules are still importing would otherwise print the interpreter's traceback: until the CLI's
own handling is in place, an interrupt exits at once with 130 and one line. And it leaves without the
interpreter's teardown: freeing every module of a finished command costs about 40 ms (a sixth of a cold
``check``) and saves nothing, since every file the command writes is closed by then.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType
from typing import NoReturn

__all__ = ["command_line", "main"]


def _interrupted_early(signum: int, frame: FrameType | None) -> None:
    try:
        os.write(2, b"cfbilling: interrupted\n")
    finally:
        os._exit(130)


def main() -> int:
    """Run the ``cfbilling`` command line; returns its exit code (for programs that run it and go on)."""
    signal.signal(signal.SIGINT, _interrupted_early)
    # Our own process: pydantic's plugins are for the models of a user's program, and looking for them scans every
    # installed distribution's entry points (about 3 ms, more in a large environment). A value set by the user wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from .cli import main as run  # the imports a Ctrl-C may land in

    return run()


def command_line() -> NoReturn:
    """The ``cfbilling`` console script: :func:`main`, then exit at once with its code, output flushed."""
    code = main()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # the reader left (`| head`) as the last lines went out
        from .cli import EXIT_BROKEN_PIPE

        code = EXIT_BROKEN_PIPE
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    # Nothing is left to finish: files are closed where they are written, worker threads have joined, locks are
    # released by their `with` blocks. Skipping the teardown is what the Terraform provider does too.
    os._exit(code)


if __name__ == "__main__":
    command_line()
