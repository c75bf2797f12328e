"""Apache Kafka in KRaft mode: each node one process that is both broker and controller.

One node by default (``kafka``); with ``OFFICESTREAM_STACK_KAFKA_BROKERS`` (``stack up
--brokers N``) N nodes ``kafka-1`` .. ``kafka-N``, one controller quorum of all N (static
``controller.quorum.voters``), each node on the configured ports + 10 x (n - 1) with its own
directory, log and pid file. A cluster's topics default to a replication factor of up to 3 and
``min.insync.replicas`` one less, so an ``acks=all`` write survives one node down.
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from ops.stack.component import Component, Probe
from ops.stack.exceptions import ComponentFailed
from ops.stack.fetch import fetch_jars
from ops.stack.java import JavaInstall, find_java
from ops.stack.process import ProcessTable, child_environment, port_accepts
from ops.stack.settings import StackSettings
from ops.stack.versions import KAFKA_MIN_JAVA, KAFKA_SCALA, KAFKA_VERSION, LOG4J_VERSION

_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.org.name = org.apache.kafka
logger.org.level = WARN
"""


CLUSTER_ID_FILE = "kafka-cluster.id"
CLEANER_DEDUPE_BUFFER_BYTES = 32 * 1024 * 1024


def node_name(settings: StackSettings, node: int) -> str:
    """``kafka`` for the single node (the name older stacks used), ``kafka-<n>`` in a cluster."""
    return "kafka" if settings.kafka_brokers == 1 else f"kafka-{node}"


def server_properties(settings: StackSettings, node: int, data_dir: Path) -> str:
    """The ``server.properties`` of Kafka node ``node`` (1-based); pure, tested without Kafka."""
    s = settings
    port, controller_port = s.kafka_node_ports(node)
    voters = ",".join(f"{n}@{s.host}:{s.kafka_node_ports(n)[1]}" for n in range(1, s.kafka_brokers + 1))
    replicas, min_isr = s.replication_factor, s.min_insync_replicas
    return "\n".join(
        [
            "process.roles=broker,controller",
            f"node.id={node}",
            f"controller.quorum.voters={voters}",
            f"listeners=PLAINTEXT://{s.host}:{port},CONTROLLER://{s.host}:{controller_port}",
            f"advertised.listeners=PLAINTEXT://{s.host}:{port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={data_dir}",
            "num.partitions=6",
            # Topics created without a replication factor (or min ISR) get the cluster's.
            f"default.replication.factor={replicas}",
            f"min.insync.replicas={min_isr}",
            f"offsets.topic.replication.factor={replicas}",
            "offsets.topic.num.partitions=6",
            f"transaction.state.log.replication.factor={replicas}",
            f"transaction.state.log.min.isr={min_isr}",
            f"share.coordinator.state.topic.replication.factor={replicas}",
            f"share.coordinator.state.topic.min.isr={min_isr}",
            "group.initial.rebalance.delay.ms=0",
            # Topics are created deliberately (officestream topics create), never by a typo.
            "auto.create.topics.enable=false",
            "log.cleaner.min.compaction.lag.ms=0",
            # Kafka's default cleaner buffer (128 MiB) is one humongous allocation in the node's
            # 512 MiB heap; once in CI a node of the three-broker cluster died of "Java heap
            # space" allocating it at start-up. 32 MiB still dedupes ~1.2M keys per cleaning pass (24 bytes a key, 0.9 load).
            f"log.cleaner.dedupe.buffer.size={CLEANER_DEDUPE_BUFFER_BYTES}",
            "",
        ]
    )


def cluster_id(stack_dir: Path) -> str:
    """The id every node's storage is formatted with: one per stack directory, made once."""
    path = stack_dir / CLUSTER_ID_FILE
    if path.is_file():
        return path.read_text().strip()
    made = _random_cluster_id()
    stack_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(made + "\n")
    return made


def _random_cluster_id() -> str:
    # Kafka's own form (Uuid.randomUuid): 16 random bytes in unpadded URL-safe base64, never
    # starting with '-' (the tools would read it as an option).
    while (made := base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()).startswith("-"):
        pass
    return made


def kafka_nodes(settings: StackSettings, processes: ProcessTable) -> list[KafkaBroker]:
    return [KafkaBroker(settings, processes, node) for node in range(1, settings.kafka_brokers + 1)]


