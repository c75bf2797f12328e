"""The pydantic models and the .avsc files describe the same records, field by field."""

from __future__ import annotations

import datetime as dt
import types
import typing
import uuid
from enum import StrEnum
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel

import schemas.models as models
from schemas.avsc import AVRO_DIR, project_schema
from schemas.models import AvroModel

MODELS = [obj for obj in vars(models).values() if isinstance(obj, type) and issubclass(obj, AvroModel) and obj is not AvroModel and obj is not models.Event]
ENUMS = [obj for obj in vars(models).values() if isinstance(obj, type) and issubclass(obj, StrEnum)]
PRIMITIVES = {"string": str, "boolean": bool, "int": int, "long": int}
LOGICAL = {"timestamp-millis": dt.datetime, "date": dt.date, "uuid": uuid.UUID}


def strip_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return dt.datetime if tp is AwareDatetime else tp  # pydantic's marker for "aware datetime"


def python_type_matches(avro: Any, tp: Any) -> bool:
    """Does the Python annotation ``tp`` hold exactly what the Avro type ``avro`` holds?"""
    tp = strip_annotated(tp)
    if isinstance(avro, list):  # ["null", X]: Optional[X]
        args = typing.get_args(tp)
        if typing.get_origin(tp) not in (typing.Union, types.UnionType) or type(None) not in args or len(avro) != 2:
            return False
        [inner] = [a for a in args if a is not type(None)]
        return python_type_matches(avro[1], inner)
    if isinstance(avro, dict):
        if "logicalType" in avro:
            return issubclass(strip_annotated(tp), LOGICAL[avro["logicalType"]])
        if avro["type"] == "array":
            return typing.get_origin(tp) is list and python_type_matches(avro["items"], typing.get_args(tp)[0])
        return python_type_matches(f"{avro['namespace']}.{avro['name']}" if "namespace" in avro else avro["name"], tp)
    if avro in PRIMITIVES:
        return tp is PRIMITIVES[avro]
    return isinstance(tp, type) and f"io.officestream.{tp.__name__}" == avro


def raw_fields(model: type[AvroModel]) -> list[dict[str, Any]]:
    import json

    return json.loads((AVRO_DIR / f"{model.avro_name}.avsc").read_text())["fields"]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_model_fields_are_the_schema_fields_in_order(model):
    assert list(model.model_fields) == [f["name"] for f in raw_fields(model)]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_model_field_types_and_defaults_match_the_schema(model):
    hints = typing.get_type_hints(model, include_extras=True)
    for field in raw_fields(model):
        name = field["name"]
        info = model.model_fields[name]
        assert python_type_matches(field["type"], hints[name]), f"{model.__name__}.{name}: {hints[name]} vs {field['type']}"
        if "default" in field:
            assert not info.is_required(), f"{model.__name__}.{name} has an Avro default but is required"
            default = info.get_default(call_default_factory=True)
            assert default == field["default"], f"{model.__name__}.{name}: default {default!r} vs {field['default']!r}"
        else:
            assert info.is_required(), f"{model.__name__}.{name} has no Avro default but is optional"


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_enum_symbols_match_the_schema(enum):
    schema = project_schema(f"io.officestream.{enum.__name__}")
    assert [member.value for member in enum] == schema["symbols"]


def test_every_schema_file_has_a_model_or_enum():
    defined = {m.avro_name for m in MODELS} | {f"io.officestream.{e.__name__}" for e in ENUMS}
    files = {path.name.removesuffix(".avsc") for path in AVRO_DIR.glob("*.avsc")}
    assert files == defined


def test_models_are_pydantic_models():
    assert all(issubclass(m, BaseModel) for m in MODELS)
