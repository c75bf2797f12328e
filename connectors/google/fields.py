"""Typed reads of Google JSON (Calendar events, People persons): the project's field readers
(``connectors.payload_fields``) raising this package's ``NormalizationError``."""

from __future__ import annotations

from pydantic import ValidationError

from connectors.google.exceptions import NormalizationError
from connectors.payload_fields import FieldReader

FIELDS = FieldReader(NormalizationError)


def model_error(what: str, exc: ValidationError) -> NormalizationError:
    """The canonical model refused a value: say which field and why, on one line."""
    problem = exc.errors()[0]
    where = ".".join(map(str, problem["loc"]))
    return NormalizationError(f"{what}: {where}: {problem['msg']}" if where else f"{what}: {problem['msg']}")


__all__ = ["FIELDS", "model_error"]
