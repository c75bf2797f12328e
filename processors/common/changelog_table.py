"""A faust table whose changelog writes go straight to librdkafka.

A faust ``Table`` turns every ``table[key] = value`` into a changelog message through faust's
message machinery (a ``FutureMessage`` with its ``PendingMessage``, the serializer registry,
sensors, the producer buffer): measured in bench/processors_bench.py, most of the cost of a
write, and the services write one record per item (the idempotence ledger) or several (meetings).
This table encodes the key and value with the table's own codecs, so the records are
byte-for-byte what faust writes (compaction keys on those bytes, recovery decodes them with the
same codecs), and hands them to the worker's ``LibrdkafkaProducer`` directly. Everything else
is faust's table: the store, recovery from the changelog, standbys, partition assignment.

Durability is the producer's: ``flush`` (called by faust before every offset commit) waits for
these records too. The offset of the last record written per partition is reported back to the
store, as faust does, so a RocksDB store knows from where to recover.
"""

from __future__ import annotations

import json
from typing import Any

from faust import Table
from faust.serializers import codecs
from faust.types import TP

from processors.common.faust_transport import LibrdkafkaProducer


_KEY_ENCODER = json.JSONEncoder(separators=(",", ":"))


class ChangelogTable(Table):
    """``faust.Table`` with direct changelog writes (falls back to faust's path when the
    producer is not a ``LibrdkafkaProducer``, or inside a transaction)."""

    _codecs: tuple[codecs.CodecT, codecs.CodecT] | None = None

    def encode_value(self, value: Any) -> bytes:
        """As faust's serializer registry does: bytes go as they are, anything else through the
        table's value codec (JSON unless the table says otherwise)."""
        return value if isinstance(value, bytes) else self._codec_pair()[1].dumps(value)

    def encode_key(self, key: Any) -> bytes:
        if isinstance(key, str) and self._json_keys():
            # What faust's JSON codec writes for a string (compact, ASCII-escaped), without the
            # codec chain and an encoder built per call.
            return _KEY_ENCODER.encode(key).encode()
        return self._codec_pair()[0].dumps(key)

    def _json_keys(self) -> bool:
        return (self.key_serializer or self.app.conf.key_serializer) == "json"

    def on_key_set(self, key: Any, value: Any) -> None:
        if not self._write(key, self.encode_value(value)):
            super().on_key_set(key, value)
            return
        self._sensor_on_set(self, key, value)

    def on_key_del(self, key: Any) -> None:
        if not self._write(key, None):
            super().on_key_del(key)
            return
        self._sensor_on_del(self, key)

    def _write(self, key: Any, value: bytes | None) -> bool:
        producer = self.app.producer
        if not isinstance(producer, LibrdkafkaProducer) or not producer.sends_directly or self.app.in_transaction:
            return False
        if self._should_expire_keys():  # windowed tables keep key TTLs in faust's path
            return False
        partition = self.partition_for_key(key)
        topic = self.changelog_topic.get_topic_name()
        producer.send_record(topic, self.encode_key(key), value, partition, on_delivered=self._persisted)
        return True

    def _codec_pair(self) -> tuple[codecs.CodecT, codecs.CodecT]:
        if self._codecs is None:
            self._codecs = (
                codecs.get_codec(self.key_serializer or self.app.conf.key_serializer),
                codecs.get_codec(self.value_serializer or self.app.conf.value_serializer),
            )
        return self._codecs

    def _persisted(self, topic: str, partition: int, offset: int) -> None:
        """The changelog record at ``offset`` is on the broker (what faust's
        ``_on_changelog_sent`` records, for stores that keep their recovery offset)."""
        self.data.set_persisted_offset(TP(topic, partition), offset)
