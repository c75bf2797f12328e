"""The Confluent schema registry client, and the one place its errors are translated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from schemas.exceptions import RegistryError, RegistryUnavailable
from schemas.registry_settings import RegistrySettings

T = TypeVar("T")

#: Registry error codes (Confluent API): subject not found, version not found, schema not found.
NOT_FOUND_CODES = {40401, 40402, 40403}


def registry_client(settings: RegistrySettings) -> SchemaRegistryClient:
    return SchemaRegistryClient(settings.client_config())


def call_registry(what: str, call: Callable[..., T], *args: Any) -> T:
    """Run a registry client call, mapping its failures onto the schemas error tree."""
    try:
        return call(*args)
    except SchemaRegistryError as exc:
        raise RegistryError(
            f"{what}: registry answered {exc.http_status_code} (code {exc.error_code}): {exc.error_message}",
            http_status=exc.http_status_code,
            error_code=exc.error_code,
        ) from exc
    except Exception as exc:
        if not _is_transport_error(exc):
            raise
        raise RegistryUnavailable(f"{what}: schema registry unreachable: {type(exc).__name__}: {exc}") from exc


def _is_transport_error(exc: Exception) -> bool:
    # The client lets its HTTP library's errors through unwrapped, and which library that is
    # has changed between confluent-kafka releases (requests, httpx, httpx2): match by origin.
    origin = type(exc).__module__.split(".")[0]
    return isinstance(exc, (OSError, TimeoutError)) or origin in {"httpx", "httpx2", "httpcore", "requests", "urllib3"}
