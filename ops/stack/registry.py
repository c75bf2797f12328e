"""Apicurio Registry, reached only through its Confluent-compatible API (``/apis/ccompat/v7``).

Storage is an H2 database file under the stack directory, not the in-memory default: schema
ids written into Kafka messages must still resolve after the registry restarts, or replaying
from old offsets would fail.
"""

from __future__ import annotations

import httpx

from ops.stack.component import Component, Probe
from ops.stack.fetch import fetch_archive
from ops.stack.java import JavaInstall, find_java
from ops.stack.process import port_accepts
from ops.stack.versions import APICURIO_MIN_JAVA, APICURIO_VERSION


class ApicurioRegistry(Component):
    name = "registry"

    @property
    def address(self) -> str:
        return self.settings.registry_url

    @property
    def _cache(self):
        return self.settings.downloads_dir / f"apicurio-registry-{APICURIO_VERSION}"

    def ports(self) -> dict[str, int]:
        return {
            "OFFICESTREAM_STACK_REGISTRY_PORT": self.settings.registry_port,
            "OFFICESTREAM_STACK_REGISTRY_MANAGEMENT_PORT": self.settings.registry_management_port,
        }

    def _java(self) -> JavaInstall:
        return find_java(
            APICURIO_MIN_JAVA,
            explicit_home=self.settings.registry_java_home,
            setting="OFFICESTREAM_STACK_REGISTRY_JAVA_HOME",
            purpose=f"Apicurio Registry {APICURIO_VERSION}",
        )

    def check(self) -> None:
        self._java()

    def install(self) -> None:
        fetch_archive(
            f"io.apicurio:apicurio-registry-app:{APICURIO_VERSION}:tar.gz:all",
            self._cache,
            f"Apicurio Registry {APICURIO_VERSION}",
        )

    def command(self) -> list[str]:
        s = self.settings
        return [
            str(self._java().executable),
            f"-Xmx{s.registry_heap}",
            f"-Dquarkus.http.host={s.host}",
            f"-Dquarkus.http.port={s.registry_port}",
            f"-Dquarkus.management.host={s.host}",
            f"-Dquarkus.management.port={s.registry_management_port}",
            f"-Dapicurio.datasource.url=jdbc:h2:file:{self.state_dir / 'db' / 'registry'}",
            "-Dquarkus.log.console.color=false",
            "-jar",
            str(self._cache / "app" / "quarkus-run.jar"),
        ]

    def launch(self) -> int:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self.processes.start(self.name, self.command(), cwd=self.state_dir)

    def probe(self) -> Probe:
        s = self.settings
        if not port_accepts(s.host, s.registry_port):
            return Probe(False, APICURIO_VERSION, "not listening")
        base = f"http://{s.host}:{s.registry_port}"
        try:
            info = httpx.get(f"{base}/apis/registry/v3/system/info", timeout=3)
            # Apicurio's own search gives the count; its Confluent-compatible /subjects lists
            # at most 1,000 names (a long-lived local registry has more).
            subjects = httpx.get(f"{base}/apis/registry/v3/search/artifacts", params={"limit": 1}, timeout=3)
        except httpx.HTTPError as exc:
            return Probe(False, APICURIO_VERSION, f"{type(exc).__name__}: {exc}")
        if info.status_code != 200 or subjects.status_code != 200:
            return Probe(False, APICURIO_VERSION, f"HTTP {info.status_code}/{subjects.status_code}")
        return Probe(True, info.json().get("version", APICURIO_VERSION), f"{subjects.json().get('count', '?')} subjects")
