"""Apache Kafka in KRaft mode: one process that is both broker and controller."""

from __future__ import annotations

import subprocess

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from ops.stack.component import Component, Probe
from ops.stack.exceptions import ComponentFailed
from ops.stack.fetch import fetch_jars
from ops.stack.java import JavaInstall, find_java
from ops.stack.process import child_environment, port_accepts
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


class KafkaBroker(Component):
    name = "kafka"

    @property
    def address(self) -> str:
        return self.settings.bootstrap_servers

    @property
    def _cache(self):
        return self.settings.downloads_dir / f"kafka-{KAFKA_SCALA}-{KAFKA_VERSION}"

    def ports(self) -> dict[str, int]:
        return {
            "OFFICESTREAM_STACK_KAFKA_PORT": self.settings.kafka_port,
            "OFFICESTREAM_STACK_KAFKA_CONTROLLER_PORT": self.settings.kafka_controller_port,
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

    def _server_properties(self) -> str:
        s = self.settings
        return "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@{s.host}:{s.kafka_controller_port}",
                f"listeners=PLAINTEXT://{s.host}:{s.kafka_port},CONTROLLER://{s.host}:{s.kafka_controller_port}",
                f"advertised.listeners=PLAINTEXT://{s.host}:{s.kafka_port}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                f"log.dirs={self.state_dir / 'data'}",
                "num.partitions=6",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=6",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                # Topics are created deliberately (officestream topics create), never by a typo.
                "auto.create.topics.enable=false",
                "log.cleaner.min.compaction.lag.ms=0",
                "",
            ]
        )

    def _format_storage(self, java: JavaInstall, classpath: str, properties: str) -> None:
        if (self.state_dir / "data" / "meta.properties").is_file():
            return
        base = [str(java.executable), "-cp", classpath, "kafka.tools.StorageTool"]
        env = child_environment()
        cluster_id = subprocess.run([*base, "random-uuid"], capture_output=True, text=True, check=True, env=env).stdout.strip()
        formatted = subprocess.run(
            [*base, "format", "-t", cluster_id, "-c", properties], capture_output=True, text=True, env=env
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
        self._properties.write_text(self._server_properties())
        (self.state_dir / "log4j2.properties").write_text(_LOG4J2)
        self._format_storage(java, self._classpath, str(self._properties))
        return self.processes.start(self.name, self.command(), cwd=self.state_dir)

    def probe(self) -> Probe:
        if not port_accepts(self.settings.host, self.settings.kafka_port):
            return Probe(False, KAFKA_VERSION, "not listening")
        admin = AdminClient({"bootstrap.servers": self.address, "log_level": 0})
        try:
            metadata = admin.list_topics(timeout=3)
        except KafkaException as exc:
            return Probe(False, KAFKA_VERSION, exc.args[0].str())
        if not metadata.brokers:
            return Probe(False, KAFKA_VERSION, "no broker registered yet")
        if not _group_coordinator_ready(admin):
            return Probe(False, KAFKA_VERSION, "group coordinator not available yet")
        return Probe(True, KAFKA_VERSION, f"{len(metadata.topics)} topics")


def _group_coordinator_ready(admin: AdminClient) -> bool:
    """Consumer groups work: a fresh broker creates its offsets topic on the first coordinator
    lookup, and until then every consumer (faust's too) logs errors and rejoins."""
    future = admin.describe_consumer_groups(["officestream-stack-probe"], request_timeout=3)["officestream-stack-probe"]
    try:
        future.result()
    except KafkaException as exc:
        return exc.args[0].code() not in (KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError.COORDINATOR_LOAD_IN_PROGRESS, KafkaError._TIMED_OUT)
    return True
