"""Reading typed fields out of provider JSON, for the normalizers of every provider.

Each provider has its own ``NormalizationError`` (its package's exception tree); a
``FieldReader`` raises that one, with a message that names the field and says what it holds
instead (shortened: never a body, never a message longer than a line).

A payload can nest deeper than the interpreter recurses (a JSON decoder with no depth limit, a
hostile or broken proxy). ``nesting_guard`` turns the ``RecursionError`` such a value causes
anywhere in a normalizer into the provider's error, naming the field that nests.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

#: Nesting no provider payload comes near (Graph and Google resources nest a few levels; Gmail
#: part trees are cut at 32): past it, a recursion error is the payload's doing.
_DEEP = 100
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 2, 40, 40
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = 3


def shown(value: object) -> str:
    """``value`` for an error message: its repr, cut short and never recursing."""
    return _SHORT.repr(value)


def type_name(value: object) -> str:
    """The JSON name of ``value``'s type, as a reader of the payload knows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


class FieldReader:
    """Typed access to JSON fields; every problem raises ``error`` naming the field."""

    def __init__(self, error: Callable[[str], Exception]) -> None:
        self.error = error

    def require_object(self, payload: object, what: str) -> Mapping[str, Any]:
        if not isinstance(payload, Mapping):
            raise self.error(f"{what}: expected a JSON object, got {type_name(payload)}")
        return payload

    def text(self, payload: Mapping[str, Any], key: str, what: str, *, required: bool = False) -> str | None:
        """A string field; missing, null or "" is None (or an error when ``required``)."""
        value = payload.get(key)
        if value is None or value == "":
            if required:
                raise self.error(f"{what}: field {key!r} is missing or empty")
            return None
        if not isinstance(value, str):
            raise self.error(f"{what}: field {key!r} must be a string, got {type_name(value)}")
        return value

    def flag(self, payload: Mapping[str, Any], key: str, what: str, *, default: bool = False) -> bool:
        value = payload.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(f"{what}: field {key!r} must be true or false, got {shown(value)}")
        return value

    def objects(self, payload: Mapping[str, Any], key: str, what: str) -> list[Mapping[str, Any]]:
        """A list of JSON objects (missing or null: empty)."""
        value = payload.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"{what}: field {key!r} must be a list, got {type_name(value)}")
        return [self.require_object(item, f"{what}.{key}[{index}]") for index, item in enumerate(value)]

    def strings(self, payload: Mapping[str, Any], key: str, what: str) -> list[str]:
        """A list of strings (missing or null: empty); empty strings are dropped."""
        value = payload.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(f"{what}: field {key!r} must be a list of strings")
        return [item for item in value if item]

    def child(self, payload: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
        """An object field (missing or null: empty)."""
        value = payload.get(key)
        return {} if value is None else self.require_object(value, f"{what}.{key}")


def telling_kind(kind: str, payload: Mapping[str, Any], telling: Mapping[str, frozenset[str]]) -> tuple[str, list[str]] | None:
    """Another kind ``payload`` is by its shape, with the fields that say so: ``telling`` maps
    each kind to the fields only its resources have. None when it has a field of ``kind``, or
    none of any kind (a payload too thin to tell is given the benefit of the doubt)."""
    if not telling[kind].isdisjoint(payload):
        return None
    for other, fields in telling.items():
        if other != kind and not fields.isdisjoint(payload):
            return other, sorted(fields.intersection(payload))
    return None


def deepest_field(payload: object) -> tuple[str, int]:
    """The top-level field that holds the deepest value, and how deep it goes, found without
    recursion (so it works on exactly the values that make recursion fail)."""
    if not isinstance(payload, Mapping | list):
        return "", 0
    top = payload.items() if isinstance(payload, Mapping) else enumerate(payload)
    deepest = ("", 0)
    for key, value in top:
        depth, level = 0, [value]
        while level:
            depth += 1
            level = [
                child
                for item in level if isinstance(item, Mapping | list)
                for child in (item.values() if isinstance(item, Mapping) else item)
            ]
        if depth > deepest[1]:
            deepest = (str(key), depth)
    return deepest


@contextmanager
def nesting_guard(payload: object, what: str, error: Callable[[str], Exception]) -> Iterator[None]:
    """Turn a ``RecursionError`` raised while reading ``payload`` into ``error`` naming the field."""
    try:
        yield
    except RecursionError:
        field, depth = deepest_field(payload)
        if depth < _DEEP:  # the JSON is not what nests: something read from it did
            raise error(f"{what}: nests too deeply to read") from None
        raise error(f"{what}: field {field!r} nests {depth} levels deep, deeper than a payload can") from None


__all__ = ["FieldReader", "deepest_field", "nesting_guard", "shown", "telling_kind", "type_name"]
