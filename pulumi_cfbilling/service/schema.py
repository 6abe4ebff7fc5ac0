"""The Pulumi package schema of ``cfbilling``, generated from the models and the rules (``cfbilling schema``).

Field names, types and descriptions come from :class:`CreditBalance` and its nested models (their pydantic JSON
Schema, plus :data:`models.DERIVED_FIELDS`), the guardrail parameters from :data:`rules.GUARDRAILS`, and
the configuration keys from :data:`core.settings.SETTINGS`: no second, hand-kept list of fields to drift.
The committed ``schema.json`` is this module's output, and a test keeps them equal. No Pulumi import here, so the
CLI stays light.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from ..api.models import DERIVED_FIELDS, CreditBalance
from ..api.usage import BUCKET_KEYS, USAGE_KEYS, USAGE_UNIT
from ..core.settings import (
    CACHED_AGE_DESCRIPTION,
    CACHED_AGE_KEY,
    CHECK_TOKEN,
    GET_TOKEN,
    GUARD_TOKEN,
    PACKAGE,
    SETTINGS,
    USAGE_TOKEN,
)
from ..core.version import __version__
from ..guardrails.rules import GUARDRAILS
from ..guardrails.runway import RUNWAY_FIELDS

__all__ = [
    "CHECK_TOKEN",
    "GET_TOKEN",
    "PACKAGE",
    "PLUGIN_DOWNLOAD_URL",
    "USAGE_TOKEN",
    "package_schema",
    "schema_json",
]

_TYPE_NAMES = {"PaymentMethod": "PaymentMethod", "TopupConfig": "TopupConfig"}
PLUGIN_DOWNLOAD_URL = "github://api.github.com/pulumi-cfbilling/pulumi-cfbilling"
"""The default release location of the plugin tarballs (Pulumi's scheme for a GitHub repository's releases)."""


def _pulumi_property(prop: Mapping[str, Any]) -> dict[str, Any]:
    """A pydantic JSON Schema property as a Pulumi schema property (nullability is carried by ``required``)."""
    options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    (inner,) = options
    if "$ref" in inner:
        name = _TYPE_NAMES[inner["$ref"].rsplit("/", 1)[-1]]
        result: dict[str, Any] = {"$ref": f"#/types/{PACKAGE}:index:{name}"}
    else:
        result = {"type": inner["type"]}
    if "description" in prop:
        result["description"] = prop["description"]
    return result


def _object(schema: Mapping[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    properties = {name: _pulumi_property(prop) for name, prop in schema["properties"].items()}
    nullable = {
        name
        for name, prop in schema["properties"].items()
        if any(p.get("type") == "null" for p in prop.get("anyOf", []))
    }
    result: dict[str, Any] = {"type": "object", "properties": properties}
    needed = required if required is not None else [n for n in properties if n not in nullable]
    if needed:
        result["required"] = sorted(needed)
    return result


def _balance_outputs() -> tuple[dict[str, Any], dict[str, Any]]:
    schema = CreditBalance.model_json_schema(mode="serialization", by_alias=True)
    outputs = _object(schema)
    for derived in DERIVED_FIELDS:
        outputs["properties"][derived.name] = {"type": derived.type, "description": derived.description}
    required = {name for name in outputs["properties"] if name in outputs["required"]}
    required |= {d.name for d in DERIVED_FIELDS if not d.nullable}
    # The account read is always known in outputs, though the API result does not carry it.
    outputs["required"] = sorted({*required, "accountId"})
    outputs["description"] = "The credit balance of one account. Raw amounts are US cents; *Usd values are dollars."
    types = {}
    for name, definition in schema["$defs"].items():
        typed = _object(definition, required=[])
        typed["description"] = definition.get("description", "")
        types[f"{PACKAGE}:index:{_TYPE_NAMES[name]}"] = typed
    return outputs, types


def _violation_type() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "One violated guardrail.",
        "properties": {
            "rule": {"type": "string", "description": f"Rule id: {', '.join(g.rule for g in GUARDRAILS)}."},
            "message": {"type": "string", "description": "What is wrong, in words."},
            "observed": {
                "$ref": "pulumi.json#/Any",
                "description": "The value found: dollars, a bool, a time or text.",
            },
            "expected": {"$ref": "pulumi.json#/Any", "description": "The value the guardrail asks for."},
        },
        "required": ["message", "rule"],
    }


def _runway_type() -> dict[str, Any]:
    properties = {f.key: {"type": f.type, "description": f.description} for f in RUNWAY_FIELDS}
    return {
        "type": "object",
        "description": "How long the credits last at the recent rate of spend (read for the min-runway guardrail).",
        "properties": properties,
        "required": sorted(f.key for f in RUNWAY_FIELDS if not f.nullable),
    }


# Key -> (type, description) of a usage read and of its buckets; the keys themselves come from usage.py.
_USAGE_DOCS: Mapping[str, tuple[str, str]] = {
    "accountId": ("string", "The account read."),
    "window": ("string", "The bucket size: day or hour."),
    "start": ("string", "Start of the range read, ISO-8601 UTC (a UTC midnight)."),
    "end": ("string", "End of the range read: the last UTC midnight, ISO-8601."),
    "totalUsd": ("number", f"Spend over the range, US dollars (raw values taken as {USAGE_UNIT})."),
    "id": ("string", "The bucket's id, as sent."),
    "aggregatedValue": ("number", f"Spend in the bucket, raw as sent (assumed {USAGE_UNIT})."),
    "spendUsd": ("number", "Spend in the bucket, US dollars."),
}


def _usage_function() -> tuple[dict[str, Any], dict[str, Any]]:
    """The getUsageHistory function and its bucket type."""
    bucket_properties = {k: _described(_USAGE_DOCS[k]) for k in BUCKET_KEYS.values()}
    bucket_properties["start"] = _described(("string", "Start of the bucket, ISO-8601 UTC."))
    bucket_properties["end"] = _described(("string", "End of the bucket, ISO-8601 UTC."))
    bucket: dict[str, Any] = {"type": "object", "description": "Spend in one bucket.", "properties": bucket_properties}
    bucket["required"] = sorted(bucket_properties)
    outputs: dict[str, Any] = {k: _described(_USAGE_DOCS[k]) for k in USAGE_KEYS.values() if k != "buckets"}
    outputs["buckets"] = {
        "type": "array",
        "items": {"$ref": f"#/types/{PACKAGE}:index:UsageBucket"},
        "description": "The buckets in the range, oldest first.",
    }
    function = {
        "description": "Read an account's AI Gateway spend per day or hour over the last whole UTC days.",
        "inputs": {
            "type": "object",
            "properties": {
                "accountId": _ACCOUNT_INPUT,
                "days": {"type": "integer", "description": "Whole UTC days before today, 1 to 90 (default 7)."},
                "window": {"type": "string", "description": "Bucket size: day (default) or hour."},
            },
        },
        "outputs": {"type": "object", "properties": outputs, "required": sorted(outputs)},
    }
    return function, bucket


def _fields(fields: Mapping[str, tuple[str, bool, str]]) -> dict[str, Any]:
    """An object type's properties and required keys from a (type, nullable, meaning) table."""
    properties = {key: {"type": kind, "description": meaning} for key, (kind, _, meaning) in fields.items()}
    return {"properties": properties, "required": sorted(k for k, (_, nullable, _) in fields.items() if not nullable)}


