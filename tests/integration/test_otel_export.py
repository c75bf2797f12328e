"""OpenTelemetry export, on only when an OTLP endpoint is set: spans go to a real OTLP/HTTP
receiver (an HTTP server in this test decoding the protobuf export requests, as a collector
would), with the trace ids the events and log lines carry; off, nothing of OpenTelemetry is
imported; asked for without the SDK installed, one error names the extra."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from prometheus_client import CollectorRegistry

from connectors import tracing
from connectors.tracing import IdsOnly, TraceContext, TracingUnavailable
from processors.common.inbound import InboundRecord
from processors.common.metrics import ProcessorMetrics
from processors.common.processor import RecordProcessor
from processors.common.retry import RetryPolicy

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
EVENT_SPAN = "00f067aa0ba902b7"


class Receiver(ThreadingHTTPServer):
    """Accepts OTLP/HTTP protobuf trace exports on ``/v1/traces``."""

    def __init__(self) -> None:
        self.exports: list[ExportTraceServiceRequest] = []
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def spans(self) -> list[tuple[str, object]]:
        """(service.name, span) of every span received."""
        found = []
        for export in self.exports:
            for resource_spans in export.resource_spans:
                service = next(a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name")
                found += [(service, span) for scope in resource_spans.scope_spans for span in scope.spans]
        return found


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.headers["Content-Type"] == "application/x-protobuf"
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        self.server.exports.append(request)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def exporting(receiver: Receiver, monkeypatch) -> Iterator[tracing.Spans]:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    before = tracing.active()
    spans = tracing.configure("officestream-tests")
    yield spans
    tracing.use(before)
    spans.provider.shutdown()  # type: ignore[attr-defined]


async def test_a_consumed_message_is_exported_as_the_child_of_its_events_span(exporting, receiver: Receiver) -> None:
    assert exporting.exporting

    async def decode(value):
        return SimpleNamespace(metadata=SimpleNamespace(event_id="evt-1", user_id="user-1", trace_id=TRACE_ID))

    async def handler(decoded, record) -> None:
        return None

    async def sink(letter) -> None:
        return None

    processor = RecordProcessor(service="tests", decode=decode, handler=handler, dead_letters=sink,
                                metrics=ProcessorMetrics(CollectorRegistry()), policy=RetryPolicy(max_attempts=1))
    record = InboundRecord("email-updates", 0, 5, b"user-1", b"bytes", [("traceparent", f"00-{TRACE_ID}-{EVENT_SPAN}-01".encode())])
    assert await processor.process(record) == "handled"
    merged = TraceContext("5" * 32, "5" * 16)
    with exporting.span("live sync mail", parent=TraceContext(TRACE_ID, EVENT_SPAN), links=[merged]) as sync:
        assert sync.trace_id == TRACE_ID and sync.parent_span_id != EVENT_SPAN
    assert exporting.flush()  # type: ignore[attr-defined]

    spans = {span.name: (service, span) for service, span in receiver.spans()}
    assert receiver.paths and set(receiver.paths) == {"/v1/traces"}
    service, consume = spans["consume email-updates"]
    assert service == "officestream-tests"
    assert consume.trace_id.hex() == TRACE_ID and consume.parent_span_id.hex() == EVENT_SPAN
    assert consume.kind == consume.SPAN_KIND_CONSUMER
    _, synced = spans["live sync mail"]
    assert synced.span_id.hex() == sync.parent_span_id  # the id its children (the events) name
    assert [(link.trace_id.hex(), link.span_id.hex()) for link in synced.links] == [("5" * 32, "5" * 16)]


def test_without_an_endpoint_the_export_code_is_not_even_imported() -> None:
    # (redis imports opentelemetry.sdk itself when it is installed: its own observability
    # module; what must stay out is our provider, exporter and their threads.)
    script = (
        "import sys\n"
        "from connectors import tracing\n"
        "import processors.common.processor, producers.publisher, producers.bridge.webhooks\n"
        "spans = tracing.configure('x', {})\n"
        "print(type(spans).__name__, [m for m in sys.modules if m.startswith(('opentelemetry.exporter', 'connectors.otel'))])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["IdsOnly", "[]"], done.stderr


def test_an_endpoint_without_the_sdk_installed_is_one_error_naming_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "connectors.otel", None)  # what a missing package amounts to
    before = tracing.active()
    with pytest.raises(TracingUnavailable, match=r"pip install 'officestream\[otel\]'"):
        tracing.configure("x", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert tracing.active() is before
    assert isinstance(tracing.configure("x", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                                              "OTEL_SDK_DISABLED": "true"}), IdsOnly)
