"""Feed operations and their results: small immutable values shared by both feed clients.

A ``FeedOperation`` knows how it looks in both of Vespa's write formats: the /document/v1
request (method, path, query parameters, body) and the JSON feed format ``vespa feed`` reads
(``{"put": id, "fields": ...}``, ``{"update": id, "fields": {f: {"assign": v}}}``,
``{"remove": id}``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self
from urllib.parse import quote, unquote

import pydantic_core

from connectors.vespa.exceptions import DocumentRejected, InvalidDocumentId
from connectors.vespa.text import first_non_text


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentId:
    """``id:<namespace>:<doctype>:g=<group>:<local_id>``: a document of one user's group.

    Streaming mode stores a group's documents together and searches only the group a query
    names (``streaming.groupname``), so the group is the user id. The id parts before the
    local id are separated by ``:``, so only the local id may contain one.
    """

    namespace: str
    doctype: str
    group: str
    local_id: str

    def __post_init__(self) -> None:
        for name in ("namespace", "doctype", "group", "local_id"):
            value = getattr(self, name)
            if not value:
                raise InvalidDocumentId(f"document id {name} is empty")
            bad = first_non_text(value)
            if bad is not None:
                raise InvalidDocumentId(f"document id {name} has the character U+{ord(bad):04X}, which Vespa refuses")
            if name != "local_id" and ":" in value:
                raise InvalidDocumentId(f"document id {name} {value!r} contains ':' (only the local id may)")

    def __str__(self) -> str:
        return f"id:{self.namespace}:{self.doctype}:g={self.group}:{self.local_id}"

    @classmethod
    def parse(cls, text: str) -> Self:
        """The inverse of ``str()``; refuses ids without a ``g=`` group."""
        parts = text.split(":", 4)
        if len(parts) != 5 or parts[0] != "id" or not parts[3].startswith("g="):
            raise InvalidDocumentId(f"not an id:<namespace>:<doctype>:g=<group>:<local_id> document id: {text!r}")
        return cls(namespace=parts[1], doctype=parts[2], group=parts[3][2:], local_id=parts[4])

    @classmethod
    def from_path(cls, path: str) -> Self:
        """The id a /document/v1 group path addresses (the inverse of ``path()``)."""
        segments = path.split("/")
        if len(segments) < 8 or segments[:3] != ["", "document", "v1"] or segments[5] != "group":
            raise InvalidDocumentId(f"not a /document/v1/<namespace>/<doctype>/group/<group>/<id> path: {path!r}")
        namespace, doctype, _, group = (unquote(s) for s in segments[3:7])
        return cls(namespace=namespace, doctype=doctype, group=group, local_id=unquote("/".join(segments[7:])))

    def path(self) -> str:
        """The /document/v1 path; every part percent-encoded, ``/`` in ids included."""
        parts = (self.namespace, self.doctype, "group", self.group, self.local_id)
        return "/document/v1/" + "/".join(quote(part, safe="") for part in parts)

    def log_ref(self) -> str:
        """For logs: the user id hashed (logs never name a user), the local id kept."""
        digest = hashlib.sha256(self.group.encode()).hexdigest()[:12]
        return f"{self.doctype}:g#{digest}:{self.local_id}"


class OperationKind(StrEnum):
    put = "put"
    update = "update"
    remove = "remove"


_METHODS = {OperationKind.put: "POST", OperationKind.update: "PUT", OperationKind.remove: "DELETE"}


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedOperation:
    """One write. ``fields`` are whole values: a put stores them as the document, an update
    assigns each of them (other fields keep their values); a remove has none.

    ``condition`` is a Vespa document selection (test-and-set, 412 when it does not hold);
    ``create`` lets an update create a missing document (without it Vespa answers 200 and
    changes nothing).
    """

    kind: OperationKind
    doc_id: DocumentId
    fields: Mapping[str, Any] = field(default_factory=dict)
    condition: str | None = None
    create: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", OperationKind(self.kind))  # accept "put" as well as OperationKind.put
        if self.kind is OperationKind.remove and self.fields:
            raise ValueError("a remove carries no fields")
        if self.kind is not OperationKind.remove and not self.fields:
            raise ValueError(f"a {self.kind.value} needs fields")
        if self.create and self.kind is not OperationKind.update:
            raise ValueError("create applies to updates only")

    @classmethod
    def put(cls, doc_id: DocumentId, fields: Mapping[str, Any], *, condition: str | None = None) -> Self:
        return cls(kind=OperationKind.put, doc_id=doc_id, fields=fields, condition=condition)

    @classmethod
    def update(cls, doc_id: DocumentId, fields: Mapping[str, Any], *, create: bool = False, condition: str | None = None) -> Self:
        return cls(kind=OperationKind.update, doc_id=doc_id, fields=fields, create=create, condition=condition)

    @classmethod
    def remove(cls, doc_id: DocumentId, *, condition: str | None = None) -> Self:
        return cls(kind=OperationKind.remove, doc_id=doc_id, condition=condition)

    @property
    def http_method(self) -> str:
        return _METHODS[self.kind]

    def query_params(self) -> dict[str, str]:
        params = {"condition": self.condition} if self.condition else {}
        if self.create:
            params["create"] = "true"
        return params

    def request_body(self) -> dict[str, Any] | None:
        """The /document/v1 body: fields for a put, assign operations for an update, none for a remove."""
        if self.kind is OperationKind.remove:
            return None
        if self.kind is OperationKind.update:
            return {"fields": {name: {"assign": value} for name, value in self.fields.items()}}
        return {"fields": dict(self.fields)}

    def encoded_body(self) -> bytes | None:
        """``request_body`` as UTF-8 JSON (see ``encode_json``)."""
        body = self.request_body()
        return None if body is None else encode_json(body)

    def feed_line(self) -> bytes:
        """``feed_json`` as one UTF-8 JSON line, newline included."""
        return encode_json(self.feed_json()) + b"\n"

    def feed_json(self) -> dict[str, Any]:
        """The operation in Vespa's JSON feed format (one line of a ``vespa feed`` JSONL file)."""
        line: dict[str, Any] = {self.kind.value: str(self.doc_id)}
        if self.condition:
            line["condition"] = self.condition
        if self.create:
            line["create"] = True
        body = self.request_body()
        if body is not None:
            line.update(body)
        return line


