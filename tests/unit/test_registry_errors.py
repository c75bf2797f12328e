"""How registry failures are classified: transient (retry), configuration (stop), or an answer."""

from __future__ import annotations

import struct

import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from schemas.exceptions import (
    RegistryAccessDenied,
    RegistryError,
    RegistryMisconfigured,
    RegistryNotFound,
    RegistryUnavailable,
    UnknownSchemaId,
)
from schemas.registry_client import call_registry, registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde


def failing(exc: Exception):
    def call(*args):
        raise exc

    return call


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_5xx_408_and_429_are_transient(status):
    with pytest.raises(RegistryUnavailable, match=f"schema id 7: schema registry unavailable: registry answered {status}") as raised:
        call_registry("schema id 7", failing(SchemaRegistryError(status, -1, "Unknown Schema Registry Error: <html>")))
    assert raised.value.retriable and raised.value.http_status == status


def test_no_answer_at_all_is_transient():
    with pytest.raises(RegistryUnavailable, match="unreachable: ConnectError") as raised:
        call_registry("schema id 7", failing(httpx.ConnectError("connection refused")))
    assert raised.value.retriable and raised.value.http_status is None


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_configuration_errors_naming_the_settings(status):
    with pytest.raises(RegistryAccessDenied) as raised:
        call_registry("schema id 7", failing(SchemaRegistryError(status, 40101, "Unauthorized")))
    assert isinstance(raised.value, RegistryMisconfigured) and not raised.value.retriable
    assert f"refused access ({status})" in str(raised.value)
    assert "OFFICESTREAM_REGISTRY_USERNAME / OFFICESTREAM_REGISTRY_PASSWORD" in str(raised.value)


@pytest.mark.parametrize("code", [-1, None])
def test_a_404_without_a_registry_code_means_the_url_is_not_a_registry(code):
    with pytest.raises(RegistryNotFound, match="not a Confluent-compatible registry API; check OFFICESTREAM_REGISTRY_URL"):
        call_registry("schema id 7", failing(SchemaRegistryError(404, code, "RESTEASY003210: Could not find resource")))


def test_other_answers_stay_plain_registry_errors():
    for status, code in [(404, 40403), (409, 409), (422, 42201)]:
        with pytest.raises(RegistryError) as raised:
            call_registry("x", failing(SchemaRegistryError(status, code, "no")))
        assert type(raised.value) is RegistryError and (raised.value.http_status, raised.value.error_code) == (status, code)


class StubClient:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def get_schema(self, schema_id):
        raise self.exc


def wire(schema_id: int) -> bytes:
    return struct.pack(">bI", 0, schema_id) + b"\x00"


def test_only_the_registrys_own_not_found_makes_a_schema_id_unknown():
    with pytest.raises(UnknownSchemaId):
        AvroEventSerde(StubClient(SchemaRegistryError(404, 40403, "Schema 7 not found"))).decode(wire(7))
    with pytest.raises(RegistryNotFound):  # a wrong URL: not the message's fault, never poison
        AvroEventSerde(StubClient(SchemaRegistryError(404, None, "Could not find resource"))).decode(wire(7))
    with pytest.raises(RegistryUnavailable):
        AvroEventSerde(StubClient(SchemaRegistryError(503, -1, "Service Unavailable"))).decode(wire(7))


def test_the_clients_own_retries_are_short_so_an_outage_is_reported_within_seconds():
    settings = RegistrySettings.from_env({})
    client: SchemaRegistryClient = registry_client(settings)
    rest = client._rest_client  # the confluent client keeps its retry settings here
    assert (rest.max_retries, rest.retries_wait_ms, rest.retries_max_wait_ms, rest.timeout) == (3, 100, 1000, 5.0)
    tuned = RegistrySettings.from_env({"OFFICESTREAM_REGISTRY_RETRY_WAIT_MS": "50", "OFFICESTREAM_REGISTRY_RETRY_MAX_WAIT_MS": "200"})
    assert (registry_client(tuned)._rest_client.retries_wait_ms, registry_client(tuned)._rest_client.retries_max_wait_ms) == (50, 200)


def test_a_changelog_missing_from_the_metadata_is_retried_and_a_real_partition_mismatch_is_not():
    from faust.exceptions import PartitionsMismatch

    from processors.common.processor import is_transient

    lagging = PartitionsMismatch("The source topic 'p-email-backfill' for table 'packages'\nhas 6 partitions, "
                                 "but the changelog\ntopic 'p-shipments-packages-changelog' has 0 partitions.\n")
    different = PartitionsMismatch("The source topic 'p-email-backfill' for table 'packages'\nhas 6 partitions, "
                                   "but the changelog\ntopic 'p-shipments-packages-changelog' has 8 partitions.\n")
    assert is_transient(lagging) and not is_transient(different)
