"""Records: ``typing.NamedTuple`` as the type checker sees it, built at run time without compiling anything.

Every value the package builds in-process (a verdict, a setting, a result, a request budget's wait) is a record::

    class Violation(Record):
        \"\"\"One broken guardrail.\"\"\"

        rule: str
        message: str
        observed: Any = None

For mypy, ``Record`` *is* ``typing.NamedTuple``: fields, defaults, ``_replace``, unpacking and indexing are checked
exactly as for one. At run time it is a base class whose subclasses behave as ``typing.NamedTuple`` classes do
(a ``tuple`` subclass without instance ``__dict__``; positional and keyword construction with defaults; a
read-only property per field; tuple equality, hashing and ordering; the same ``repr``; ``_replace``, ``_asdict``,
``_make``, ``_fields``, ``_field_defaults``, ``__match_args__``; pickling and copying), and refuse what it refuses.
``tests/test_records.py`` holds the two to the same behaviour, case by case. Two things differ, and nothing in
the package reads them: ``inspect.signature`` of a record shows ``(*args, **kwargs)``, and ``__annotations__`` holds
the annotations as written (strings, under postponed annotations) rather than ``ForwardRef`` objects.

Why not ``typing.NamedTuple`` itself (issue 27): it compiles a constructor for every class (``eval``) and a
``ForwardRef`` for every string annotation, and the process's first ``compile()`` builds the interpreter's AST
types. With twenty records on the path of every ``cfbilling check`` that was about 4 ms of a 15 ms import budget;
a record class here costs a few microseconds, since one shared constructor serves them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

__all__ = ["EMPTY", "Record"]

EMPTY: Mapping[str, Any] = MappingProxyType({})
"""The default of a record's mapping field: one object every record shares, so it cannot be changed."""

if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    from keyword import iskeyword
    from operator import itemgetter

    try:  # the C accessor collections.namedtuple uses, with its own fallback
        from _collections import _tuplegetter
    except ImportError:  # pragma: no cover - CPython has it

        def _tuplegetter(index, doc):
            return property(itemgetter(index), doc=doc)

    # What a record's body may not define: typing.NamedTuple refuses the same names.
    _PROHIBITED = frozenset(
        {
            "__new__",
            "__init__",
            "__slots__",
            "__getnewargs__",
            "_fields",
            "_field_defaults",
            "_make",
            "_replace",
            "_asdict",
            "_source",
        }
    )

    def _check_name(name):
        if not name.isidentifier() or iskeyword(name):
            raise ValueError(f"Type names and field names must be valid identifiers: {name!r}")
        if name.startswith("_"):
            raise ValueError(f"Field names cannot start with an underscore: {name!r}")

    class _RecordType(type):
        """Makes each ``Record`` subclass a named tuple: its annotations are its fields, in order."""

        def __new__(mcls, name, bases, namespace):
            if bases == (tuple,) or Record not in bases:  # Record itself, or a subclass of a record (a plain class)
                return super().__new__(mcls, name, bases, namespace)
            if bases != (Record,):
                raise TypeError("a record inherits from Record only")
            fields = tuple(namespace.get("__annotations__", {}))
            defaults = {}
            for field in fields:
                _check_name(field)
                if field in namespace:
                    defaults[field] = namespace[field]
                elif defaults:
                    following = ", ".join(defaults)
                    plural = "s" if len(defaults) > 1 else ""
                    raise TypeError(
                        f"Non-default namedtuple field {field} cannot follow default field{plural} {following}"
                    )
            for key in namespace:
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
            body = {key: value for key, value in namespace.items() if key not in defaults}
            body.setdefault("__doc__", f"{name}({', '.join(fields)})")
            body.update(__slots__=(), _fields=fields, _field_defaults=defaults, __match_args__=fields)
            for index, field in enumerate(fields):
                body[field] = _tuplegetter(index, f"Alias for field number {index}")
            return super().__new__(mcls, name, bases, body)

    class Record(tuple, metaclass=_RecordType):
        """Base of the package's records: see the module's docstring."""

        __slots__ = ()

        def __new__(cls, *args, **kwargs):
            """Build a record from its fields' values, by position or by name; a field left out takes its default."""
            if not kwargs and len(args) == len(cls._fields):
                return tuple.__new__(cls, args)  # the common case: every field given in order
            return tuple.__new__(cls, _bind(cls, args, kwargs))

        @classmethod
        def _make(cls, iterable):
            """Make a new record from a sequence or iterable."""
            result = tuple.__new__(cls, iterable)
            if len(result) != len(cls._fields):
                raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
            return result

        def _replace(self, /, **changes):
            """Return a new record replacing the given fields with new values."""
            result = self._make(map(changes.pop, self._fields, self))
            if changes:
                raise ValueError(f"Got unexpected field names: {list(changes)!r}")
            return result

        def __repr__(self):
            fields = ", ".join(f"{field}={value!r}" for field, value in zip(self._fields, self, strict=True))
            return f"{self.__class__.__name__}({fields})"

        def _asdict(self):
            """Return a new dict which maps field names to their values."""
            return dict(zip(self._fields, self, strict=True))

        def __getnewargs__(self):
            # copy and pickle rebuild a record through __new__ from its plain values
            return tuple(self)

    def _bind(cls, args, kwargs):
        """The values of a record's fields from a call's arguments, refused as Python refuses a bad call."""
        fields = cls._fields
        name = cls.__name__
        if len(args) > len(fields):
            raise TypeError(f"{name}() takes {len(fields)} positional arguments but {len(args)} were given")
        for key in kwargs:
            if key not in fields:
                raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
            if fields.index(key) < len(args):
                raise TypeError(f"{name}() got multiple values for argument {key!r}")
        values = list(args)
        missing = []
        defaults = cls._field_defaults
        for field in fields[len(args) :]:
            if field in kwargs:
                values.append(kwargs[field])
            elif field in defaults:
                values.append(defaults[field])
            else:
                missing.append(field)
        if missing:
            listed = ", ".join(repr(field) for field in missing)
            raise TypeError(f"{name}() missing {len(missing)} required argument{'s' * (len(missing) > 1)}: {listed}")
        return values
