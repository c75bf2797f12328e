"""The real confluent registry client against a local HTTP server that fails the way registries
and the gateways in front of them do: each failure reaches the serde as the right error class."""

from __future__ import annotations

import struct

import pytest

from schemas.exceptions import RegistryAccessDenied, RegistryNotFound, RegistryUnavailable, UnknownSchemaId
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde
from tests.http_fakes import BAD_GATEWAY, http_server

JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html"}

ANSWERS = [
    ((503, JSON, b'{"error_code": 50003, "message": "Service Unavailable"}'), RegistryUnavailable),
    (BAD_GATEWAY, RegistryUnavailable),
    ((504, HTML, b"<html>Gateway Timeout</html>"), RegistryUnavailable),
    ((500, JSON, b'{"error_code": 50001, "message": "Error in the backend data store"}'), RegistryUnavailable),
    ((429, JSON, b'{"error_code": 42901, "message": "Too Many Requests"}'), RegistryUnavailable),
    ((408, HTML, b"Request Timeout"), RegistryUnavailable),
    ((401, JSON, b'{"error_code": 40101, "message": "Unauthorized"}'), RegistryAccessDenied),
    ((403, JSON, b'{"error_code": 40301, "message": "User cannot access the resource"}'), RegistryAccessDenied),
    ((404, JSON, b'{"title": "RESTEASY003210: Could not find resource", "status": 404}'), RegistryNotFound),
    ((404, JSON, b'{"error_code": 40403, "message": "Schema 7 not found"}'), UnknownSchemaId),
]


@pytest.mark.parametrize(("answer", "expected"), ANSWERS, ids=[f"{a[0]}-{e.__name__}" for a, e in ANSWERS])
def test_each_registry_failure_reaches_the_serde_as_its_class(answer, expected):
    requests: list[str] = []

    def respond(method: str, path: str, body: bytes):
        requests.append(path)
        return answer

    with http_server(respond) as url:
        settings = RegistrySettings.from_env({}, url=url, max_retries=1, retry_wait_ms=1, retry_max_wait_ms=1)
        serde = AvroEventSerde(registry_client(settings))
        with pytest.raises(expected):
            serde.decode(struct.pack(">bI", 0, 7) + b"\x00")
    # The client retries what is transient itself (once here) and nothing else.
    assert len(requests) == (2 if expected is RegistryUnavailable else 1)
