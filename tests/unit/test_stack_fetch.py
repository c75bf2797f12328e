"""The download cache (ops/stack/fetch.py) with a stand-in `mvn` on PATH: no network, no Maven."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from ops.stack.exceptions import DownloadFailed
from ops.stack.fetch import fetch_archive, fetch_jars

# Does what `mvn ... copy-dependencies|copy -DoutputDirectory=<dir>` does, as $FAKE_MVN says:
# "fail" writes half a jar and exits 1; "jars" writes good.jar; "archive" writes app.tar.gz.
# Every run is appended to $FAKE_MVN_LOG; "slow" runs take a while, so overlaps would show.
FAKE_MVN = """\
import os, pathlib, sys, tarfile, time
log = pathlib.Path(os.environ["FAKE_MVN_LOG"])
log.write_text(log.read_text() + "start\\n" if log.exists() else "start\\n")
out = pathlib.Path([a.split("=", 1)[1] for a in sys.argv if a.startswith("-DoutputDirectory=")][0])
out.mkdir(parents=True, exist_ok=True)
mode = os.environ["FAKE_MVN"]
if "slow" in mode:
    time.sleep(0.5)
if "fail" in mode:
    (out / "half.jar").write_bytes(b"PK")
    sys.exit(1)
if "archive" in mode:
    (out / "readme").write_text("app")
    with tarfile.open(out / "app-1.0.tar.gz", "w:gz") as archive:
        archive.add(out / "readme", arcname="app/readme")
    (out / "readme").unlink()
else:
    (out / "good.jar").write_bytes(b"PK-complete")
log.write_text(log.read_text() + "end\\n")
"""


@pytest.fixture
def mvn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "mvn"
    script.write_text(f"#!{sys.executable}\n{FAKE_MVN}")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_MVN_LOG", str(tmp_path / "mvn.log"))

    def runs() -> list[str]:
        log = tmp_path / "mvn.log"
        return log.read_text().split() if log.exists() else []

    def behave(mode: str) -> None:
        monkeypatch.setenv("FAKE_MVN", mode)

    return behave, runs


def test_an_interrupted_download_is_done_again_from_scratch_then_reused(tmp_path: Path, mvn) -> None:
    behave, runs = mvn
    target = tmp_path / "cache" / "thing-1.0"
    behave("fail")
    with pytest.raises(DownloadFailed):
        fetch_jars(["g:a:1.0"], target, "thing")
    behave("jars")
    libs = fetch_jars(["g:a:1.0"], target, "thing")
    assert sorted(p.name for p in libs.iterdir()) == ["good.jar"]  # the half jar is gone
    fetch_jars(["g:a:1.0"], target, "thing")
    assert runs() == ["start", "start", "end"]  # the finished cache is reused, Maven not run again


def test_an_artifact_wanted_alone_comes_without_its_dependencies(tmp_path: Path, mvn) -> None:
    behave, _ = mvn
    behave("jars")
    target = tmp_path / "cache" / "thing-1.0"
    fetch_jars(["g:with-deps:1.0"], target, "thing", intransitive=["g:alone:1.0"])
    pom = (target / "pom.xml").read_text()
    wildcard = "<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>"
    assert f"<artifactId>alone</artifactId><version>1.0</version>{wildcard}</dependency>" in pom
    assert "<artifactId>with-deps</artifactId><version>1.0</version></dependency>" in pom


def test_two_fetches_into_one_cache_never_run_at_once(tmp_path: Path, mvn) -> None:
    behave, runs = mvn
    behave("jars slow")
    target = tmp_path / "cache" / "thing-1.0"
    threads = [threading.Thread(target=fetch_jars, args=(["g:a:1.0"], target, "thing")) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runs() == ["start", "end"]  # the second waited for the first, then found it cached


def test_a_leftover_archive_of_an_interrupted_fetch_is_not_unpacked(tmp_path: Path, mvn) -> None:
    behave, _ = mvn
    behave("archive")
    target = tmp_path / "cache" / "app-1.0"
    (target / "download").mkdir(parents=True)
    (target / "download" / "app-1.0-partial.tar.gz").write_bytes(b"\x1f\x8b truncated")
    app = fetch_archive("g:app:1.0:tar.gz:bin", target, "app")
    assert (app / "app" / "readme").read_text() == "app"
    assert not (target / "download" / "app-1.0-partial.tar.gz").exists()
