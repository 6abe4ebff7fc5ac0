"""What the route commands share: read every account with a route function's ask, print text or JSON, exit.

``cfbilling gateways`` and ``cfbilling invoice`` differ only in their text; their JSON is the route function's
document (the same as ``getGateways`` and ``getInvoicePreview`` answer), with the account's label.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ..core.amounts import plain_value
from ..core.settings import CACHED_AGE_KEY
from ..service.functions import route_function
from ..service.reader import EXIT_API_ERROR, EXIT_OK, Result
from . import _common as common
from ._render import error_entries, render_json
from ._report import error_lines

__all__ = ["run"]


def run(args: argparse.Namespace, token: str, text: Callable[[Result], str]) -> int:
    """Read every account for the route function ``token``; unreadable accounts go to stderr and exit 3."""
    function = route_function(token)
    assert function is not None  # the commands pass rows of the table
    results = common.read(args, function.ask)
    reads = [result for result in results if result.error is None]
    failed = [result for result in results if result.error is not None]
    if args.format == "json":
        documents = [
            {**function.document(r), "label": plain_value(r.ref.label), CACHED_AGE_KEY: plain_value(r.cached_age)}
            for r in reads
        ]
        print(render_json(documents, errors=error_entries(failed)))
    elif reads:
        print("\n\n".join(text(result) for result in reads))
    for line in error_lines(failed):
        print(line, file=sys.stderr)
    return EXIT_API_ERROR if failed else EXIT_OK
