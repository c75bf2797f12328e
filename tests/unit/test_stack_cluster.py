"""The three-broker stack's layout without starting Kafka: node names, ids, ports, one quorum
of every node, the replication its topics get, the shared cluster id, and the node count
remembered for later commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ops.stack.kafka import cluster_id, kafka_nodes, node_name, server_properties
from ops.stack.process import ProcessTable
from ops.stack.settings import StackSettings, remember_brokers, remembered_brokers
from schemas.envsettings import SettingsError


def stack(tmp_path: Path, **values: str) -> StackSettings:
    return StackSettings.from_env({f"OFFICESTREAM_STACK_{k.upper()}": v for k, v in values.items()}, dir=tmp_path)


def properties(settings: StackSettings, node: int) -> dict[str, str]:
    text = server_properties(settings, node, settings.dir / f"kafka-{node}" / "data")
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_three_nodes_have_their_own_names_ids_ports_and_dirs(tmp_path):
    settings = stack(tmp_path, kafka_brokers="3", kafka_port="29092", kafka_controller_port="29093")
    nodes = kafka_nodes(settings, ProcessTable(run_dir=tmp_path / "run", logs_dir=tmp_path / "logs"))
    assert [(n.name, n.node, n.port, n.controller_port) for n in nodes] == [
        ("kafka-1", 1, 29092, 29093), ("kafka-2", 2, 29102, 29103), ("kafka-3", 3, 29112, 29113),
    ]
    assert len({n.state_dir for n in nodes}) == 3 and len({n.processes.log_path(n.name) for n in nodes}) == 3
    for node, (port, controller) in enumerate([(29092, 29093), (29102, 29103), (29112, 29113)], start=1):
        props = properties(settings, node)
        assert props["node.id"] == str(node)
        assert props["listeners"] == f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}"
        assert props["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{port}"
        assert props["log.dirs"] == str(tmp_path / f"kafka-{node}" / "data")


def test_every_node_votes_in_one_quorum_of_all_three(tmp_path):
    settings = stack(tmp_path, kafka_brokers="3", kafka_controller_port="29093")
    voters = {properties(settings, node)["controller.quorum.voters"] for node in (1, 2, 3)}
    assert voters == {"1@127.0.0.1:29093,2@127.0.0.1:29103,3@127.0.0.1:29113"}


def test_a_cluster_replicates_three_times_and_acks_all_needs_two(tmp_path):
    settings = stack(tmp_path, kafka_brokers="3")
    assert (settings.replication_factor, settings.min_insync_replicas) == (3, 2)
    props = properties(settings, 2)
    for key in ("default.replication.factor", "offsets.topic.replication.factor", "transaction.state.log.replication.factor"):
        assert props[key] == "3", key
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    assert settings.bootstrap_servers == "127.0.0.1:19092,127.0.0.1:19102,127.0.0.1:19112"


def test_the_single_node_is_configured_as_before(tmp_path):
    settings = stack(tmp_path)
    [node] = kafka_nodes(settings, ProcessTable(run_dir=tmp_path / "run", logs_dir=tmp_path / "logs"))
    assert (node.name, node_name(settings, 1), node.state_dir) == ("kafka", "kafka", tmp_path / "kafka")
    props = properties(settings, 1)
    assert props["node.id"] == "1" and props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["offsets.topic.replication.factor"] == props["min.insync.replicas"] == "1"
    assert settings.bootstrap_servers == "127.0.0.1:19092" and settings.replication_factor == 1


def test_a_node_port_on_another_settings_port_is_refused_by_name(tmp_path):
    with pytest.raises(SettingsError, match=r"OFFICESTREAM_STACK_REDIS_PORT and OFFICESTREAM_STACK_KAFKA_PORT \(\+10, Kafka node 2\) are both 19102"):
        stack(tmp_path, kafka_brokers="3", redis_port="19102")
    with pytest.raises(SettingsError, match=r"KAFKA_CONTROLLER_PORT \(\+10, Kafka node 2\) and OFFICESTREAM_STACK_KAFKA_PORT are both 19092"):
        stack(tmp_path, kafka_brokers="3", kafka_controller_port="19082")
    with pytest.raises(SettingsError, match=r"KAFKA_PORT \(\+20, Kafka node 3\) is 65545, above 65535"):
        stack(tmp_path, kafka_brokers="3", kafka_port="65525")
    assert stack(tmp_path, redis_port="19102").kafka_brokers == 1  # free while there is one node


def test_the_node_count_is_bounded(tmp_path):
    with pytest.raises(SettingsError, match="OFFICESTREAM_STACK_KAFKA_BROKERS"):
        stack(tmp_path, kafka_brokers="0")
    with pytest.raises(SettingsError, match="OFFICESTREAM_STACK_KAFKA_BROKERS"):
        stack(tmp_path, kafka_brokers="6")


def test_the_count_stack_up_used_is_remembered_from_the_real_environment_only(tmp_path, monkeypatch):
    monkeypatch.setenv("OFFICESTREAM_STACK_DIR", str(tmp_path))
    monkeypatch.delenv("OFFICESTREAM_STACK_KAFKA_BROKERS", raising=False)
    assert remembered_brokers(tmp_path) is None and StackSettings.from_env().kafka_brokers == 1
    remember_brokers(tmp_path, 3)
    assert StackSettings.from_env().kafka_brokers == 3
    assert StackSettings.from_env(kafka_brokers=1).kafka_brokers == 1  # `stack up --brokers 1`
    assert StackSettings.from_env({"OFFICESTREAM_STACK_DIR": str(tmp_path)}).kafka_brokers == 1  # hermetic
    monkeypatch.setenv("OFFICESTREAM_STACK_KAFKA_BROKERS", "1")
    assert StackSettings.from_env().kafka_brokers == 1


def test_every_node_is_formatted_with_one_cluster_id_kept_in_the_stack_dir(tmp_path):
    made = cluster_id(tmp_path)
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", made)  # Kafka's Uuid: 22 url-safe base64 chars
    assert cluster_id(tmp_path) == made and cluster_id(tmp_path / "other") != made


def test_the_cleaner_buffer_fits_well_inside_the_node_heap(tmp_path):
    # Kafka's default 128 MiB dedupe buffer, one allocation in a 512 MiB heap, killed a node at
    # start-up in CI ("Java heap space" in LogCleaner); every node asks for a quarter of that.
    settings = stack(tmp_path, kafka_brokers="3")
    heap_mib = int(settings.kafka_heap[:-1]) * (1024 if settings.kafka_heap.endswith("g") else 1)
    for node in (1, 2, 3):
        buffer_mib = int(properties(settings, node)["log.cleaner.dedupe.buffer.size"]) / 2**20
        assert buffer_mib <= heap_mib / 16, node