def _route_functions(types: dict[str, Any]) -> dict[str, Any]:
    """The route functions (:data:`functions.ROUTE_FUNCTIONS`) and their types, from the routes' field tables."""
    from ..api.gateways import GATEWAY_FIELDS, RULE_FIELDS
    from ..api.invoices import INVOICE_FIELDS
    from ..guardrails.stops import STOP_FIELDS
    from .functions import ROUTE_FUNCTIONS

    ref = f"#/types/{PACKAGE}:index:"
    rule = _fields(RULE_FIELDS)
    types[f"{PACKAGE}:index:SpendLimitRule"] = {"type": "object", "description": "One spend-limit rule.", **rule}
    gateway = _fields(GATEWAY_FIELDS)
    gateway["properties"]["rules"] = {
        "type": "array",
        "items": {"$ref": f"{ref}SpendLimitRule"},
        "description": "The gateway's spend-limit rules, as sent.",
    }
    gateway["required"] = sorted([*gateway["required"], "rules"])
    types[f"{PACKAGE}:index:Gateway"] = {"type": "object", "description": "One AI gateway, for billing.", **gateway}
    stop = _fields({f.key: (f.type, f.nullable, f.description) for f in STOP_FIELDS})
    types[f"{PACKAGE}:index:FirstStop"] = {
        "type": "object",
        "description": "What stops first: the credits (HTTP 402) or a gateway's cost limit (HTTP 429).",
        **stop,
    }
    outputs = {
        "gateways": {
            "type": "object",
            "properties": {
                "accountId": {"type": "string", "description": "The account read."},
                "gateways": {"type": "array", "items": {"$ref": f"{ref}Gateway"}, "description": "Every gateway."},
                "uncapped": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Ids of the gateways that can spend credits with no enabled cost rule.",
                },
                "firstStop": {"$ref": f"{ref}FirstStop", "description": "What stops first; null without a runway."},
                "runway": {"$ref": f"{ref}Runway", "description": "The runway; null when it could not be read."},
            },
            "required": ["accountId", "gateways", "uncapped"],
        },
        "invoice": {"type": "object", **_fields(INVOICE_FIELDS)},
    }
    return {
        function.token: {
            "description": function.description,
            "inputs": {"type": "object", "properties": {"accountId": _ACCOUNT_INPUT}},
            "outputs": outputs[function.command],
        }
        for function in ROUTE_FUNCTIONS
    }


