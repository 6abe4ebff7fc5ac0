"""``core.records.Record`` behaves as ``typing.NamedTuple`` does: the same class body, built both ways, case by case.

mypy checks every record as a ``typing.NamedTuple`` (``Record`` is one for the type checker), so the run-time class
must not differ in anything a caller can see: construction, errors, accessors, equality, repr, pickling, matching.
"""

from __future__ import annotations

import ast
import copy
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from pulumi_cfbilling.core.records import Record

# One body, built on typing.NamedTuple ("Typed") and on Record ("Ours"), at module level so pickle finds both.
BODY = '''
class {name}({base}):
    """A point with a label."""

    x: int
    y: "int"
    label: str = "origin"
    """The field's docstring, a plain expression Python drops."""
    tags: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """x and y together."""
        return self.x + self.y

    def moved(self, by: int) -> "{name}":
        return self._replace(x=self.x + by)

    def __str__(self) -> str:
        return f"{{self.label}} at {{self.x}},{{self.y}}"
'''
exec(BODY.format(name="Typed", base="NamedTuple"), globals())
exec(BODY.format(name="Ours", base="Record"), globals())
KINDS: list[Any] = [globals()["Typed"], globals()["Ours"]]


def outcome(call: Any) -> Any:
    """What a call gives, with the class names made alike: a value's repr, or the exception's type."""
    try:
        value = call()
    except Exception as error:  # the type is compared, not the wording of Python's own messages
        return ("raises", type(error))
    return ("gives", repr(value).replace("Typed", "X").replace("Ours", "X"))


def both(make: Any) -> tuple[Any, Any]:
    return outcome(lambda: make(KINDS[0])), outcome(lambda: make(KINDS[1]))


