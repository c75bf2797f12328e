"""ChangelogTable writes the bytes faust itself would write: compaction keys on them, and a
changelog holding both encodings of one key would keep a deleted value alive."""

from __future__ import annotations

import json

import pytest

from connectors.kafka.settings import KafkaSettings
from processors.common.changelog_table import ChangelogTable
from processors.common.faust_wiring import create_app, json_table
from processors.common.settings import ProcessorSettings


@pytest.fixture
def app(tmp_path):
    import gc

    before = gc.get_threshold()  # create_app tunes the (worker) process's collector
    kafka = KafkaSettings.from_env({}, bootstrap_servers="127.0.0.1:9")
    yield create_app("encoding-test", kafka, ProcessorSettings.from_env({}, data_dir=tmp_path))
    gc.set_threshold(*before)


@pytest.mark.parametrize("key", ["user-1:email:m-1", "ünïcode:ключ:📦", ""])
@pytest.mark.parametrize("value", [{"occurred_at_ms": 1, "event_id": "e", "deleted": False}, ["a", "b"], None, b'{"raw": true}'])
def test_keys_and_values_are_encoded_as_faust_encodes_them(app, key, value):
    table = json_table(app, "applied")
    assert isinstance(table, ChangelogTable)
    faust_key, _ = table.changelog_topic.prepare_key(key, table.key_serializer)
    faust_value, _ = table.changelog_topic.prepare_value(value, table.value_serializer)
    assert table.encode_key(key) == faust_key
    assert table.encode_value(value) == faust_value


@pytest.mark.parametrize(
    ("change", "at", "event_id", "marker", "changed_at", "sequence"),
    [
        ("upsert", 5, "e-1", "v é", None, None),
        ("delete", 1_795_887_007_859, "5f0c4c2e-8a3b-4f0e-9d7c-2b1a3c4d5e6f", None, None, 1_795_887_007_859_001),
        ("upsert", 0, 'quote " back \\ slash', "tab\t nul\x00 emoji 🎉 line\u2028", 1_795_887_000_000, 7),
        ("upsert", 7, "", "", 0, 0),
    ],
)
def test_ledger_entries_are_the_bytes_faust_would_write_for_the_entry(app, change, at, event_id, marker, changed_at, sequence):
    from processors.common.idempotence import VersionLedger, entry_of
    from processors.common.items import ItemChange
    from schemas.models import DocType

    store: dict[str, bytes] = {}
    item = ItemChange(user_id="ü", doc_type=DocType.email, doc_id="m", change=change, record=None,
                      occurred_at_ms=at, event_id=event_id, version_marker=marker, changed_at_ms=changed_at, sequence=sequence)
    VersionLedger(store, now_ms=lambda: 1_800_000_000_123).record(item)
    table = json_table(app, "applied-json")
    entry = {"occurred_at_ms": at, "event_id": event_id, "version_marker": marker, "deleted": change == "delete"}
    if changed_at is not None:
        entry["changed_at_ms"] = changed_at
    if sequence is not None:
        entry["sequence"] = sequence
    if change == "delete":
        entry |= {"user_id": "ü", "stored_at_ms": 1_800_000_000_123}
    assert entry_of(item, 1_800_000_000_123 if change == "delete" else None) == entry
    assert store[item.key] == table.encode_value(entry)
    assert json.loads(store[item.key]) == entry
