"""Redis from Debian's ``redis-server`` package, with its own port, directory and log."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import redis

from ops.stack.component import Component, Probe
from ops.stack.exceptions import PrerequisiteMissing
from ops.stack.process import port_accepts


class RedisServer(Component):
    name = "redis"

    @property
    def address(self) -> str:
        return self.settings.redis_url

    def ports(self) -> dict[str, int]:
        return {"OFFICESTREAM_STACK_REDIS_PORT": self.settings.redis_port}

    def check(self) -> None:
        if shutil.which("redis-server") is None and not _can_apt():
            raise PrerequisiteMissing("redis-server is missing: install Debian's redis-server package (apt-get install redis-server)")

    def install(self) -> None:
        if shutil.which("redis-server") is not None:
            return
        print("[stack] installing redis-server with apt-get...", file=sys.stderr, flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "redis-server"]):
            if subprocess.run(argv, env=env).returncode != 0:
                raise PrerequisiteMissing(f"`{' '.join(argv)}` failed: install redis-server by hand")

    def launch(self) -> int:
        s = self.settings
        self.state_dir.mkdir(parents=True, exist_ok=True)
        config = self.state_dir / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    f"bind {s.host}",
                    f"port {s.redis_port}",
                    f"dir {self.state_dir}",
                    "daemonize no",
                    'logfile ""',
                    # Keep argv as given: the process table recognises our process by its exact command.
                    "set-proc-title no",
                    # Payload references must survive a restart: append-only file, fsync each second.
                    "appendonly yes",
                    "appendfsync everysec",
                    "",
                ]
            )
        )
        return self.processes.start(self.name, self.command(), cwd=self.state_dir)

    def command(self) -> list[str]:
        return [shutil.which("redis-server") or "redis-server", str(self.state_dir / "redis.conf")]

    def probe(self) -> Probe:
        s = self.settings
        if not port_accepts(s.host, s.redis_port):
            return Probe(False, "?", "not listening")
        try:
            client = redis.Redis(host=s.host, port=s.redis_port, socket_timeout=2, socket_connect_timeout=2)
            info = client.info("server")
            keys = client.dbsize()
        except redis.RedisError as exc:
            return Probe(False, "?", f"{type(exc).__name__}: {exc}")
        return Probe(True, str(info.get("redis_version", "?")), f"{keys} keys")


def _can_apt() -> bool:
    return shutil.which("apt-get") is not None and os.geteuid() == 0
