"""A local /document/v1 server for tests, following Vespa's documented contract.

Vespa cannot run on the development machines, so the feed client is tested against this:
an ASGI app served by hypercorn on 127.0.0.1, speaking HTTP/1.1 and HTTP/2 (cleartext, prior
knowledge) on one port, as Vespa's container does. It keeps documents in memory so tests read
them back, and answers as Vespa does (``{"pathId", "id"}`` on success, ``"message"`` on
errors; 200 for an update without ``create`` or a remove of a missing document; 412 when a
condition does not hold or names a missing document; 400 for an unknown document type, an
unknown field or a value of the wrong type). Any status can be injected per document.

Test-only: it needs ``hypercorn`` (a development dependency). Conditions support the simple
form ``<doctype>.<field> <op> <literal>`` only; update operations other than ``assign`` are
refused. Request bodies compressed with gzip (as pyvespa and ``vespa feed`` send) are read.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from hypercorn.asyncio import serve
from hypercorn.config import Config

from connectors.vespa.exceptions import InvalidDocumentId
from connectors.vespa.operations import DocumentId

_CONDITION = re.compile(r"^\s*(\w+)\.(\w+)\s*(==|!=|<=|>=|<|>)\s*(\"(?:[^\"\\]|\\.)*\"|'[^']*'|-?\d+(?:\.\d+)?)\s*$")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}
_METHODS = {"POST", "PUT", "DELETE", "GET"}


@dataclass
class InjectedFailure:
    status: int
    message: str
    doc_id: str | None
    remaining: int
    retry_after: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    doc_id: str | None
    params: dict[str, str]
    http_version: str
    status: int


class _Reject(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class FakeVespa:
    """The state and behaviour of the fake; ``schemas`` maps doctype to ``{field: Vespa type}``,
    as Vespa's config model read the application package (the tests pass
    ``ops.vespa.config_model``'s ``ApplicationReading.document_field_types()``); without it any
    document type and field is accepted."""

    def __init__(self, *, schemas: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.schemas = schemas
        self.documents: dict[str, dict[str, Any]] = {}
        self.requests: list[RecordedRequest] = []
        self.inflight = 0
        self.max_inflight = 0
        self.url = ""
        self._failures: list[InjectedFailure] = []
        self._gate: asyncio.Event | None = None
        self._changed = asyncio.Condition()

    def fail(self, status: int, *, doc_id: DocumentId | str | None = None, times: int = 1,
             message: str | None = None, retry_after: str | None = None) -> None:
        """Answer the next ``times`` requests (for ``doc_id``, or any) with ``status``."""
        text = message or f"injected failure {status}"
        self._failures.append(InjectedFailure(status, text, None if doc_id is None else str(doc_id), times, retry_after))

    def hold(self) -> asyncio.Event:
        """Hold every request until the returned event is set (to observe concurrency)."""
        self._gate = asyncio.Event()
        return self._gate

    def document(self, doc_id: DocumentId | str) -> dict[str, Any] | None:
        return self.documents.get(str(doc_id))

    async def wait_until(self, predicate: Callable[[FakeVespa], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate(self)`` holds; it is checked whenever a request starts or ends."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self)), timeout)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        body = await _read_body(scope, receive)
        await self._enter()
        try:
            if self._gate is not None:
                await self._gate.wait()
            status, payload, headers = self._answer(scope, body)
        finally:
            await self._leave()
        await _respond(send, status, payload, headers)

    async def _enter(self) -> None:
        async with self._changed:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            self._changed.notify_all()

    async def _leave(self) -> None:
        async with self._changed:
            self.inflight -= 1
            self._changed.notify_all()

    def _answer(self, scope: dict[str, Any], body: bytes) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
        path, method = scope["path"], scope["method"]
        params = dict(parse_qsl(scope["query_string"].decode()))
        payload: dict[str, Any] = {"pathId": path}
        headers: list[tuple[bytes, bytes]] = []
        doc_id: DocumentId | None = None
        try:
            doc_id = _document_id(path)
            payload["id"] = str(doc_id)
            failure = self._take_failure(str(doc_id))
            if failure is not None:
                if failure.retry_after is not None:
                    headers.append((b"retry-after", failure.retry_after.encode()))
                raise _Reject(failure.status, failure.message)
            status = self._apply(method, doc_id, params, body, payload)
        except _Reject as rejection:
            status, payload["message"] = rejection.status, str(rejection)
        recorded_id = str(doc_id) if doc_id else None
        self.requests.append(RecordedRequest(method, path, recorded_id, params, scope["http_version"], status))
        return status, payload, headers

    def _take_failure(self, doc_id: str) -> InjectedFailure | None:
        for failure in self._failures:
            if failure.remaining > 0 and failure.doc_id in (None, doc_id):
                failure.remaining -= 1
                return failure
        return None

    def _apply(self, method: str, doc_id: DocumentId, params: dict[str, str], body: bytes, payload: dict[str, Any]) -> int:
        if method not in _METHODS:
            allowed = ", ".join(sorted(_METHODS))
            raise _Reject(405, f"'{method}' not allowed at '{payload['pathId']}'. Allowed methods are: {allowed}")
        self._check_doctype(doc_id.doctype)
        key, stored, condition = str(doc_id), self.documents.get(str(doc_id)), params.get("condition")
        if method == "GET":
            if stored is None:
                return 404
            payload["fields"] = stored
            return 200
        if condition is not None and (stored is None or not _condition_holds(condition, doc_id.doctype, stored)):
            raise _Reject(412, f"ReturnCode(TEST_AND_SET_CONDITION_FAILED, Condition did not match document {key})")
        if method == "DELETE":
            self.documents.pop(key, None)
        elif method == "POST":
            self.documents[key] = self._checked_fields(doc_id.doctype, _fields_of(body))
        elif stored is not None or params.get("create") == "true":
            assigned = self._checked_fields(doc_id.doctype, _assignments(_fields_of(body)))
            self.documents[key] = {**(stored or {}), **assigned}
        return 200

    def _check_doctype(self, doctype: str) -> None:
        if self.schemas is not None and doctype not in self.schemas:
            raise _Reject(400, f"Document type {doctype} does not exist")

    def _checked_fields(self, doctype: str, fields: dict[str, Any]) -> dict[str, Any]:
        declared = None if self.schemas is None else self.schemas[doctype]
        for name, value in fields.items():
            if declared is None:
                continue
            if name not in declared:
                known = ", ".join(sorted(declared))
                raise _Reject(400, f"No field '{name}' in the structure of type '{doctype}', which has the fields: {known}")
            if not value_fits(declared[name], value):
                raise _Reject(400, f"Field '{name}' of type {declared[name]} cannot hold {json.dumps(value)[:80]}")
        return dict(fields)


@contextlib.asynccontextmanager
async def serve_fake_vespa(fake: FakeVespa | None = None, *, host: str = "127.0.0.1") -> AsyncIterator[FakeVespa]:
    """Serve ``fake`` on a free port of ``host`` for the duration of the block; ``fake.url`` is set.

    The listening socket is bound before the server starts, so connections made at once wait
    in its backlog instead of failing: no readiness polling is needed."""
    fake = fake or FakeVespa()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(128)
    sock.setblocking(False)
    fake.url = f"http://{host}:{sock.getsockname()[1]}"
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns (and closes) the descriptor
    config.accesslog = None
    config.loglevel = "WARNING"
    config.errorlog = logging.getLogger("officestream.vespa.fake")
    stop = asyncio.Event()
    server = asyncio.create_task(serve(fake, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        yield fake
    finally:
        if fake._gate is not None:
            fake._gate.set()
        stop.set()
        await server


def _document_id(path: str) -> DocumentId:
    try:
        return DocumentId.from_path(path)
    except InvalidDocumentId as exc:
        served = "/document/v1/<namespace>/<doctype>/group/<group>/<id>"
        raise _Reject(404, f"Nothing at '{path}'. This fake serves {served}") from exc


def _fields_of(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body or b"{}")
    except ValueError as exc:
        raise _Reject(400, f"Failed to parse JSON: {exc}") from exc
    fields = document.get("fields") if isinstance(document, dict) else None
    if not isinstance(fields, dict):
        raise _Reject(400, "Expected a 'fields' object")
    return fields


def _assignments(fields: dict[str, Any]) -> dict[str, Any]:
    assigned = {}
    for name, operation in fields.items():
        if not isinstance(operation, dict) or set(operation) != {"assign"}:
            raise _Reject(400, f"field '{name}': this fake supports only the assign update operation")
        assigned[name] = operation["assign"]
    return assigned


def value_fits(vespa_type: str, value: Any) -> bool:
    """Whether a JSON ``value`` can be fed to a field of ``vespa_type`` (primitives and arrays),
    named as Vespa's config model names types (``Array<string>``) or as a schema spells them."""
    if vespa_type.lower().startswith("array<") and vespa_type.endswith(">"):
        return isinstance(value, list) and all(value_fits(vespa_type[6:-1], item) for item in value)
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63,
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31,
        "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    }
    return checks.get(vespa_type, lambda v: True)(value)


def _condition_holds(condition: str, doctype: str, fields: dict[str, Any]) -> bool:
    parsed = _CONDITION.match(condition)
    if parsed is None or parsed.group(1) != doctype:
        raise _Reject(400, f"this fake evaluates only '{doctype}.<field> <op> <literal>' conditions, got {condition!r}")
    _, name, op, literal = parsed.groups()
    expected = literal[1:-1] if literal[0] in "\"'" else json.loads(literal)
    actual = fields.get(name)
    try:
        return actual is not None and _COMPARE[op](actual, expected)
    except TypeError:
        return False


async def _read_body(scope: dict[str, Any], receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if dict(scope["headers"]).get(b"content-encoding") == b"gzip":
        body = gzip.decompress(body)
    return body


async def _respond(send: Any, status: int, payload: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(payload).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json;charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
    })
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
