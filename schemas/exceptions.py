"""Errors of the schemas package. Decode errors carry what a dead-letter record needs.

``retriable`` tells a consumer whether to retry (the registry is down) or dead-letter (the
message itself is bad).
"""

from __future__ import annotations


class SchemasError(Exception):
    """Base of every error raised by ``schemas``."""

    retriable = False


class SchemaFileError(SchemasError):
    """An ``.avsc`` file does not parse or is not valid Avro; the message names the file."""


class RegistryUnavailable(SchemasError):
    """The schema registry could not be reached, timed out, or answered 5xx, 408 or 429 (down,
    restarting, overloaded, or a gateway in front of it without a backend): trying again later
    will work. ``http_status`` is None when no answer came at all."""

    retriable = True

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class RegistryError(SchemasError):
    """The registry answered with an error; carries its HTTP status and error code."""

    def __init__(self, message: str, *, http_status: int | None = None, error_code: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_code = error_code


class RegistryMisconfigured(RegistryError):
    """The registry settings are wrong (``OFFICESTREAM_REGISTRY_*``): retrying cannot help, and
    the messages being read are not at fault either, so a consumer stops rather than
    dead-letters. The message names the settings to check."""


class RegistryAccessDenied(RegistryMisconfigured):
    """The registry refused our credentials (401) or their rights (403)."""


class RegistryNotFound(RegistryMisconfigured):
    """A 404 without a registry error code: the URL does not lead to a Confluent-compatible API
    (a registry's own "not found" always carries one, e.g. 40403 for an unknown schema id)."""


class SchemaNotRegistered(RegistryError):
    """The schema a producer wants to write with is not registered under its subject."""


class IncompatibleSchema(RegistryError):
    """A schema change breaks the subject's compatibility level; ``reasons`` says why."""

    def __init__(self, subject: str, reasons: list[str]) -> None:
        self.subject = subject
        self.reasons = reasons
        super().__init__(f"{subject}: incompatible with the registered versions: " + "; ".join(reasons), http_status=409)


class SerializationError(SchemasError):
    """A record could not be encoded (it does not fit its schema)."""


class DeserializationError(SchemasError):
    """A message could not be decoded; subclasses say why."""


class BadMagicByte(DeserializationError):
    """The first byte is not the Confluent wire format's magic byte 0."""


class TruncatedPayload(DeserializationError):
    """The message ends before its header or its Avro body does."""


class UnknownSchemaId(DeserializationError):
    """The registry does not know the schema id in the message header."""


class UnknownEventType(DeserializationError):
    """The writer schema names a record this reader has no schema for."""


class SchemaMismatch(DeserializationError):
    """The writer's schema cannot be resolved to the reader's (incompatible evolution)."""


class InvalidEvent(DeserializationError):
    """The bytes decoded, but the event breaks a rule of its model (e.g. a delete with a body)."""
