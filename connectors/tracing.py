"""Trace context from webhook to consumer effect: W3C ``traceparent`` values, and the spans a
process opens along the way (webhook, live sync, publish, consume), exported with OpenTelemetry
only when asked to.

Every event carries its trace in ``metadata.trace_id`` / ``span_id`` and in the Kafka
``traceparent`` header; log lines name it as ``trace_id=``. That alone lets one grep follow a
change from the webhook that announced it to each consumer's effect. OpenTelemetry export is
optional and off by default: it is on when the OTel SDK's standard ``OTEL_EXPORTER_OTLP_ENDPOINT``
(or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set and ``OTEL_SDK_DISABLED`` is not ``true``.
The standard variables, not ``OFFICESTREAM_*`` ones, because the SDK reads the rest of its
configuration from them (headers, timeout, ``OTEL_SERVICE_NAME``, resource attributes) and an
operator's collector set-up already speaks them. They are not an ``EnvSettings`` class for that
reason: the SDK owns the ``OTEL_`` prefix, and refusing its variables we do not read would be wrong.

Off, nothing of OpenTelemetry is imported and the hot paths (publish, consume) only check
``active().exporting``; the webhook and sync spans are then plain random ids.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

from schemas.envsettings import SettingsError

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")

SpanKind = Literal["server", "internal", "producer", "consumer"]

#: The extra that brings the OpenTelemetry SDK and its OTLP/HTTP exporter.
OTEL_EXTRA = "officestream[otel]"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


class TracingUnavailable(SettingsError):
    """Export was asked for (an OTLP endpoint is set) but cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class TraceContext:
    """A W3C trace context: the trace, and the span that work done under it is the child of."""

    trace_id: str
    parent_span_id: str

    @classmethod
    def parse(cls, traceparent: str | None) -> TraceContext | None:
        """The context of a ``traceparent`` value; None when absent or malformed (a new trace starts)."""
        match = _TRACEPARENT.match(traceparent.strip().lower()) if traceparent else None
        if match is None or not match.group(1).strip("0") or not match.group(2).strip("0"):
            return None
        return cls(match.group(1), match.group(2))

    @classmethod
    def new(cls) -> TraceContext:
        """A new trace (its root span's id as the parent)."""
        return cls(_nonzero(16), _nonzero(8))

    @classmethod
    def of_job(cls, job_id: str) -> TraceContext:
        """The trace of a backfill job: derived from its id, so a resumed job (another process,
        after a crash) continues the same trace."""
        digest = hashlib.sha256(f"officestream-job:{job_id}".encode()).hexdigest()
        return cls(_or_one(digest[:32]), _or_one(digest[32:48]))

    def child(self) -> TraceContext:
        """A new span under this one, in the same trace."""
        return TraceContext(self.trace_id, _nonzero(8))

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.parent_span_id}-01"


def _nonzero(size: int) -> str:
    while True:  # W3C forbids all-zero ids
        value = secrets.token_hex(size)
        if value.strip("0"):
            return value


def _or_one(value: str) -> str:
    return value if value.strip("0") else value[:-1] + "1"


def trace_id_of_record(decoded: object, headers: Sequence[tuple[str, bytes]]) -> str:
    """The trace id a log line about a consumed record names: the event's ``metadata.trace_id``,
    else its ``traceparent`` header (a record that did not decode), else ``-``."""
    trace_id = getattr(getattr(decoded, "metadata", None), "trace_id", None)
    if trace_id:
        return str(trace_id)
    context = TraceContext.parse(header_traceparent(headers))
    return context.trace_id if context else "-"


def header_traceparent(headers: Sequence[tuple[str, bytes]]) -> str | None:
    for name, value in headers:
        if name == "traceparent" and value:
            return value.decode("ascii", "replace")
    return None


class Spans(Protocol):
    """Opens spans: each ``span`` yields the context its children continue (same trace, the
    span's own id as their parent)."""

    #: Whether spans are exported (the hot paths open none when they are not).
    exporting: bool

    def span(self, name: str, *, parent: TraceContext | None, kind: SpanKind = "internal",
             attributes: Mapping[str, str | int] | None = None,
             links: Sequence[TraceContext] = ()) -> AbstractContextManager[TraceContext]: ...


class IdsOnly:
    """No export: a span is a new span id under ``parent`` (a new trace without one)."""

    exporting = False

    @contextmanager
    def span(self, name: str, *, parent: TraceContext | None, kind: SpanKind = "internal",
             attributes: Mapping[str, str | int] | None = None,
             links: Sequence[TraceContext] = ()) -> Iterator[TraceContext]:
        yield parent.child() if parent is not None else TraceContext.new()


_ACTIVE: Spans = IdsOnly()


def active() -> Spans:
    """This process's spans (``configure`` sets them once at start-up)."""
    return _ACTIVE


def export_endpoint(environ: Mapping[str, str] | None = None) -> str | None:
    """The OTLP endpoint export is on for, or None (export off)."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    return next((env[name] for name in ENDPOINT_VARIABLES if env.get(name, "").strip()), None)


def configure(service: str, environ: Mapping[str, str] | None = None) -> Spans:
    """Set this process's spans from the environment: OpenTelemetry export when an OTLP endpoint
    is set (``TracingUnavailable`` naming the extra when the SDK is not installed), else ids only."""
    global _ACTIVE
    if export_endpoint(environ) is None:
        _ACTIVE = IdsOnly()
        return _ACTIVE
    try:
        from connectors.otel import OtelSpans  # noqa: PLC0415 - only when export is on
    except ImportError as exc:
        raise TracingUnavailable(
            f"OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: pip install '{OTEL_EXTRA}' "
            f"({exc.name} missing)") from None
    _ACTIVE = OtelSpans.from_env(service, environ)
    return _ACTIVE


def use(spans: Spans) -> Spans:
    """Set this process's spans (tests); returns the ones set before."""
    global _ACTIVE
    before, _ACTIVE = _ACTIVE, spans
    return before
