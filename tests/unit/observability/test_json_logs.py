"""The JSON log lines (connectors/logs.py): fields lifted from the project's key=value words,
the service named, secrets masked, and the setting refused when misspelt."""

from __future__ import annotations

import json
import logging

import pytest

from connectors.logs import LogSettings, faust_logging_config, formatter, json_formatter
from schemas.envsettings import SettingsError


class _Terminal:
    def isatty(self) -> bool:
        return True


def line(message: str, *args: object, level: int = logging.WARNING, **extra: object) -> dict:
    record = logging.LogRecord("officestream.processors", level, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return json.loads(json_formatter("shipments").format(record))


def test_a_dead_letter_line_carries_its_topic_partition_offset_and_event_as_fields():
    got = line("dead-lettered service=%s where=%s event_id=%s error=%s", "shipments", "t-email-updates[3]@17",
               "dc539f67-39f5", "PartitionsMismatch: no")
    assert got["event"].startswith("dead-lettered service=shipments")
    assert (got["topic"], got["partition"], got["offset"]) == ("t-email-updates", 3, 17)
    assert got["event_id"] == "dc539f67-39f5" and got["service"] == "shipments" and got["level"] == "warning"
    assert got["logger"] == "officestream.processors" and got["timestamp"].endswith("Z")


def test_tokens_in_a_message_and_secret_named_words_are_masked():
    got = line("refresh failed token=%s header=%s next=%s", "1//0gabc-refresh", "Bearer eyJ0eXAi.eyJzdWIi.c2ln",
               "ya29.a0AfH6SM")
    text = json.dumps(got)
    for secret in ("1//0gabc-refresh", "eyJ0eXAi.eyJzdWIi.c2ln", "ya29.a0AfH6SM"):
        assert secret not in text
    assert got["token"] == "***"


def test_an_exception_is_rendered_into_the_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info())
    got = json.loads(json_formatter("bridge").format(record))
    assert "ValueError: boom" in got["exception"]


def test_text_stays_the_default_and_a_misspelt_setting_is_refused():
    assert not isinstance(formatter("x", LogSettings.from_env({})), type(json_formatter("x")))
    assert faust_logging_config("x", LogSettings.from_env({}), stream=_Terminal()) is None  # faust's own colours
    assert faust_logging_config("x", LogSettings.from_env({"OFFICESTREAM_LOG_FORMAT": "json"}))["formatters"]
    with pytest.raises(SettingsError):
        LogSettings.from_env({"OFFICESTREAM_LOG_FROMAT": "json"})
    with pytest.raises(SettingsError):
        LogSettings.from_env({"OFFICESTREAM_LOG_FORMAT": "yaml"})
