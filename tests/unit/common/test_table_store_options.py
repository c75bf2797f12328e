"""RocksDB's memory per table partition is bounded by the processor settings: faust's own
defaults (64 MiB write buffers x 3 and a 2 GiB block cache per partition's DB) would let a
worker with two tables of six partitions each grow by gigabytes."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pytest
from connectors.kafka.settings import KafkaSettings
from processors.common.faust_wiring import create_app, json_table
from processors.common.settings import ProcessorSettings
from schemas.envsettings import SettingsError

MIB = 1024 * 1024
CONFIGURED = {"rocksdb_write_buffer_bytes": 3 * MIB, "rocksdb_write_buffers": 4, "rocksdb_block_cache_bytes": 5 * MIB}


@pytest.fixture
def make_app(tmp_path):
    before = gc.get_threshold()  # create_app tunes the (worker) process's collector
    kafka = KafkaSettings.from_env({}, bootstrap_servers="127.0.0.1:9")

    def make(store: str, **overrides):
        settings = ProcessorSettings.from_env({}, data_dir=tmp_path, store=store, **overrides)
        return create_app("store-options-test", kafka, settings)

    yield make
    gc.set_threshold(*before)


def test_a_rocksdb_table_gets_the_configured_memory_bounds(make_app):
    table = json_table(make_app("rocksdb://", **CONFIGURED), "applied")
    assert table.options == {"write_buffer_size": 3 * MIB, "max_write_buffer_number": 4, "block_cache_size": 5 * MIB}


def test_the_defaults_bound_a_rocksdb_table_far_below_fausts(make_app):
    options = json_table(make_app("rocksdb://"), "applied").options
    per_partition = options["write_buffer_size"] * options["max_write_buffer_number"] + options["block_cache_size"]
    assert per_partition <= 32 * MIB  # faust's own: 64 MiB x 3 + 2 GiB


def test_every_table_gets_a_mapping_of_its_own(make_app):
    # faust's RocksDB store pops keys out of the mapping it is given (its read_only, driver).
    app = make_app("rocksdb://")
    first, second = json_table(app, "applied"), json_table(app, "packages")
    assert first.options == second.options
    assert first.options is not second.options


def test_a_memory_table_gets_no_store_options(make_app):
    assert not json_table(make_app("memory://", **CONFIGURED), "applied").options


def test_an_opened_rocksdb_partition_carries_the_configured_sizes(make_app):
    import rocksdict  # noqa: F401 - a project dependency: its absence is an install failure, not a skip

    table = json_table(make_app("rocksdb://", **CONFIGURED), "applied")
    store = table.data
    db = store._db_for_partition(0)  # faust opens a partition's DB on first use
    try:
        assert db.property_int_value("rocksdb.block-cache-capacity") == 5 * MIB
        written = _db_options(Path(store.partition_path(0)))
        assert written["write_buffer_size"] == str(3 * MIB)
        assert written["max_write_buffer_number"] == "4"
    finally:
        db.close()


def _db_options(path: Path) -> dict[str, str]:
    """The options RocksDB wrote for the DB it opened (its newest ``OPTIONS-*`` file)."""
    newest = max(path.glob("OPTIONS-*"), key=lambda file: int(file.name.split("-")[1]))
    return dict(re.findall(r"^\s*(\w+)=(.*)$", newest.read_text(), flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("name", "value"),
    [("rocksdb_write_buffer_bytes", 1024), ("rocksdb_write_buffers", 1), ("rocksdb_block_cache_bytes", 0),
     ("rocksdb_write_buffer_bytes", 2 * 1024 * MIB)],
)
def test_out_of_range_bounds_are_refused(name, value):
    with pytest.raises(SettingsError, match=f"OFFICESTREAM_PROCESSOR_{name.upper()}"):
        ProcessorSettings.from_env({}, **{name: value})
