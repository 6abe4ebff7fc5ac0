"""``cfbilling schema``: print the Pulumi package schema (``schema.json``) or the check report's JSON Schema."""

from __future__ import annotations

import argparse
import sys

from ..service.report_schema import check_report_schema_json
from ..service.schema import schema_json

__all__ = ["schema"]


def schema(args: argparse.Namespace) -> int:
    """Write the schema to stdout exactly as the shipped file holds it."""
    sys.stdout.write(check_report_schema_json() if args.check_report else schema_json())
    return 0