def _described(entry: tuple[str, str]) -> dict[str, str]:
    return {"type": entry[0], "description": entry[1]}


def _settings() -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for row in SETTINGS:  # the settings table: a new row is a new provider setting
        entry: dict[str, Any] = {
            "type": row.type,
            "description": row.description,
            "defaultInfo": {"environment": [row.env]},
        }
        if row.secret:
            entry["secret"] = True
        settings[row.camel] = entry
    return settings


_ACCOUNT_INPUT = {
    "type": "string",
    "description": "Cloudflare account id (32 lowercase hex characters); default: the provider's accountId.",
}


def package_schema() -> dict[str, Any]:
    """The package schema as a dict (draft 2020-12 metaschema of Pulumi packages)."""
    outputs, types = _balance_outputs()
    types[f"{PACKAGE}:index:Violation"] = _violation_type()
    types[f"{PACKAGE}:index:Runway"] = _runway_type()
    usage_function, types[f"{PACKAGE}:index:UsageBucket"] = _usage_function()
    settings = _settings()
    return {
        "name": PACKAGE,
        "displayName": "Cloudflare AI Gateway Billing",
        "version": __version__,
        "description": "Read and guard Cloudflare AI Gateway credits (Unified Billing): balance, payment method and "
        "automatic top-up, from any Pulumi language.",
        "keywords": ["pulumi", "cloudflare", "ai-gateway", "billing", "category/utility", "kind/native"],
        "homepage": "https://github.com/pulumi-cfbilling/pulumi-cfbilling",
        "repository": "https://github.com/pulumi-cfbilling/pulumi-cfbilling",
        "license": "Apache-2.0",
        "publisher": "pulumi-cfbilling",
        # Where the engine downloads the plugin a generated SDK asks for: the project's GitHub releases, whose assets
        # are release/release.py's tarballs. `release.py --plugin-download-url` writes a release's own.
        "pluginDownloadURL": PLUGIN_DOWNLOAD_URL,
        "language": {
            # Not "pulumi_cfbilling": a generated Python SDK must not shadow this package, which Python
            # programs use directly (no plugin needed).
            "python": {"packageName": "pulumi_cfbilling_sdk", "respectSchemaVersion": True},
            # Without it the generated package.json says "${VERSION}" and every invoke fails on the version.
            "nodejs": {"packageName": "@pulumi-cfbilling/cfbilling", "respectSchemaVersion": True},
            "go": {"importBasePath": "github.com/pulumi-cfbilling/pulumi-cfbilling/sdk/go/cfbilling"},
            "csharp": {"rootNamespace": "PulumiCfbilling"},
        },
        "config": {"variables": settings},
        "provider": {
            "description": "The cfbilling provider: reads AI Gateway credit balances with these settings.",
            "type": "object",
            "inputProperties": settings,
        },
        "types": types,
        "functions": _with_cached_age(
            _with_guard(
                {
                    GET_TOKEN: {
                        "description": "Read the AI Gateway credit balance, payment method and automatic top-up "
                        "configuration of a Cloudflare account.",
                        "inputs": {"type": "object", "properties": {"accountId": _ACCOUNT_INPUT}},
                        "outputs": outputs,
                    },
                    USAGE_TOKEN: usage_function,
                    **_route_functions(types),
                    CHECK_TOKEN: {
                        "description": "Evaluate the credit guardrails against an account; returns ok and every "
                        "violation without failing.",
                        "inputs": {
                            "type": "object",
                            "properties": {"accountId": _ACCOUNT_INPUT, **{g.camel: g.json_schema for g in GUARDRAILS}},
                        },
                        "outputs": {
                            "type": "object",
                            "description": "The guardrail verdict.",
                            "properties": {
                                "accountId": {"type": "string", "description": "The account checked."},
                                "ok": {"type": "boolean", "description": "True when every guardrail passes."},
                                "violations": {
                                    "type": "array",
                                    "items": {"$ref": f"#/types/{PACKAGE}:index:Violation"},
                                    "description": "Every violated guardrail, in rule order.",
                                },
                                "runway": {
                                    "$ref": f"#/types/{PACKAGE}:index:Runway",
                                    "description": "The runway, when minRunwayDays asked for it; null otherwise.",
                                },
                                "firstStop": {
                                    "$ref": f"#/types/{PACKAGE}:index:FirstStop",
                                    "description": "What stops first, when a spend-limit guardrail read the gateways "
                                    "and minRunwayDays the runway; null otherwise.",
                                },
                            },
                            "required": ["accountId", "ok", "violations"],
                        },
                    },
                }
            )
        ),
    }


