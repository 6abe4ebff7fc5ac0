"""The JSON Schema of ``cfbilling check --format json`` (``check_report.schema.json``), derived where it can be.

The shipped file keeps the document's shape; :func:`check_report_schema` rewrites its guardrail parts (the
``policy`` keys, the rule ids) from :data:`rules.GUARDRAILS` and its ``runway`` from :data:`runway.RUNWAY_FIELDS`,
and a test keeps the shipped file equal to the result (``cfbilling schema --check-report`` prints it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from typing import Any, Protocol

from ..core.values import ValueKind
from ..guardrails.rules import GUARDRAILS
from ..guardrails.runway import RUNWAY_FIELDS
from ..guardrails.stops import STOP_FIELDS

__all__ = ["check_report_schema", "check_report_schema_json"]


def _report_type(kind: ValueKind) -> Any:
    """How a guardrail shows in the report's ``policy``: its value, or off (null; false for a flag)."""
    return kind.json_type if kind.off is not None else [kind.json_type, "null"]


def check_report_schema() -> dict[str, Any]:
    """The JSON Schema of ``cfbilling check --format json``, with its guardrail parts derived from the table.

    The shipped ``check_report.schema.json`` is this function's output (a test keeps them equal): the document's
    shape is kept in that file, and the ``policy`` keys and the rule ids are rewritten from
    :data:`rules.GUARDRAILS`, so a new guardrail reaches the report schema without editing it.
    """
    text = resources.files(__package__).joinpath("check_report.schema.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    policy = document["properties"]["policy"]
    policy["required"] = [g.camel for g in GUARDRAILS]
    policy["properties"] = {
        g.camel: {"type": _report_type(g.value_kind), "description": g.description} for g in GUARDRAILS
    }
    document["$defs"]["violation"]["properties"]["rule"] = {"enum": [g.rule for g in GUARDRAILS]}
    document["$defs"]["runway"] = _closed_object(RUNWAY_FIELDS)
    document["$defs"]["firstStop"] = _closed_object(STOP_FIELDS)
    document["$defs"]["account"]["properties"]["firstStop"] = {
        "$ref": "#/$defs/firstStop",
        "description": "What stops first (the credits or a gateway's cost limit), when a spend-limit guardrail read "
        "the gateways and the runway was read too; absent otherwise.",
    }
    return document


class _Field(Protocol):
    """A row of a field table (``RUNWAY_FIELDS``, ``STOP_FIELDS``)."""

    @property
    def key(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def nullable(self) -> bool: ...
    @property
    def description(self) -> str: ...


def _closed_object(fields: Iterable[_Field]) -> dict[str, Any]:
    """A table of fields (the runway's, the first stop's) as a JSON object with every key, a nullable one typed so."""
    listed = list(fields)
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [f.key for f in listed],
        "properties": {
            f.key: {"type": [f.type, "null"] if f.nullable else f.type, "description": f.description} for f in listed
        },
    }


def check_report_schema_json() -> str:
    """The text of ``check_report.schema.json``: two-space indent, final newline, keys in document order."""
    return json.dumps(check_report_schema(), indent=2, ensure_ascii=False) + "\n"
