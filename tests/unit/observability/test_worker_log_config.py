"""The faust workers' logging config (connectors/logs.py ``faust_logging_config``) applied the
way the worker CLI applies it (mode's ``_setup_logging``): off a terminal, text lines in mode's
format without colour codes, JSON lines on request, and ``-l/--loglevel`` still the level."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from mode.utils import logging as mode_logging

from connectors.logs import LogSettings, faust_logging_config

TEXT = LogSettings.from_env({})
JSON = LogSettings.from_env({"OFFICESTREAM_LOG_FORMAT": "json"})


class Stderr:
    """What the handler wrote to sys.stderr (pytest's capture: not a terminal)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.text = ""

    def getvalue(self) -> str:
        self.text += self.capsys.readouterr().err
        return self.text


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[Stderr]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield Stderr(capsys)
    root.handlers[:] = handlers
    root.setLevel(level)


def setup(settings: LogSettings, level: str, stream: Any) -> None:
    # What `faust worker -l <level>` does with the app's logging_config (mode.Worker); the
    # handler writes to sys.stderr as it is at this moment (capsys's buffer).
    config = faust_logging_config("shipments", settings, stream=io.StringIO())
    mode_logging._setup_logging(level=level, stream=sys.stderr, logging_config=config)


def test_text_lines_off_a_terminal_have_mode_s_shape_and_no_colour_codes(stderr: Stderr) -> None:
    setup(TEXT, "INFO", None)
    logging.getLogger("officestream.processors").info("handled service=%s outcome=%s", "shipments", "applied")
    line = stderr.getvalue().strip()
    assert line.endswith("[INFO]: handled service=shipments outcome=applied")
    assert line.startswith("[") and "\\x1b[" not in line  # no escape codes to strip again


def test_the_worker_s_loglevel_still_decides_in_both_formats(stderr: Stderr) -> None:
    for settings in (TEXT, JSON):
        setup(settings, "WARNING", None)
        log = logging.getLogger("officestream.processors")
        log.info("handled service=shipments outcome=applied")
        log.warning("dead-lettered service=shipments")
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 2 and "handled" not in stderr.getvalue()
    assert lines[0].rstrip().endswith("[WARNING]: dead-lettered service=shipments")
    assert json.loads(lines[1])["event"] == "dead-lettered service=shipments"


def test_the_handler_is_replaced_not_added(stderr: Stderr) -> None:
    setup(TEXT, "INFO", None)
    logging.getLogger("x").info("once")
    assert stderr.getvalue().count("once") == 1
    assert not any(type(h.formatter).__name__ == "ExtensionFormatter" for h in logging.getLogger().handlers)
