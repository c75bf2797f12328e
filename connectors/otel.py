"""OpenTelemetry export of officestream's spans (``connectors/tracing.py`` imports this only when
an OTLP endpoint is set; it needs the ``officestream[otel]`` extra).

Spans go through the SDK's ``BatchSpanProcessor`` to its OTLP/HTTP (protobuf) exporter, which
reads the standard ``OTEL_EXPORTER_OTLP_*`` variables itself (endpoint, headers, timeout,
compression). OTLP/HTTP rather than gRPC: it needs no grpcio, and every collector accepts it.
Each span continues the trace the event or request carries: its parent is built from the
``TraceContext`` (a remote parent), so the exported trace ids are the ones in the events and
the log lines, and a span's own id is what its children (an event's ``span_id`` and
``traceparent``) name as their parent. The provider is shut down (flushing what is queued) at
process exit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags

from connectors.tracing import SpanKind, TraceContext

_KINDS = {"server": trace.SpanKind.SERVER, "internal": trace.SpanKind.INTERNAL,
          "producer": trace.SpanKind.PRODUCER, "consumer": trace.SpanKind.CONSUMER}


def _span_context(context: TraceContext) -> SpanContext:
    return SpanContext(trace_id=int(context.trace_id, 16), span_id=int(context.parent_span_id, 16), is_remote=True,
                       trace_flags=TraceFlags(TraceFlags.SAMPLED))


class OtelSpans:
    """Spans recorded by an SDK tracer provider of their own (not the global one: the process's
    other libraries keep whatever they had)."""

    exporting = True

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("officestream")

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None,
                 exporter: SpanExporter | None = None) -> OtelSpans:
        env = os.environ if environ is None else environ
        # OTEL_SERVICE_NAME (and OTEL_RESOURCE_ATTRIBUTES) win when set, as the SDK specifies.
        resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or service})
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter()))
        return cls(provider)

    @contextmanager
    def span(self, name: str, *, parent: TraceContext | None, kind: SpanKind = "internal",
             attributes: Mapping[str, str | int] | None = None,
             links: Sequence[TraceContext] = ()) -> Iterator[TraceContext]:
        context = trace.set_span_in_context(NonRecordingSpan(_span_context(parent))) if parent else None
        span = self._tracer.start_span(name, context=context, kind=_KINDS[kind], attributes=dict(attributes or {}),
                                       links=[Link(_span_context(link)) for link in links])
        own = span.get_span_context()
        try:
            yield TraceContext(format(own.trace_id, "032x"), format(own.span_id, "016x"))
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            span.end()

    def flush(self, timeout_ms: int = 10_000) -> bool:
        return self.provider.force_flush(timeout_ms)
