"""`officestream normalize` on provider payload files, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


@pytest.mark.parametrize(("payload", "provider", "kind", "says"), [
    (graph.MESSAGE_HTML, "microsoft", "contact", "contact: the payload is a message, not a contact"),
    (graph.EVENT_PACIFIC, "microsoft", "email", "email: the payload is an event, not a message"),
    ({**graph.CONTACT, "@odata.type": "#microsoft.graph.contact"}, "microsoft", "event", "'@odata.type' is '#microsoft.graph.contact'"),
    (google.all_day_event(), "google", "email", "the payload's kind is 'calendar#event', not a Gmail message"),
    (google.gmail_full_message(), "google", "contact", "the payload is a Gmail message, not a People person"),
])
def test_a_payload_of_another_kind_exits_1_saying_what_it_is(tmp_path, payload, provider: str, kind: str, says: str):
    assert says in _one_error_line(normalize(tmp_path, payload, "--provider", provider, "--kind", kind))


def test_json_nested_100000_deep_exits_1_with_one_line(tmp_path):
    deep = '{"id": "x", "subject": ' + "[" * 100_000 + "]" * 100_000 + "}"
    line = _one_error_line(normalize(tmp_path, deep, "--provider", "microsoft", "--kind", "email"))
    assert "nest deeper than the reader allows" in line


@pytest.mark.parametrize(("payload", "provider", "kind", "says"), [
    ({**google.person_with_several_addresses(), "metadata": "deleted"}, "google", "contact",
     "people/c1234567890.metadata: expected a JSON object, got a string"),
    ({**graph.SERIES_MASTER, "recurrence": {**graph.SERIES_MASTER["recurrence"], "pattern": {
        **graph.SERIES_MASTER["recurrence"]["pattern"], "type": "relativeMonthly", "index": ["first"]}}},
     "microsoft", "event", "field 'index' must be a string, got a list"),
    ({**graph.SERIES_MASTER, "recurrence": {**graph.SERIES_MASTER["recurrence"], "pattern": {
        **graph.SERIES_MASTER["recurrence"]["pattern"], "firstDayOfWeek": 0}}},
     "microsoft", "event", "field 'firstDayOfWeek' must be a string, got a number"),
    ({**graph.MESSAGE_HTML, "categories": json.loads("[" * 900 + "]" * 900)}, "microsoft", "email",
     "field 'categories' must be a list of strings"),
])
def test_a_malformed_payload_exits_1_naming_the_field(tmp_path, payload, provider: str, kind: str, says: str):
    assert says in _one_error_line(normalize(tmp_path, payload, "--provider", provider, "--kind", kind))
