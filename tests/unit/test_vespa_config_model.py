"""How ops/vespa/config_model.py takes ApplicationReader's answers, with a stand-in `java`
(the real reader, on the real config model, is tested in tests/integration/vespa)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.vespa.config_model import ConfigModel
from ops.vespa.exceptions import ApplicationRejected, ReaderFailed

READING = {
    "schemas": [{"name": "note", "document": "note", "fields": [
        {"name": "title", "type": "string", "attribute": False, "index": True},
        {"name": "tags", "type": "Array<string>", "attribute": True, "index": False},
    ]}],
    "deploy_log": [],
}


def answering(tmp_path: Path, *, status: int, stdout: str = "", stderr: str = "") -> ConfigModel:
    (tmp_path / "out").write_text(stdout)
    (tmp_path / "err").write_text(stderr)
    java = tmp_path / "java"
    java.write_text(f"#!/bin/sh\ncat {tmp_path / 'out'}\ncat {tmp_path / 'err'} >&2\nexit {status}\n")
    java.chmod(0o755)
    return ConfigModel(java, "unused")


def test_a_reading_gives_each_document_types_fields_and_vespa_types(tmp_path: Path) -> None:
    reading = answering(tmp_path, status=0, stdout=json.dumps(READING)).read(tmp_path, model=False)
    assert reading.document_field_types() == {"note": {"title": "string", "tags": "Array<string>"}}
    assert reading.content_clusters is None and reading.raw == READING


def test_a_refusal_carries_vespas_message(tmp_path: Path) -> None:
    model = answering(tmp_path, status=3, stderr="unknown type named 'strng' in context document 'note'\n")
    with pytest.raises(ApplicationRejected, match=r"refuses the application package .*: unknown type named 'strng'"):
        model.read(tmp_path)


@pytest.mark.parametrize("status, stdout", [(1, ""), (0, "not json"), (0, '{"schemas": []}')])
def test_a_crash_or_unreadable_answer_is_the_readers_failure_not_a_refusal(tmp_path: Path, status, stdout) -> None:
    model = answering(tmp_path, status=status, stdout=stdout, stderr="Exception in thread main\n\tat X.main\n")
    with pytest.raises(ReaderFailed, match=f"exit {status}"):
        model.read(tmp_path)


def test_a_missing_folder_is_refused_before_java_runs(tmp_path: Path) -> None:
    with pytest.raises(ApplicationRejected, match="no application package at"):
        ConfigModel(tmp_path / "no-java", "unused").read(tmp_path / "nowhere")
