"""Kafka client settings (``OFFICESTREAM_KAFKA_*``) and their conversion to client configs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:19092"
#: What a broker accepts by default (its ``message.max.bytes``): one record batch of 1 MiB + 12.
DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
#: Framing around a record that travels in a batch of its own: the v2 record batch header (61
#: bytes) and the record's own varints (length, attributes, timestamp and offset deltas, key and
#: value lengths, header count: at most 36 bytes).
BATCH_HEADER_BYTES = 61
RECORD_FRAMING_BYTES = BATCH_HEADER_BYTES + 36
#: Framing per record header: the varint lengths of its name and value.
HEADER_FRAMING_BYTES = 10

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSettings(EnvSettings):
    """Where the brokers are, how to authenticate, and how topics are laid out."""

    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_KAFKA_", extra="forbid", frozen=True)

    bootstrap_servers: str = DEFAULT_BOOTSTRAP_SERVERS
    client_id: str = "officestream"
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    #: Prepended to every topic name, so several environments can share one cluster.
    topic_prefix: str = ""
    #: Replication factor for topics officestream creates (1 for the local single broker).
    replication_factor: int = Field(default=1, ge=1)
    #: ``min.insync.replicas`` of topics officestream creates (or fixes): how many replicas an
    #: ``acks=all`` write needs. Unset: the cluster's default (``stack up --brokers 3`` sets 2).
    min_insync_replicas: int | None = Field(default=None, ge=1)
    #: The largest record batch officestream's topics accept: the topics it creates get
    #: ``max.message.bytes`` = this, and its producers refuse, when it is handed to them, a
    #: record that would not fit (instead of the broker refusing it later, or librdkafka's own
    #: 1,000,000-byte default refusing records the topics accept). At least librdkafka's own
    #: minimum (1,000) plus the batch header.
    max_message_bytes: int = Field(default=DEFAULT_MAX_MESSAGE_BYTES, ge=1100, le=64 * 1024 * 1024)

    @field_validator("bootstrap_servers")
    @classmethod
    def _host_port_list(cls, value: str) -> str:
        servers = [s.strip() for s in value.split(",") if s.strip()]
        for server in servers:
            host, sep, port = server.rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {server!r}")
        if not servers:
            raise ValueError("is empty")
        return ",".join(servers)

    @model_validator(mode="after")
    def _sasl_consistent(self) -> "KafkaSettings":
        uses_sasl = self.security_protocol.startswith("SASL")
        sasl_given = any(v is not None for v in (self.sasl_mechanism, self.sasl_username, self.sasl_password))
        if uses_sasl and None in (self.sasl_mechanism, self.sasl_username, self.sasl_password):
            raise ValueError(
                f"OFFICESTREAM_KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs "
                "OFFICESTREAM_KAFKA_SASL_MECHANISM, _SASL_USERNAME and _SASL_PASSWORD"
            )
        if sasl_given and not uses_sasl:
            raise ValueError(
                "OFFICESTREAM_KAFKA_SASL_* is set but OFFICESTREAM_KAFKA_SECURITY_PROTOCOL is "
                f"{self.security_protocol}; use SASL_PLAINTEXT or SASL_SSL"
            )
        return self

    @model_validator(mode="after")
    def _min_isr_within_replicas(self) -> "KafkaSettings":
        if self.min_insync_replicas is not None and self.min_insync_replicas > self.replication_factor:
            # Every acks=all write to such a topic would fail with NOT_ENOUGH_REPLICAS.
            raise ValueError(
                f"OFFICESTREAM_KAFKA_MIN_INSYNC_REPLICAS ({self.min_insync_replicas}) is above "
                f"OFFICESTREAM_KAFKA_REPLICATION_FACTOR ({self.replication_factor})"
            )
        return self

    def librdkafka_config(self, **extra: Any) -> dict[str, Any]:
        """The confluent-kafka (librdkafka) configuration dict, plus ``extra`` keys."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "client.id": self.client_id,
            "security.protocol": self.security_protocol,
        }
        if self.sasl_mechanism and self.sasl_username and self.sasl_password:
            config["sasl.mechanism"] = self.sasl_mechanism
            config["sasl.username"] = self.sasl_username
            config["sasl.password"] = self.sasl_password.get_secret_value()
        config.update(extra)
        return config

    def producer_config(self, **extra: Any) -> dict[str, Any]:
        """A confluent-kafka producer's config: idempotent (no duplicates or reordering from
        the producer's own retries; it does not deduplicate what the application sends twice),
        acks from all in-sync replicas, and Java-compatible partitioning."""
        return self.librdkafka_config(
            **{
                # librdkafka counts the record's own framing but not the batch header, so a
                # record it takes fits the topics' limit in a batch of its own (larger batches
                # stop at batch.size).
                "message.max.bytes": self.max_message_bytes - BATCH_HEADER_BYTES,
                "batch.size": min(1_000_000, self.max_message_bytes - BATCH_HEADER_BYTES),
                "enable.idempotence": True,
                "acks": "all",
                # murmur2, as the Java clients and aiokafka (faust) partition keys: one user_id
                # lands on the same partition number in every topic whichever client produced
                # it, which keeps a user's events and faust table shards together.
                "partitioner": "murmur2_random",
                **extra,
            }
        )

    def fits_in_a_message(self, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]) -> bool:
        """Whether one record with this key, value and headers fits the topics' limit (what
        the producers check when a record is handed to them)."""
        size = RECORD_FRAMING_BYTES + len(key or b"") + len(value or b"")
        size += sum(HEADER_FRAMING_BYTES + len(name.encode()) + len(data) for name, data in headers)
        return size <= self.max_message_bytes

    def aiokafka_config(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka clients (the client faust-streaming uses)."""
        config: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism and self.sasl_username and self.sasl_password:
            config["sasl_mechanism"] = self.sasl_mechanism
            config["sasl_plain_username"] = self.sasl_username
            config["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return config

    def topic(self, name: str) -> str:
        """The physical topic name for a canonical one (``topic_prefix`` applied)."""
        return f"{self.topic_prefix}{name}"

    def group(self, name: str) -> str:
        """The physical consumer group (and faust app id) of a service; prefixed like topics."""
        return f"{self.topic_prefix}{name}"

    def faust_broker(self) -> list[str]:
        """faust's ``broker`` setting: one ``kafka://host:port`` URL per bootstrap server."""
        return [f"kafka://{server}" for server in self.bootstrap_servers.split(",")]

    def faust_credentials(self) -> Any:
        """faust's ``broker_credentials`` (None for PLAINTEXT)."""
        import ssl

        import faust

        if self.security_protocol == "PLAINTEXT":
            return None
        context = ssl.create_default_context() if self.security_protocol.endswith("SSL") else None
        if self.sasl_mechanism and self.sasl_username and self.sasl_password:
            return faust.SASLCredentials(
                username=self.sasl_username,
                password=self.sasl_password.get_secret_value(),
                mechanism=self.sasl_mechanism,
                ssl_context=context,
            )
        return context
