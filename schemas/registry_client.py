"""The Confluent schema registry client, and the one place its errors are translated.

How a failed call ends (``call_registry``):

- no answer (connection refused or reset, timeout) and 5xx, 408, 429: ``RegistryUnavailable``,
  retriable. The registry is down, restarting or overloaded, or a gateway in front of it has no
  backend; the message being read or written is fine, so consumers retry and never dead-letter.
- 401, 403: ``RegistryAccessDenied``; 404 without a registry error code: ``RegistryNotFound``
  (the URL leads somewhere else). Both are ``RegistryMisconfigured``: configuration errors
  that name the settings to check.
- any other answer: ``RegistryError`` with its HTTP status and registry error code (callers
  turn "not found" codes into ``UnknownSchemaId`` or ``SchemaNotRegistered``).

The confluent client retries no-answer, 5xx, 408 and 429 itself first (``max.retries``, with
``retries.wait.ms`` / ``retries.max.wait.ms`` backoff), blocking the calling thread: the
registry settings keep that short, so a caller that retries on its own (the workers) reports
an outage within seconds instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from schemas.exceptions import RegistryAccessDenied, RegistryError, RegistryNotFound, RegistryUnavailable
from schemas.registry_settings import RegistrySettings

T = TypeVar("T")

#: Registry error codes (Confluent API): subject not found, version not found, schema not found.
NOT_FOUND_CODES = {40401, 40402, 40403}
#: Answers that say "not now" rather than "no": the same request can succeed later.
TRANSIENT_STATUSES = frozenset({408, 429})
ACCESS_DENIED_STATUSES = frozenset({401, 403})
#: The settings a 401 / 403 points at.
CREDENTIAL_SETTINGS = "OFFICESTREAM_REGISTRY_USERNAME / OFFICESTREAM_REGISTRY_PASSWORD (and OFFICESTREAM_REGISTRY_URL)"


def registry_client(settings: RegistrySettings) -> SchemaRegistryClient:
    return SchemaRegistryClient(settings.client_config())


#: Subjects asked for per request. Asked without a limit (confluent-kafka sends ``limit=-1``),
#: Apicurio's Confluent-compatible API answers the first 1,000 subjects only: ``officestream
#: status`` left out every subject past those once a registry held more.
SUBJECTS_PAGE = 1000


def list_subjects(client: SchemaRegistryClient, prefix: str = "") -> list[str]:
    """Every subject name starting with ``prefix``, sorted, read page by page (``offset`` /
    ``limit``). A registry that ignores the paging answers everything at once: that ends it too."""
    found: set[str] = set()
    offset = 0
    while True:
        page = call_registry("list subjects", client.get_subjects, None, False, False, offset, SUBJECTS_PAGE)
        new = set(page) - found
        found |= new
        if len(page) != SUBJECTS_PAGE or not new:
            return sorted(subject for subject in found if subject.startswith(prefix))
        offset += len(page)


def call_registry(what: str, call: Callable[..., T], *args: Any) -> T:
    """Run a registry client call, mapping its failures onto the schemas error tree."""
    try:
        return call(*args)
    except SchemaRegistryError as exc:
        raise answered_error(what, exc) from exc
    except Exception as exc:
        if not _is_transport_error(exc):
            raise
        raise RegistryUnavailable(f"{what}: schema registry unreachable: {type(exc).__name__}: {exc}") from exc


def answered_error(what: str, exc: SchemaRegistryError) -> RegistryError | RegistryUnavailable:
    """The schemas error for an error answer of the registry (see the module docstring)."""
    status = exc.http_status_code
    answer = f"registry answered {status} (code {exc.error_code}): {exc.error_message}"
    if status in TRANSIENT_STATUSES or status >= 500:
        return RegistryUnavailable(f"{what}: schema registry unavailable: {answer}", http_status=status)
    if status in ACCESS_DENIED_STATUSES:
        return RegistryAccessDenied(
            f"{what}: the schema registry refused access ({status}): check {CREDENTIAL_SETTINGS}",
            http_status=status,
            error_code=exc.error_code,
        )
    if status == 404 and not _is_registry_code(exc.error_code):
        return RegistryNotFound(
            f"{what}: {answer}: not a Confluent-compatible registry API; check OFFICESTREAM_REGISTRY_URL",
            http_status=status,
            error_code=exc.error_code,
        )
    return RegistryError(f"{what}: {answer}", http_status=status, error_code=exc.error_code)


def _is_registry_code(code: object) -> bool:
    # Registry error codes extend the HTTP status (40403: schema not found); a gateway or another
    # web server answers without one (the client then reports -1 or None).
    return isinstance(code, int) and code >= 10000


def _is_transport_error(exc: Exception) -> bool:
    # The client lets its HTTP library's errors through unwrapped, and which library that is
    # has changed between confluent-kafka releases (requests, httpx, httpx2): match by origin.
    origin = type(exc).__module__.split(".")[0]
    return isinstance(exc, (OSError, TimeoutError)) or origin in {"httpx", "httpx2", "httpcore", "requests", "urllib3"}
