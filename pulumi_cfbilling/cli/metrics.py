"""``cfbilling metrics``: the accounts in the Prometheus text format, for node_exporter's textfile collector.

Exit codes: 0 every account read, 2 usage or configuration error, 3 an account could not be read (its
``cfbilling_up`` is 0; the others' metrics are written all the same).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..core.errors import ConfigurationError
from ..service.metrics import render
from ..service.reader import Ask
from . import _common as common
from ._report import error_lines

__all__ = ["metrics"]


def metrics(args: argparse.Namespace) -> int:
    """Read every account with its runway and print (or write) the metrics."""
    results = common.read(args, Ask(runway=True))
    text = render(results)
    if args.output:
        _write_whole(Path(args.output), text)
    else:
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
    for line in error_lines(results):
        print(line, file=sys.stderr)
    return common.EXIT_API_ERROR if any(result.error is not None for result in results) else common.EXIT_OK


def _write_whole(path: Path, data: bytes) -> None:
    """A temporary file in the same folder, then renamed: the textfile collector never reads half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(data)
        os.chmod(partial, 0o644)  # node_exporter often runs as another user
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigurationError(f"--output {path}: cannot write it ({exc.strerror or type(exc).__name__})") from None