CALLS = {
    "all positional": lambda cls: cls(1, 2, "a", ("t",)),
    "defaults": lambda cls: cls(1, 2),
    "keywords": lambda cls: cls(y=2, x=1, tags=("t",)),
    "mixed": lambda cls: cls(1, y=2, label="b"),
    "too many": lambda cls: cls(1, 2, "a", (), 5),
    "missing": lambda cls: cls(1),
    "missing by name": lambda cls: cls(label="a"),
    "unknown keyword": lambda cls: cls(1, 2, z=3),
    "twice": lambda cls: cls(1, 2, x=3),
    "_make": lambda cls: cls._make([1, 2, "a", ()]),
    "_make too short": lambda cls: cls._make([1, 2]),
    "_replace": lambda cls: cls(1, 2)._replace(label="b", y=5),
    "_replace unknown": lambda cls: cls(1, 2)._replace(z=1),
    "_asdict": lambda cls: cls(1, 2)._asdict(),
    "_fields": lambda cls: cls._fields,
    "_field_defaults": lambda cls: cls._field_defaults,
    "__match_args__": lambda cls: cls.__match_args__,
    "attribute": lambda cls: (cls(1, 2).x, cls(1, 2).label),
    "property": lambda cls: cls(1, 2).total,
    "method": lambda cls: cls(1, 2).moved(3),
    "str": lambda cls: str(cls(1, 2)),
    "index and slice": lambda cls: (cls(1, 2)[1], cls(1, 2)[:2], cls(1, 2)[-1]),
    "unpack": lambda cls: tuple(a for a in cls(1, 2)),
    "len": lambda cls: len(cls(1, 2)),
    "equal to a tuple": lambda cls: cls(1, 2) == (1, 2, "origin", ()),
    "hash of a tuple": lambda cls: hash(cls(1, 2)) == hash((1, 2, "origin", ())),
    "ordering": lambda cls: sorted([cls(2, 1), cls(1, 5)]),
    "is a tuple": lambda cls: isinstance(cls(1, 2), tuple),
    "set a field": lambda cls: setattr(cls(1, 2), "x", 5),
    "set another attribute": lambda cls: setattr(cls(1, 2), "other", 5),
    "no __dict__": lambda cls: hasattr(cls(1, 2), "__dict__"),
    "field doc": lambda cls: cls.x.__doc__,
    "class doc": lambda cls: cls.__doc__,
    "property doc": lambda cls: cls.total.__doc__,
    "module": lambda cls: cls.__module__,
    "count and index": lambda cls: (cls(1, 1).count(1), cls(1, 2).index(2)),
    "concatenation": lambda cls: cls(1, 2) + (9,),  # noqa: RUF005 - the operator is what is compared
    "copy": lambda cls: copy.copy(cls(1, 2, "a", ("t",))),
    "deepcopy": lambda cls: copy.deepcopy(cls(1, 2, "a", ("t",))),
    "keyword unpacking": lambda cls: cls(**cls(1, 2)._asdict()),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_record_behaves_as_a_named_tuple(name: str) -> None:
    typed, ours = both(CALLS[name])
    assert ours == typed


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_record_pickles_as_a_named_tuple(protocol: int) -> None:
    for kind in KINDS:
        value = kind(1, 2, "a", ("t",))
        back = pickle.loads(pickle.dumps(value, protocol=protocol))
        assert back == value
        assert type(back) is kind
        assert back.label == "a"


def test_a_record_matches_patterns_as_a_named_tuple() -> None:
    for kind in KINDS:
        match kind(1, 2, "a"):
            case kind(x, y, label=label):  # type: ignore[misc]
                assert (x, y, label) == (1, 2, "a")
            case _:
                pytest.fail("no match")


BODIES = {
    "a default before a required field": "    a: int = 1\n    b: int\n",
    "a field starting with an underscore": "    _a: int\n",
    "no field at all (accepted by both)": "    pass\n",
    "a field named like a tuple method (accepted by both)": "    count: int\n",
    "_replace overridden": "    a: int\n    def _replace(self): ...\n",
    "__slots__ given": "    a: int\n    __slots__ = ('a',)\n",
    "__init__ given": "    a: int\n    def __init__(self): ...\n",
    "__new__ given": "    a: int\n    def __new__(cls): ...\n",
}


@pytest.mark.parametrize("name", list(BODIES))
def test_a_record_accepts_and_refuses_the_bodies_a_named_tuple_does(name: str) -> None:
    refused = []
    for base in ("NamedTuple", "Record"):
        namespace: dict[str, Any] = {"NamedTuple": NamedTuple, "Record": Record, "__name__": "bodies"}
        source = f"class X({base}):\n{BODIES[name]}"
        refused.append(outcome(lambda source=source, namespace=namespace: exec(source, namespace)))
    assert refused[1] == refused[0]


def test_a_record_takes_no_other_base_as_a_named_tuple() -> None:
    for base in (NamedTuple, Record):
        with pytest.raises(TypeError):
            type(base)("X", (base, dict), {"__annotations__": {"a": int}, "__module__": "m"})  # type: ignore[arg-type]


def test_a_subclass_of_a_record_is_a_plain_class_as_for_a_named_tuple() -> None:
    for kind in KINDS:
        sub = type(kind)("Sub", (kind,), {"__module__": __name__, "extra": 1})
        value = sub(1, 2)
        assert value == (1, 2, "origin", ())
        assert value.extra == 1
        assert hasattr(value, "__dict__")  # neither adds __slots__ to a subclass


PACKAGE = Path(__file__).resolve().parent.parent / "pulumi_cfbilling"


def test_every_record_of_the_package_is_a_record() -> None:
    # typing.NamedTuple costs ~0.15 ms a class at import (issue 27): the package's records use the cheap form.
    named_tuples = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef) and any(getattr(base, "id", "") == "NamedTuple" for base in node.bases):
                named_tuples.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert named_tuples == []


def test_a_plain_check_compiles_nothing_at_import() -> None:
    # A class built with compile() or eval() would bring back the cost records avoid: the check path's modules call
    # neither, themselves or through typing and collections (the import system compiling a module's source, when
    # its bytecode is stale, and pydantic's own imports do: those are not ours).
    code = (
        "import builtins, sys\n"
        "callers = []\n"
        "def watch(real):\n"
        "    def call(*args, **kwargs):\n"
        "        frame = sys._getframe(1)\n"
        "        while frame is not None:\n"
        "            name = frame.f_globals.get('__name__', '')\n"
        "            if name.startswith('pulumi_cfbilling'):\n"
        "                callers.append(name)\n"
        "                break\n"
        "            if name not in ('typing', 'collections'):  # whoever asked them to build a class\n"
        "                break\n"
        "            frame = frame.f_back\n"
        "        return real(*args, **kwargs)\n"
        "    return call\n"
        "builtins.compile, builtins.eval = watch(builtins.compile), watch(builtins.eval)\n"
        "import pulumi_cfbilling.cli, pulumi_cfbilling.cli.check, pulumi_cfbilling.api.client\n"
        "print(sorted(set(callers)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
