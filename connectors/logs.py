"""How every officestream process writes its log: text lines (the default, for people at a
terminal) or JSON lines (``OFFICESTREAM_LOG_FORMAT=json``, for a log pipeline), one formatter
for the bridge, the CLI and the faust workers alike.

The JSON side is structlog's ``ProcessorFormatter`` over the standard ``logging`` records the
code already writes (faust, aiokafka and httpx log through ``logging`` too, so one formatter
covers them all; rewriting every call site to structlog's API would change nothing the output
shows). The project's log lines name their context as ``key=value`` words (``job=``,
``user=`` (a hashed reference, never an address), ``event_id=``,
``where=topic[partition]@offset``): the formatter lifts those into fields, so a log pipeline
can filter on them, and splits ``where`` into ``topic``, ``partition`` and ``offset``.

Redaction, as a last guard (the code already logs no secrets): a field whose name says it holds
a secret is replaced by ``***``, and bearer credentials, Google access / refresh tokens and JWTs
in a message are masked.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, Literal

import structlog
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings


class LogSettings(EnvSettings):
    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_LOG_", extra="forbid", frozen=True)

    #: ``text``: human-readable lines; ``json``: one JSON object per line.
    format: Literal["text", "json"] = "text"


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
#: The faust workers' text lines: mode's own format (``mode.utils.logging.DEFAULT_FORMAT``).
MODE_TEXT_FORMAT = "[%(asctime)s] [%(process)s] [%(levelname)s]: %(message)s %(extra)s"

_PAIR = re.compile(r"(?<![\w.])([a-z][a-z_]*)=([^\s,;]+)")
_WHERE = re.compile(r"^(?P<topic>[^\s\[]+)\[(?P<partition>\d+)\]@(?P<offset>-?\d+)$")
_SECRET_NAME = re.compile(r"(?i)token|secret|password|authorization|client_state|clientstate|cookie|grant")
_SECRET_VALUE = re.compile(
    r"(?i)(bearer\s+)[\w.~+/=-]+"           # Authorization: Bearer <anything>
    r"|\bya29\.[\w.-]+"                     # Google access tokens
    r"|\b1//[\w.-]+"                        # Google refresh tokens
    r"|\beyJ[\w-]+\.[\w-]+\.[\w-]*"         # JWTs (Microsoft tokens, notifier tokens)
)


def _masked(text: str) -> str:
    return _SECRET_VALUE.sub(lambda m: (m.group(1) or "") + "***", text)


def lift_fields(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """``key=value`` words of the message as fields (existing fields win), ``where`` split."""
    message = str(event.get("event", ""))
    for key, value in _PAIR.findall(message):
        event.setdefault(key, value)
    where = _WHERE.match(str(event.get("where", "")))
    if where:
        event.setdefault("topic", where["topic"])
        event.setdefault("partition", int(where["partition"]))
        event.setdefault("offset", int(where["offset"]))
    return event


def redact(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in list(event):
        if key not in ("event", "logger", "level") and _SECRET_NAME.search(key):
            event[key] = "***"
        elif isinstance(event[key], str):
            event[key] = _masked(event[key])
    return event


def json_formatter(service: str) -> logging.Formatter:
    """The JSON formatter: ``{"timestamp", "level", "logger", "service", "event": message, ...}``."""

    def add_service(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("service", service)
        return event

    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True), add_service, lift_fields,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.format_exc_info,
            redact, structlog.processors.JSONRenderer(),
        ],
    )


def formatter(service: str, settings: LogSettings | None = None) -> logging.Formatter:
    settings = settings or LogSettings.from_env()
    return json_formatter(service) if settings.format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(service: str, *, level: str = "INFO", settings: LogSettings | None = None) -> None:
    """The root logger of this process: one handler on stderr in the configured format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(service, settings))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def faust_logging_config(service: str, settings: LogSettings | None = None, *, stream: Any = None) -> dict[str, Any] | None:
    """faust's ``logging_config`` (a ``logging.config.dictConfig``): JSON lines, or text lines
    without colour when stderr is not a terminal; None (faust's own coloured text) at a terminal.

    Why not faust's default off a terminal: mode formats every record with colorlog, which works
    out the colour codes and asks the stream ``isatty()`` per record before stripping them again;
    with a ``handled`` line per message that was a tenth of the notifier's CPU under load
    (bench/README.md). The lines read the same: mode's own format and formatter, minus colour.
    Both configs are merged into mode's, so the worker's ``-l/--loglevel`` still sets the level.
    """
    settings = settings or LogSettings.from_env()
    stream = stream if stream is not None else sys.stderr
    if settings.format != "json" and _isatty(stream):
        return None
    if settings.format == "json":
        formatter_config: dict[str, Any] = {"()": json_formatter, "service": service}
    else:
        formatter_config = {"()": "mode.utils.logging.DefaultFormatter", "format": MODE_TEXT_FORMAT}
    return {
        "version": 1,
        "merge": True,  # mode's config underneath: its root level is the worker's --loglevel
        "disable_existing_loggers": False,
        "formatters": {"officestream": formatter_config},
        # mode's "default" handler replaced: same stream (stderr), our formatter
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "officestream", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["default"]},
    }


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
