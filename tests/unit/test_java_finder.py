"""Choosing a JDK by major version, from fake JDK folders (no real Java is run)."""

from pathlib import Path

import pytest

from ops.stack.exceptions import PrerequisiteMissing
from ops.stack.java import find_java, java_major


def fake_jdk(root: Path, version: str) -> Path:
    (root / "bin").mkdir(parents=True)
    java = root / "bin" / "java"
    java.write_text("#!/bin/sh\nexit 0\n")
    java.chmod(0o755)
    (root / "release").write_text(f'IMPLEMENTOR="Test"\nJAVA_RUNTIME_VERSION="x"\nJAVA_VERSION="{version}"\n')
    return root


def test_major_version_is_read_from_the_release_file(tmp_path):
    assert java_major(fake_jdk(tmp_path / "j17", "17.0.15") / "bin" / "java") == 17
    assert java_major(fake_jdk(tmp_path / "j8", "1.8.0_392") / "bin" / "java") == 8


def test_an_explicit_jdk_new_enough_is_used(tmp_path):
    home = fake_jdk(tmp_path / "j25", "25.0.3")
    found = find_java(21, explicit_home=home, setting="X_HOME", purpose="Registry")
    assert found.major == 25 and found.executable == home / "bin" / "java"


def test_a_too_old_jdk_is_refused_naming_the_setting(tmp_path):
    home = fake_jdk(tmp_path / "j17", "17.0.1")
    with pytest.raises(PrerequisiteMissing, match=r"Registry needs Java 21\+.*\(17\).*set X_HOME"):
        find_java(21, explicit_home=home, setting="X_HOME", purpose="Registry")


def test_a_missing_jdk_is_refused_naming_the_setting(tmp_path):
    with pytest.raises(PrerequisiteMissing, match=r"missing.*set OFFICESTREAM_STACK_JAVA_HOME"):
        find_java(17, explicit_home=tmp_path / "nope", setting="OFFICESTREAM_STACK_JAVA_HOME", purpose="Kafka")