class FeedOutcome(StrEnum):
    #: 200: Vespa applied the operation (also for an update or remove of a missing document).
    applied = "applied"
    #: 412: the operation's condition did not hold (or the document is missing); nothing changed.
    condition_not_met = "condition_not_met"
    #: 400 / 413 / 500 and other final answers: Vespa refused this operation; dead-letter it.
    rejected = "rejected"


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedResult:
    """What became of one operation. ``http_status`` is None in file mode."""

    operation: FeedOperation
    outcome: FeedOutcome
    http_status: int | None = None
    message: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.outcome is FeedOutcome.applied

    def error(self) -> DocumentRejected | None:
        """The dead-letter reason of a rejected operation, None otherwise."""
        if self.outcome is not FeedOutcome.rejected:
            return None
        return DocumentRejected(
            f"Vespa rejected {self.operation.kind.value} {self.operation.doc_id.log_ref()}: "
            f"HTTP {self.http_status}: {self.message or 'no message'}",
            http_status=self.http_status,
        )


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON of a document or operation, by pydantic-core's encoder (Rust; ~3x
    faster than ``json.dumps`` on email documents, and no ``\\u`` escapes: Vespa reads UTF-8).
    Strings must be valid Unicode, which the documents are (``text.strip_non_text`` removes
    lone surrogates). A value JSON cannot hold raises TypeError, as ``json.dumps`` does."""
    try:
        return pydantic_core.to_json(value)
    except pydantic_core.PydanticSerializationError as exc:
        raise TypeError(f"not JSON: {exc}") from exc
