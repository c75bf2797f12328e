"""The base of every model: immutable, strict about unknown fields, tied to one Avro name."""

from __future__ import annotations

from typing import Any, ClassVar, Self

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
