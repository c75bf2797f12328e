"""The base of every model: immutable, strict about unknown fields, tied to one Avro name."""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict

NAMESPACE = "io.officestream"


class AvroModel(BaseModel):
    """A record with an ``.avsc`` twin named ``io.officestream.<ClassName>``."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    avro_name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.avro_name = f"{NAMESPACE}.{cls.__name__}"

    def to_avro(self) -> dict[str, Any]:
        """The datum fastavro writes: plain dicts, lists, str-enums, aware datetimes."""
        return self.model_dump()

    @classmethod
    def from_avro(cls, datum: dict[str, Any]) -> Self:
        """Validate a datum fastavro read (or any dict) into the model."""
        return cls.model_validate(datum)


_Nesting = Literal["union", "record", "list"]


def with_named_branches(model: AvroModel, datum: dict[str, Any]) -> dict[str, Any]:
    """``datum`` (``model.model_dump()``) with each record in a ``["null", record]`` union
    written as ``(full name, datum)``: fastavro's notation for the branch to write, which spares
    it trying each branch. Changes ``datum`` in place and returns it."""
    for name, nesting in _nested_records(type(model)):
        value, inner = getattr(model, name), datum[name]
        if value is None:
            continue
        if nesting == "list":
            datum[name] = [with_named_branches(item, item_datum) for item, item_datum in zip(value, inner, strict=True)]
        else:
            inner = with_named_branches(value, inner)
            datum[name] = (value.avro_name, inner) if nesting == "union" else inner
    return datum


@cache
def _nested_records(model: type[AvroModel]) -> tuple[tuple[str, _Nesting], ...]:
    """The fields of ``model`` that hold records: optional ones (a union), plain ones and lists
    of them, the latter two only when their records hold a union somewhere."""
    nested: list[tuple[str, _Nesting]] = []
    for name, info in model.model_fields.items():
        annotation, nesting = info.annotation, "record"
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            annotation, nesting = next(a for a in typing.get_args(annotation) if a is not type(None)), "union"
        elif typing.get_origin(annotation) is list:
            annotation, nesting = typing.get_args(annotation)[0], "list"
        if isinstance(annotation, type) and issubclass(annotation, AvroModel):
            if nesting == "union" or _nested_records(annotation):
                nested.append((name, nesting))  # type: ignore[arg-type]
    return tuple(nested)
