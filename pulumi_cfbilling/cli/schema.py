"""``cfbilling schema``: print the Pulumi package schema, as generated into ``pulumi_cfbilling/schema.json``."""

from __future__ import annotations

import argparse
import sys

from ..schema import schema_json

__all__ = ["schema"]


def schema(args: argparse.Namespace) -> int:
    """Write the schema to stdout exactly as ``schema.json`` holds it."""
    sys.stdout.write(schema_json())
    return 0
