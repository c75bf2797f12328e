"""`officestream normalize` on provider payload files, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.unit.google import payloads as google
from tests.unit.microsoft import graph_samples as graph


def normalize(tmp_path, payload, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "payload.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "normalize", str(path), *args], capture_output=True, text=True, timeout=60
    )


def test_graph_message_prints_the_canonical_email(tmp_path):
    result = normalize(tmp_path, graph.MESSAGE_HTML, "--provider", "microsoft", "--kind", "email")
    assert result.returncode == 0, result.stderr
    email = json.loads(result.stdout)
    assert (email["id"], email["provider"], email["subject"]) == ("AAMkAGUAAAwTW09AAA=", "microsoft", "Meet for lunch?")
    assert email["from_address"]["email"] == "adelev@contoso.onmicrosoft.com"
    assert email["version_marker"] == graph.MESSAGE_HTML["changeKey"]


def test_gmail_full_message_prints_the_canonical_email(tmp_path):
    payload = google.gmail_full_message()
    result = normalize(tmp_path, payload, "--provider", "google", "--kind", "email")
    assert result.returncode == 0, result.stderr
    email = json.loads(result.stdout)
    assert (email["id"], email["provider"]) == (payload["id"], "google")
    assert "agenda" in email["body_text"] and email["attachments"]


def test_an_unreadable_payload_exits_1_saying_what_is_wrong(tmp_path):
    result = normalize(tmp_path, {"id": "x", "payload": "not a part tree"}, "--provider", "google", "--kind", "email")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "payload.json" in line


def test_a_file_that_is_not_json_exits_1(tmp_path):
    result = normalize(tmp_path, "{ nope", "--provider", "microsoft", "--kind", "event")
    assert result.returncode == 1 and "not JSON" in result.stderr