class KafkaBroker(Component):
    """Kafka node ``node`` (1-based) of the stack's ``kafka_brokers``."""

    def __init__(self, settings: StackSettings, processes: ProcessTable, node: int = 1) -> None:
        super().__init__(settings, processes)
        self.node = node
        self.name = node_name(settings, node)
        self.port, self.controller_port = settings.kafka_node_ports(node)

    @property
    def address(self) -> str:
        return f"{self.settings.host}:{self.port}"

    @property
    def _cache(self):
        return self.settings.downloads_dir / f"kafka-{KAFKA_SCALA}-{KAFKA_VERSION}"

    def ports(self) -> dict[str, int]:
        offset = f" (+{self.port - self.settings.kafka_port} for {self.name})" if self.node > 1 else ""
        return {
            f"OFFICESTREAM_STACK_KAFKA_PORT{offset}": self.port,
            f"OFFICESTREAM_STACK_KAFKA_CONTROLLER_PORT{offset}": self.controller_port,
        }

    def _java(self) -> JavaInstall:
        return find_java(
            KAFKA_MIN_JAVA, explicit_home=self.settings.java_home, setting="OFFICESTREAM_STACK_JAVA_HOME", purpose="Kafka"
        )

    def check(self) -> None:
        self._java()

    def install(self) -> None:
        fetch_jars(
            [
                f"org.apache.kafka:kafka_{KAFKA_SCALA}:{KAFKA_VERSION}",
                f"org.apache.logging.log4j:log4j-core:{LOG4J_VERSION}",
                f"org.apache.logging.log4j:log4j-slf4j-impl:{LOG4J_VERSION}",
            ],
            self._cache,
            f"Apache Kafka {KAFKA_VERSION}",
        )

    def _format_storage(self, java: JavaInstall, classpath: str, properties: str) -> None:
        if (self.state_dir / "data" / "meta.properties").is_file():
            return
        formatted = subprocess.run(
            [str(java.executable), "-cp", classpath, "kafka.tools.StorageTool", "format",
             "-t", cluster_id(self.settings.dir), "-c", properties],
            capture_output=True, text=True, env=child_environment(),
        )
        if formatted.returncode != 0:
            raise ComponentFailed(self.name, "formatting KRaft storage failed", formatted.stdout + formatted.stderr)

    def command(self) -> list[str]:
        return [
            str(self._java().executable),
            f"-Xmx{self.settings.kafka_heap}",
            f"-Xms{self.settings.kafka_heap}",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
            "-cp",
            self._classpath,
            "kafka.Kafka",
            str(self._properties),
        ]

    @property
    def _classpath(self) -> str:
        return str(self._cache / "libs" / "*")

    @property
    def _properties(self):
        return self.state_dir / "server.properties"

    def launch(self) -> int:
        java = self._java()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._properties.write_text(server_properties(self.settings, self.node, self.state_dir / "data"))
        (self.state_dir / "log4j2.properties").write_text(_LOG4J2)
        self._format_storage(java, self._classpath, str(self._properties))
        return self.processes.start(self.name, self.command(), cwd=self.state_dir)

    def probe(self) -> Probe:
        if not port_accepts(self.settings.host, self.port):
            return Probe(False, KAFKA_VERSION, "not listening")
        admin = AdminClient({"bootstrap.servers": self.address, "log_level": 0})
        try:
            metadata = admin.list_topics(timeout=3)
        except KafkaException as exc:
            return Probe(False, KAFKA_VERSION, exc.args[0].str())
        if self.node not in metadata.brokers:
            return Probe(False, KAFKA_VERSION, f"broker {self.node} not registered yet")
        if not _group_coordinator_ready(admin):
            return Probe(False, KAFKA_VERSION, "group coordinator not available yet")
        if self.settings.kafka_brokers == 1:
            return Probe(True, KAFKA_VERSION, f"{len(metadata.topics)} topics")
        brokers = f"{len(metadata.brokers)}/{self.settings.kafka_brokers} brokers"
        return Probe(True, KAFKA_VERSION, f"node {self.node}, {brokers}, {len(metadata.topics)} topics")


def _group_coordinator_ready(admin: AdminClient) -> bool:
    """Consumer groups work: a fresh broker creates its offsets topic on the first coordinator
    lookup, and until then every consumer (faust's too) logs errors and rejoins."""
    future = admin.describe_consumer_groups(["officestream-stack-probe"], request_timeout=3)["officestream-stack-probe"]
    try:
        future.result()
    except KafkaException as exc:
        return exc.args[0].code() not in (KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError.COORDINATOR_LOAD_IN_PROGRESS, KafkaError._TIMED_OUT)
    return True
