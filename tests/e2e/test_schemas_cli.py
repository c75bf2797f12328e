"""`officestream schemas register | check` as a schema-change pull request runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from schemas.avsc import AVRO_DIR

#: Ten source events, and the services' three derived events (meeting-updates: two, shipment-updates: one).
EVENT_SUBJECTS = 13


@pytest.fixture
def cli_env(stack, topic_prefix):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_")}
    env.update(
        OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS=stack.kafka.bootstrap_servers,
        OFFICESTREAM_KAFKA_TOPIC_PREFIX=topic_prefix,
        OFFICESTREAM_REGISTRY_URL=stack.registry.url,
    )
    return env


def officestream(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def edited_schemas(tmp_path, edit) -> str:
    directory = tmp_path / "avro"
    shutil.copytree(AVRO_DIR, directory)
    path = directory / "io.officestream.Email.avsc"
    schema = json.loads(path.read_text())
    edit(schema)
    path.write_text(json.dumps(schema))
    return str(directory)


def statuses(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.splitlines()[1:] if not line.startswith(" ")]


def test_register_is_idempotent(cli_env, topic_prefix):
    first = officestream("schemas", "register", env=cli_env)
    assert first.returncode == 0, first.stderr
    assert statuses(first.stdout) == ["registered"] * EVENT_SUBJECTS
    assert f"{topic_prefix}calendar-updates-io.officestream.CalendarBatchEvent" in first.stdout
    for subject in ("meeting-updates-io.officestream.MeetingUpdateEvent", "meeting-updates-io.officestream.MeetingsSyncedEvent",
                    "shipment-updates-io.officestream.ShipmentUpdateEvent"):
        assert f"registered   {topic_prefix}{subject} " in first.stdout
    again = officestream("schemas", "register", env=cli_env)
    assert again.returncode == 0 and statuses(again.stdout) == ["unchanged"] * EVENT_SUBJECTS


def test_check_accepts_a_compatible_change(cli_env, tmp_path):
    officestream("schemas", "register", env=cli_env)
    add_optional = lambda s: s["fields"].append(  # noqa: E731
        {"name": "importance", "type": ["null", "string"], "default": None, "doc": "Importance flag."}
    )
    result = officestream("schemas", "check", edited_schemas(tmp_path, add_optional), env=cli_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(statuses(result.stdout)) == ["compatible"] * 2 + ["unchanged"] * (EVENT_SUBJECTS - 2)


def test_check_refuses_an_incompatible_change_with_an_explanation(cli_env, tmp_path):
    officestream("schemas", "register", env=cli_env)

    def subject_to_int(schema):
        next(f for f in schema["fields"] if f["name"] == "subject")["type"] = ["null", "int"]

    result = officestream("schemas", "check", edited_schemas(tmp_path, subject_to_int), env=cli_env)
    assert result.returncode == 1
    assert statuses(result.stdout).count("incompatible") == 2
    assert "new schema cannot read data written with version 1: missing_union_branch at emails[].subject" in result.stdout
    assert "readers on version 1 cannot read data written with the new schema" in result.stdout


def test_removing_a_field_without_default_is_refused(cli_env, tmp_path):
    officestream("schemas", "register", env=cli_env)
    drop_id = lambda s: s["fields"].pop(0)  # noqa: E731  (Email.id has no default)
    result = officestream("schemas", "check", edited_schemas(tmp_path, drop_id), env=cli_env)
    assert result.returncode == 1
    assert "readers on version 1 cannot read data written with the new schema: reader_field_missing_default_value" in result.stdout


def test_a_schema_file_that_does_not_parse_is_a_one_line_error(cli_env, tmp_path):
    directory = tmp_path / "avro"
    shutil.copytree(AVRO_DIR, directory)
    (directory / "io.officestream.Contact.avsc").write_text("{ not json")
    result = officestream("schemas", "check", str(directory), env=cli_env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: io.officestream.Contact.avsc: not valid JSON (line 1, column 3): Expecting property name enclosed in double quotes"
    ]


def test_an_unreachable_registry_is_a_one_line_error(cli_env):
    cli_env.update(OFFICESTREAM_REGISTRY_URL="http://127.0.0.1:1", OFFICESTREAM_REGISTRY_MAX_RETRIES="0")
    result = officestream("schemas", "register", env=cli_env)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "schema registry unreachable" in line