def _guard_function(check: dict[str, Any]) -> dict[str, Any]:
    """``guard``: the check's inputs and outputs, with ``enforcement`` in and ``enforcement`` and ``error`` out."""
    inputs = copy.deepcopy(check["inputs"])
    inputs["properties"]["enforcement"] = {
        "type": "string",
        "description": "mandatory (default): a failed guardrail or an unreadable balance fails the call, so the "
        "deployment stops; advisory: each is a warning and the verdict comes back.",
    }
    outputs = copy.deepcopy(check["outputs"])
    outputs["description"] = "The guardrail verdict of a guard that let the deployment go on."
    outputs["properties"]["enforcement"] = {"type": "string", "description": "mandatory or advisory, as given."}
    outputs["properties"]["error"] = {
        "type": "string",
        "description": "Why the account could not be read (advisory only: a mandatory guard fails instead); null.",
    }
    outputs["required"] = sorted([*outputs["required"], "enforcement"])
    return {
        "description": "Stop a deployment when an account's AI Gateway credits are not in order (Python's guard() "
        "for every language): mandatory fails preview and up with one line naming every violation, also when the "
        "balance cannot be read; advisory warns and goes on.",
        "inputs": inputs,
        "outputs": outputs,
    }


def _with_guard(functions: dict[str, Any]) -> dict[str, Any]:
    """The functions, and ``guard`` derived from ``checkCreditBalance`` (the same inputs and verdict)."""
    return {**functions, GUARD_TOKEN: _guard_function(functions[CHECK_TOKEN])}


def _with_cached_age(functions: dict[str, Any]) -> dict[str, Any]:
    """Every function's outputs say how old the answer is (nullable: not required)."""
    for function in functions.values():
        function["outputs"]["properties"][CACHED_AGE_KEY] = {"type": "number", "description": CACHED_AGE_DESCRIPTION}
    return functions


def schema_json() -> str:
    """The schema as the text of ``schema.json``: stable key order, two-space indent, final newline."""
    return json.dumps(package_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
