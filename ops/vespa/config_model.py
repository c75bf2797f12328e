"""Vespa's config model, fetched and run to read an application package as Vespa does.

``install`` resolves ``com.yahoo.vespa:config-model`` and the jars a Vespa container provides it
(``container-dev`` and three more) with Maven into the stack's download cache, then compiles
``ApplicationReader.java`` there (once per version of that file). ``ConfigModel.read`` runs it
on a package: an ``ApplicationReading`` back, or ``ApplicationRejected`` with Vespa's message.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.stack.exceptions import PrerequisiteMissing
from ops.stack.fetch import fetch_jars
from ops.stack.java import find_java
from ops.stack.settings import StackSettings
from ops.stack.versions import VESPA_MIN_JAVA, VESPA_VERSION
from ops.vespa.exceptions import ApplicationRejected, ReaderFailed

READER_SOURCE = Path(__file__).with_name("ApplicationReader.java")
#: config-model declares most of its dependencies "provided" (a Vespa container has them):
#: container-dev brings the container's, the others are what config-model needs besides.
ARTIFACTS = tuple(
    f"com.yahoo.vespa:{name}:{VESPA_VERSION}"
    for name in ("config-model", "container-dev", "config-model-api", "config-provisioning")
)
#: Needed for its classes only; its own dependencies (gRPC, Kotlin, an OpenAI client) are not.
ALONE = (f"com.yahoo.vespa:model-integration:{VESPA_VERSION}",)
_REFUSED = 3  # ApplicationReader's exit status for a package Vespa refuses


@dataclass(frozen=True)
class VespaField:
    name: str
    type: str  # as Vespa names it: "string", "long", "Array<string>"
    attribute: bool
    index: bool


@dataclass(frozen=True)
class ApplicationReading:
    """What Vespa read: per document type its fields; content clusters when the model was built."""

    documents: dict[str, tuple[VespaField, ...]]
    content_clusters: dict[str, list[str]] | None
    deploy_log: list[dict[str, str]]
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, reading: dict[str, Any]) -> ApplicationReading:
        documents = {
            schema["document"]: tuple(VespaField(**field) for field in schema["fields"]) for schema in reading["schemas"]
        }
        return cls(documents, reading.get("content_clusters"), reading["deploy_log"], reading)

    def document_field_types(self) -> dict[str, dict[str, str]]:
        """``{document type: {field: Vespa type}}``, what the document/v1 test server checks against."""
        return {doctype: {f.name: f.type for f in fields} for doctype, fields in self.documents.items()}


@dataclass(frozen=True)
class ConfigModel:
    java: Path
    classpath: str

    def read(self, application: Path, *, model: bool = True, timeout_s: float = 300) -> ApplicationReading:
        """Vespa's reading of the package in ``application``: its schemas, and with ``model`` the
        whole application model from ``services.xml`` (validated as a deployment would)."""
        if not application.is_dir():
            raise ApplicationRejected(f"no application package at {application}")
        argv = [str(self.java), "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", self.classpath,
                "ApplicationReader", str(application), *(["--model"] if model else [])]
        try:
            run = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise ReaderFailed(f"Vespa's config model took over {timeout_s:.0f}s to read {application}") from exc
        if run.returncode == _REFUSED:
            raise ApplicationRejected(f"Vespa refuses the application package {application}: {run.stderr.strip()}")
        failed = f"ApplicationReader failed (exit {run.returncode}) on {application}:\n" + "\n".join(
            run.stderr.strip().splitlines()[-15:]
        )
        if run.returncode != 0:
            raise ReaderFailed(failed)
        try:
            return ApplicationReading.from_json(json.loads(run.stdout))
        except (ValueError, KeyError, TypeError) as exc:
            raise ReaderFailed(failed) from exc


def install(settings: StackSettings | None = None) -> ConfigModel:
    """Fetch the config model (first run only) and compile the reader against it (once)."""
    settings = settings or StackSettings.from_env()
    java = find_java(
        VESPA_MIN_JAVA, explicit_home=settings.java_home, setting="OFFICESTREAM_STACK_JAVA_HOME",
        purpose="Vespa's config model",
    ).executable
    javac = java.resolve().parent / "javac"
    if not javac.is_file():
        raise PrerequisiteMissing(
            f"compiling the Vespa package check needs a JDK, and {java} has no javac: "
            "apt-get install openjdk-17-jdk-headless, or set OFFICESTREAM_STACK_JAVA_HOME to a JDK"
        )
    cache = settings.downloads_dir / f"vespa-config-model-{VESPA_VERSION}"
    libs = fetch_jars(ARTIFACTS, cache, f"Vespa's config model {VESPA_VERSION}", intransitive=ALONE)
    classes = _compiled(javac, libs, cache)
    return ConfigModel(java, f"{classes}{os.pathsep}{libs / '*'}")


def _compiled(javac: Path, libs: Path, cache: Path) -> Path:
    """The reader's classes, in a folder named by its source's hash that appears only complete
    (compiled aside, then renamed), so an interrupted compile is never taken for a finished one."""
    source = READER_SOURCE.read_bytes()
    classes = cache / f"reader-{hashlib.sha256(source).hexdigest()[:16]}"
    if classes.is_dir():
        return classes
    scratch = Path(tempfile.mkdtemp(prefix=".reader-", dir=cache))
    try:
        run = subprocess.run(
            [str(javac), "--release", str(VESPA_MIN_JAVA), "-cp", str(libs / "*"), "-d", str(scratch), str(READER_SOURCE)],
            capture_output=True, text=True, timeout=300,
        )
        if run.returncode != 0:
            raise ReaderFailed(f"javac could not compile {READER_SOURCE}:\n{run.stdout}{run.stderr}")
        try:
            scratch.rename(classes)
        except OSError:  # another process compiled the same source first: use theirs
            if not classes.is_dir():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return classes
