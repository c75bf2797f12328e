"""Finding a JDK new enough for a component (Kafka needs 17+, Apicurio Registry 3.3 needs 21+)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ops.stack.exceptions import PrerequisiteMissing

# `java -version` prints: openjdk version "17.0.15"; a JDK's release file says JAVA_VERSION="17.0.15".
_VERSION = re.compile(r'(?:^JAVA_VERSION=| version )"(\d+)(?:\.(\d+))?', re.MULTILINE)


@dataclass(frozen=True)
class JavaInstall:
    executable: Path
    major: int


def java_major(executable: Path) -> int | None:
    """The major version of a ``java`` executable, or None when it does not run."""
    release = executable.resolve().parent.parent / "release"
    text = release.read_text(errors="replace") if release.is_file() else ""
    if "JAVA_VERSION=" not in text:
        try:
            run = subprocess.run([str(executable), "-version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        text = run.stderr
    match = _VERSION.search(text)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _candidates(explicit_home: Path | None) -> list[Path]:
    if explicit_home is not None:
        return [explicit_home / "bin" / "java"]
    found: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        found.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        found.append(Path(on_path))
    jvm_root = Path("/usr/lib/jvm")
    if jvm_root.is_dir():
        found.extend(sorted(p / "bin" / "java" for p in jvm_root.iterdir() if (p / "bin" / "java").is_file()))
    return found


def find_java(min_major: int, *, explicit_home: Path | None, setting: str, purpose: str) -> JavaInstall:
    """The first JDK of at least ``min_major``; ``setting`` names the variable that picks one."""
    seen: list[str] = []
    for executable in _candidates(explicit_home):
        if not executable.is_file():
            seen.append(f"{executable} (missing)")
            continue
        major = java_major(executable)
        if major is not None and major >= min_major:
            return JavaInstall(executable, major)
        seen.append(f"{executable} ({major or 'unknown'})")
    looked = "; looked at " + ", ".join(seen) if seen else "; no java found at all"
    raise PrerequisiteMissing(
        f"{purpose} needs Java {min_major}+{looked}. Install a JDK {min_major}+ or set {setting} to one"
    )
