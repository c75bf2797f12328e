"""Downloading stack components from Maven Central with Maven, into a reusable cache.

Maven, not a hand-written HTTP downloader: it resolves Kafka's transitive jars, verifies
checksums, honours the user's mirror settings (~/.m2/settings.xml) and keeps a local repository,
so a second stack needs no network at all.

A component's cache directory (named by its pinned version) is usable only once its
``.complete`` marker is written, last: an interrupted download leaves none and is done again
from scratch. A lock file beside the directory keeps two processes sharing one cache (two
checkouts, or a test session beside ``stack up``) from fetching into it at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from ops.stack.exceptions import DownloadFailed, PrerequisiteMissing
from ops.stack.versions import MAVEN_DEPENDENCY_PLUGIN

COMPLETE_MARKER = ".complete"


def is_cached(directory: Path) -> bool:
    """A component directory is usable only once its download finished."""
    return (directory / COMPLETE_MARKER).is_file()


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even if we are killed
        yield


def _mvn() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise PrerequisiteMissing("Maven (mvn) is needed to download Kafka and the registry: apt-get install maven")
    return mvn


def _run_maven(args: list[str], workdir: Path, what: str) -> None:
    # Maven's "Downloading from central: ..." lines are the visible progress of a first run.
    print(f"[stack] downloading {what} with Maven (first run only)...", file=sys.stderr, flush=True)
    log = workdir / "maven.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            # -U: an artifact an earlier run was told is missing (a mirror not yet in sync) is
            # asked for again, instead of Maven trusting that answer for a day.
            [_mvn(), "-B", "-U", *args], cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            if "Downloaded from" in line or "ERROR" in line:
                print(f"[stack]   {line.strip()}", file=sys.stderr, flush=True)
        code = process.wait()
    if code != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
        raise DownloadFailed(f"Maven could not download {what} (exit {code}); see {log}\n{tail}")


def _dependency(coordinate: str, intransitive: bool) -> str:
    group, artifact, version = (escape(part) for part in coordinate.split(":"))
    # A wildcard exclusion keeps the artifact and drops everything it depends on.
    exclusions = "<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>"
    return (
        f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version>"
        f"{exclusions if intransitive else ''}</dependency>"
    )


def fetch_jars(coordinates: Iterable[str], target: Path, what: str, *, intransitive: Iterable[str] = ()) -> Path:
    """Resolve ``group:artifact:version`` coordinates with their runtime deps into ``target/libs``;
    those also listed in ``intransitive`` come without their own dependencies."""
    alone = list(intransitive)
    with _locked(target):
        if is_cached(target):
            return target / "libs"
        target.mkdir(parents=True, exist_ok=True)
        dependencies = "".join(_dependency(c, c in alone) for c in [*coordinates, *alone])
        (target / "pom.xml").write_text(
            '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
            "<groupId>officestream.stack</groupId><artifactId>fetch</artifactId><version>0</version>"
            f"<packaging>pom</packaging><dependencies>{dependencies}</dependencies></project>"
        )
        shutil.rmtree(target / "libs", ignore_errors=True)
        _run_maven(
            [f"{MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies", "-DoutputDirectory=libs", "-DincludeScope=runtime"],
            target,
            what,
        )
        (target / COMPLETE_MARKER).write_text("ok\n")
    return target / "libs"


def fetch_archive(coordinate: str, target: Path, what: str) -> Path:
    """Fetch one ``group:artifact:version:type:classifier`` archive and unpack it into ``target/app``."""
    with _locked(target):
        if is_cached(target):
            return target / "app"
        target.mkdir(parents=True, exist_ok=True)
        (target / "pom.xml").write_text(
            '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
            "<groupId>officestream.stack</groupId><artifactId>fetch</artifactId><version>0</version>"
            "<packaging>pom</packaging></project>"
        )
        shutil.rmtree(target / "download", ignore_errors=True)
        _run_maven(
            [f"{MAVEN_DEPENDENCY_PLUGIN}:copy", f"-Dartifact={coordinate}", "-DoutputDirectory=download"], target, what
        )
        archives = list((target / "download").glob("*.tar.gz"))
        if len(archives) != 1:
            raise DownloadFailed(f"expected one .tar.gz for {coordinate} in {target / 'download'}, found {archives}")
        app = target / "app"
        shutil.rmtree(app, ignore_errors=True)
        with tarfile.open(archives[0]) as archive:
            archive.extractall(app, filter="data")
        archives[0].unlink()  # the unpacked copy and Maven's local repository are enough
        (target / COMPLETE_MARKER).write_text("ok\n")
    return app
