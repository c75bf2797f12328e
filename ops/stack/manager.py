"""``stack up | down | status``: the local stack as a whole.

``up`` is idempotent: a component already running and healthy is reused. Everything that can
be wrong with the configuration (Java, ports, redis-server) is checked before anything is
downloaded or started.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from ops.stack.component import Component, ComponentStatus
from ops.stack.exceptions import ComponentFailed, PortInUse, StackError
from ops.stack.kafka import kafka_nodes
from ops.stack.process import ProcessTable, port_is_free
from ops.stack.redis_server import RedisServer
from ops.stack.registry import ApicurioRegistry
from ops.stack.settings import StackSettings, remember_brokers

Say = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def build_components(settings: StackSettings) -> list[Component]:
    """The components, their pid files of an older version upgraded (``adopt_legacy_pid_files``)."""
    processes = ProcessTable(run_dir=settings.run_dir, logs_dir=settings.logs_dir)
    components = [*kafka_nodes(settings, processes), *(cls(settings, processes) for cls in (ApicurioRegistry, RedisServer))]
    adopt_legacy_pid_files(components)
    return components


def adopt_legacy_pid_files(components: list[Component]) -> None:
    """A stack started by an older version wrote bare pids: keep managing a process that runs
    exactly the component's command (anything else is not ours, and its pid file is dropped)."""
    for component in components:
        if component.processes.record(component.name) is not None:
            continue
        try:
            component.processes.adopt_legacy(component.name, component.command())
        except StackError:  # its Java is gone: then it is not running its command either
            pass


def up(settings: StackSettings, *, say: Say = _stderr) -> list[ComponentStatus]:
    """Start what is not running, reuse what is healthy, wait until everything is healthy."""
    start(settings, build_components(settings), say=say)
    return status(settings)


def start(settings: StackSettings, components: list[Component], *, say: Say = _stderr) -> None:
    """``up`` for some of the components (a test may want Kafka alone); the Kafka node count is
    remembered in the stack directory for the commands that follow."""
    _refuse_other_kafka_layout(settings, components)
    to_start = [c for c in components if c.processes.pid(c.name) is None]
    for component in to_start:
        component.check()
        _require_free_ports(component, settings.host)
    remember_brokers(settings.dir, settings.kafka_brokers)
    for component in to_start:
        component.install()
    started: list[Component] = []
    try:
        for component in to_start:
            pid = component.launch()
            started.append(component)
            say(f"{component.name}: started pid {pid}, log {component.processes.log_path(component.name)}")
        for component in components:
            if component not in to_start:
                say(f"{component.name}: already running (pid {component.processes.pid(component.name)})")
        _wait_healthy(components, settings.start_timeout_s, say)
    except BaseException:
        if started:  # together: cluster nodes stopped one by one would wait for a lost quorum
            started[0].processes.stop_all([c.name for c in started], timeout_s=10)
        raise


def _stray_kafka_nodes(settings: StackSettings, processes: ProcessTable) -> list[str]:
    """Running Kafka nodes of another node count than ``settings``' (their pid files say so)."""
    wanted = {component.name for component in kafka_nodes(settings, processes)}
    return [name for name in processes.names("kafka*") if name not in wanted and processes.pid(name) is not None]


def _refuse_other_kafka_layout(settings: StackSettings, components: list[Component]) -> None:
    if not components:
        return
    stray = _stray_kafka_nodes(settings, components[0].processes)
    if stray:
        raise StackError(
            f"Kafka runs as {', '.join(stray)}, not the {settings.kafka_brokers} node(s) asked for; "
            "`officestream stack down` first to change the number of brokers"
        )


def _require_free_ports(component: Component, host: str) -> None:
    for setting, port in component.ports().items():
        if not port_is_free(host, port):
            raise PortInUse(
                f"{component.name}: port {port} on {host} is taken by a process the stack did not start; "
                f"set {setting} to a free port or stop that process"
            )


def _wait_healthy(components: list[Component], timeout_s: float, say: Say) -> None:
    started_at = time.monotonic()
    pending = list(components)
    while pending:
        for component in list(pending):
            if component.processes.pid(component.name) is None:
                raise ComponentFailed(
                    component.name, "exited during start-up", component.processes.log_tail(component.name)
                )
            if component.probe().healthy:
                say(f"{component.name}: healthy after {time.monotonic() - started_at:.1f}s")
                pending.remove(component)
        if pending and time.monotonic() - started_at > timeout_s:
            component = pending[0]
            raise ComponentFailed(
                component.name,
                f"not healthy after {timeout_s:.0f}s ({component.probe().detail}); "
                "raise OFFICESTREAM_STACK_START_TIMEOUT_S if this machine is slow",
                component.processes.log_tail(component.name),
            )
        if pending:
            time.sleep(0.5)


def down(settings: StackSettings, *, say: Say = _stderr) -> list[str]:
    """Stop the processes the stack started (by pid file); others are left alone."""
    components = build_components(settings)
    processes = components[0].processes
    # Nodes of another count (``stack up --brokers`` changed since) are the stack's as well.
    names = [*_stray_kafka_nodes(settings, processes), *(c.name for c in reversed(components))]
    kafka = [name for name in names if name.startswith("kafka")]
    stopped = []
    for group in ([n for n in names if n not in kafka], kafka):
        for name in processes.stop_all(group):
            say(f"{name}: stopped")
            stopped.append(name)
    return stopped


def status(settings: StackSettings) -> list[ComponentStatus]:
    """Each component's address, pid, health and version, probed now."""
    return [
        ComponentStatus(
            name=c.name,
            address=c.address,
            pid=c.processes.pid(c.name),
            probe=c.probe(),
        )
        for c in build_components(settings)
    ]
