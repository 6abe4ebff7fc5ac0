"""The Terraform schema of the provider and its data sources, derived from the Pulumi package schema.

:func:`schema.package_schema` is built from the models, the guardrail table and the runway fields, and the
committed ``schema.json`` is its output (a test keeps them equal). This module translates it (camelCase to
snake_case, Pulumi types to Terraform's type system), so ``schema.json`` and the Terraform provider cannot drift
apart: no attribute is listed here by hand. The provider reads the file shipped in the package, as the Pulumi
plugin does: Terraform starts a provider three times per plan, and building the schema would load pydantic each
time. Values are translated by the same walk (:meth:`Shape.value`), so a document and its schema always agree.

Two choices where Terraform differs: integers are numbers (Terraform has one number type), and a guardrail's
``observed``/``expected`` (any JSON value in Pulumi) are JSON text, since a Terraform list holds one type.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ..core.records import Record
from ..core.settings import CHECK_TOKEN, GET_TOKEN, USAGE_TOKEN, snake
from ..core.text import printable
from ..service.functions import ROUTE_FUNCTIONS

__all__ = ["Argument", "DataSourceSpec", "Shape", "data_sources", "provider_arguments", "shipped_schema", "snake"]


@dataclass(frozen=True)
class Shape:
    """A Terraform type (primitive, list or object), with the Pulumi keys its object attributes come from."""

    kind: str  # "string", "number", "bool", "json" (JSON text of any value), "list", "object"
    element: Shape | None = None
    attributes: Mapping[str, tuple[str, Shape]] = field(default_factory=dict)  # snake name -> (camel key, shape)

    def cty(self) -> Any:
        """The cty type as JSON: ``"string"``, ``["list", ...]``, ``["object", {...}]``."""
        if self.kind == "json":
            return "string"
        if self.kind == "list":
            assert self.element is not None
            return ["list", self.element.cty()]
        if self.kind == "object":
            return ["object", {name: shape.cty() for name, (_, shape) in self.attributes.items()}]
        return self.kind

    def tf_type(self) -> bytes:
        """The cty type as the plugin protocol's JSON bytes (``tf``'s type protocol)."""
        return json.dumps(self.cty(), separators=(",", ":")).encode()

    def encode(self, value: Any) -> Any:
        """``tf``'s type protocol: values are already Terraform values (:meth:`value` made them)."""
        return value

    def decode(self, value: Any) -> Any:
        """``tf``'s type protocol: inputs are read as sent."""
        return value

    def value(self, plain: Any) -> Any:
        """A plain document value (camelCase keys) as this type's Terraform value (snake_case, every key)."""
        if plain is None:
            return None
        if self.kind == "json":
            return json.dumps(plain, sort_keys=True, allow_nan=False)
        if self.kind == "list":
            assert self.element is not None
            return [self.element.value(item) for item in plain]
        if self.kind == "object":
            return {name: shape.value(plain.get(key)) for name, (key, shape) in self.attributes.items()}
        if self.kind == "bool":
            return bool(plain)
        if isinstance(plain, str):
            # Terraform prints values in the plan and `terraform output`: no ESC, BEL or CR from a server may
            # drive the terminal there. JSON documents elsewhere keep the exact text.
            return printable(plain)
        return plain


_PRIMITIVES = {"string": "string", "number": "number", "integer": "number", "boolean": "bool"}


def _shape(prop: Mapping[str, Any], types: Mapping[str, Any]) -> Shape:
    ref = prop.get("$ref", "")
    if ref == "pulumi.json#/Any":
        return Shape("json")
    if ref:
        return _object(types[ref.removeprefix("#/types/")], types)
    if prop.get("type") == "array":
        return Shape("list", element=_shape(prop["items"], types))
    return Shape(_PRIMITIVES[prop["type"]])


def _object(definition: Mapping[str, Any], types: Mapping[str, Any]) -> Shape:
    attributes = {snake(key): (key, _shape(prop, types)) for key, prop in definition["properties"].items()}
    return Shape("object", attributes=attributes)


class Argument(Record):
    """One attribute of a Terraform block: its role (set by the user, computed, or both) and description."""

    name: str
    key: str
    shape: Shape
    description: str
    role: str  # "optional", "computed" or "optional+computed"
    sensitive: bool = False


class DataSourceSpec(Record):
    """A data source: its Terraform type name, the function of the package schema it mirrors, its attributes."""

    type_name: str
    token: str
    description: str
    arguments: tuple[Argument, ...]

    def result(self, document: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
        """The data source's state: every attribute, computed ones from ``document``, arguments as given."""
        state = {}
        for argument in self.arguments:
            if argument.role == "optional":
                state[argument.name] = given.get(argument.name)
            else:
                state[argument.name] = argument.shape.value(document.get(argument.key))
        return state


def _data_source(type_name: str, token: str, package: Mapping[str, Any]) -> DataSourceSpec:
    function = package["functions"][token]
    types = package["types"]
    outputs = function["outputs"]["properties"]
    arguments = []
    for key, prop in function["inputs"]["properties"].items():
        # An input that is also an output (the account id) is given or filled in from the provider.
        role = "optional+computed" if key in outputs else "optional"
        arguments.append(Argument(snake(key), key, _shape(prop, types), prop.get("description", ""), role))
    for key, prop in outputs.items():
        if key not in function["inputs"]["properties"]:
            arguments.append(Argument(snake(key), key, _shape(prop, types), prop.get("description", ""), "computed"))
    return DataSourceSpec(type_name, token, function["description"], tuple(arguments))


def _provider(package: Mapping[str, Any]) -> tuple[Argument, ...]:
    return tuple(
        Argument(snake(key), key, _shape(prop, {}), prop["description"], "optional", bool(prop.get("secret")))
        for key, prop in package["provider"]["inputProperties"].items()
    )


def shipped_schema() -> dict[str, Any]:
    """The package schema as shipped (``pulumi_cfbilling/schema.json``)."""
    text = resources.files("pulumi_cfbilling.service").joinpath("schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def data_sources(package: Mapping[str, Any] | None = None) -> Mapping[str, DataSourceSpec]:
    """The data sources, one per function of ``package`` (default: the shipped schema)."""
    return _shipped_data_sources() if package is None else _data_sources(package)


@functools.cache
def _shipped_data_sources() -> Mapping[str, DataSourceSpec]:
    return _data_sources(shipped_schema())


def _data_sources(package: Mapping[str, Any]) -> Mapping[str, DataSourceSpec]:
    return {
        spec.type_name: spec
        for spec in (
            _data_source("cfbilling_credit_balance", GET_TOKEN, package),
            _data_source("cfbilling_credit_check", CHECK_TOKEN, package),
            _data_source("cfbilling_usage_history", USAGE_TOKEN, package),
            *(_data_source(f.terraform, f.token, package) for f in ROUTE_FUNCTIONS),
        )
    }


def provider_arguments(package: Mapping[str, Any] | None = None) -> tuple[Argument, ...]:
    """The provider block's attributes: the plugin's settings, secrets sensitive."""
    return _provider(shipped_schema() if package is None else package)
