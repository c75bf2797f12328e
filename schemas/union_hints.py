"""Naming the branch of each optional record for fastavro, so encoding skips its guesswork.

To write a union, fastavro tries each branch until the datum validates against one: for an
optional record (``["null", Record]``) that is a full validation of the record, nested records
included, before the record is written at all. For an ``EmailUpdateEvent`` that validation cost
about as much as the write itself. fastavro's tuple notation, ``(record name, datum)``, names the
branch instead. ``UnionHints`` is compiled once per schema and rewrites a datum into that
notation where the schema leaves exactly one record branch (and null) to choose from; the bytes
written are the same either way (tested), only the search is skipped. Anything else (unions of
several records, of primitives) is left to fastavro as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Rewrites one value (a field's datum) into tuple notation; returns a new value, never
#: changing the one given (callers may hold on to their datum).
Rewrite = Callable[[Any], Any]
_COMPILING = object()  # a record whose fields are being compiled
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


class UnionHints:
    """``hints(datum)``: the datum of a record schema with its optional records named."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._named: dict[str, Any] = {}
        self._compiled: dict[str, Rewrite | object | None] = {}
        self._rewrite = self._compile(schema, schema.get("namespace", ""))

    def __call__(self, datum: dict[str, Any]) -> dict[str, Any]:
        return datum if self._rewrite is None else self._rewrite(datum)

    def _compile(self, schema: Any, namespace: str) -> Rewrite | None:
        """A rewrite for values of ``schema``; None when nothing in it needs one."""
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return None
            name = self._full_name(schema, namespace)
            if name not in self._compiled:
                return self._compile(self._named[name], namespace)
            if self._compiled[name] is _COMPILING:  # a recursive type: look its rewrite up when used
                return lambda value: self._late(name, value)
            return self._compiled[name]
        if isinstance(schema, list):
            return self._union(schema, namespace)
        kind = schema.get("type")
        if kind == "record":
            return self._record(schema, namespace)
        if kind in ("enum", "fixed"):
            self._named[self._full_name(schema["name"], schema.get("namespace", namespace))] = schema
            return None
        if kind == "array":
            item = self._compile(schema["items"], namespace)
            return None if item is None else lambda values: [item(value) for value in values]
        if kind == "map":
            item = self._compile(schema["values"], namespace)
            return None if item is None else lambda values: {key: item(value) for key, value in values.items()}
        return self._compile(kind, namespace) if isinstance(kind, (str, list, dict)) else None

    def _record(self, schema: dict[str, Any], namespace: str) -> Rewrite | None:
        name = self._full_name(schema["name"], schema.get("namespace", namespace))
        own_namespace = name.rpartition(".")[0]
        self._named[name] = schema
        self._compiled[name] = _COMPILING
        fields = [(field["name"], self._compile(field["type"], own_namespace)) for field in schema["fields"]]
        steps = [(field, rewrite) for field, rewrite in fields if rewrite is not None]
        if not steps:
            self._compiled[name] = None
            return None

        def rewrite(datum: Any) -> Any:
            if not isinstance(datum, dict):
                return datum  # not ours to fix: fastavro says what is wrong with it
            copied = dict(datum)
            for field, step in steps:
                if field in copied:
                    copied[field] = step(copied[field])
            return copied

        self._compiled[name] = rewrite
        return rewrite

    def _union(self, branches: list[Any], namespace: str) -> Rewrite | None:
        others = [branch for branch in branches if branch != "null"]
        inner = [self._compile(branch, namespace) for branch in others]  # also learns the named types inside
        name = self._record_name(others[0], namespace) if len(others) == 1 else None
        if name is None:
            # Several branches, or a primitive (cheap for fastavro to check): its search decides.
            return None
        step = inner[0]

        def rewrite(value: Any) -> Any:
            if value is None or isinstance(value, tuple):
                return value
            return (name, value if step is None else step(value))

        return rewrite

    def _record_name(self, schema: Any, namespace: str) -> str | None:
        """The full name of a record schema (or of a reference to one); None for anything else."""
        if isinstance(schema, dict) and schema.get("type") == "record":
            return self._full_name(schema["name"], schema.get("namespace", namespace))
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            name = self._full_name(schema, namespace)
            named = self._named.get(name)
            return name if isinstance(named, dict) and named.get("type") == "record" else None
        return None

    def _late(self, name: str, value: Any) -> Any:
        rewrite = self._compiled.get(name)
        return value if rewrite is None or rewrite is _COMPILING else rewrite(value)  # type: ignore[operator]

    @staticmethod
    def _full_name(name: str, namespace: str) -> str:
        return name if "." in name or not namespace else f"{namespace}.{name}"
