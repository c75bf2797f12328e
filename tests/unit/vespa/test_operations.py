"""Document ids and feed operations in both of Vespa's write formats."""

from __future__ import annotations

import pytest

from connectors.vespa import (
    DocumentId,
    FeedOperation,
    FeedOutcome,
    FeedResult,
    InvalidDocumentId,
)

DOC = DocumentId(namespace="officestream", doctype="email", group="user-1", local_id="msg/1:a b")


def test_the_id_string_names_the_group_and_parses_back() -> None:
    assert str(DOC) == "id:officestream:email:g=user-1:msg/1:a b"
    assert DocumentId.parse(str(DOC)) == DOC


def test_the_path_percent_encodes_every_part_and_maps_back() -> None:
    assert DOC.path() == "/document/v1/officestream/email/group/user-1/msg%2F1%3Aa%20b"
    assert DocumentId.from_path(DOC.path()) == DOC


@pytest.mark.parametrize("text", ["id:ns:email::msg", "doc:ns:email:g=u:msg", "id:ns:email:n=3:msg", "id:ns:email"])
def test_ids_without_a_group_are_refused(text: str) -> None:
    with pytest.raises(InvalidDocumentId):
        DocumentId.parse(text)


@pytest.mark.parametrize(
    ("part", "value"),
    [("group", ""), ("group", "a:b"), ("doctype", "e:mail"), ("namespace", "n:s"), ("local_id", "bad\x00id"), ("group", "\ufffe")],
)
def test_parts_vespa_cannot_parse_are_refused(part: str, value: str) -> None:
    parts = {"namespace": "ns", "doctype": "email", "group": "u", "local_id": "m"} | {part: value}
    with pytest.raises(InvalidDocumentId):
        DocumentId(**parts)


def test_the_log_reference_hides_the_user() -> None:
    ref = DOC.log_ref()
    assert "user-1" not in ref
    assert ref.startswith("email:g#") and ref.endswith(":msg/1:a b")


def test_a_put_in_the_feed_format_and_over_document_v1() -> None:
    operation = FeedOperation.put(DOC, {"subject": "hi", "sent_at": 5})
    assert operation.feed_json() == {"put": str(DOC), "fields": {"subject": "hi", "sent_at": 5}}
    assert (operation.http_method, operation.request_body(), operation.query_params()) == (
        "POST", {"fields": {"subject": "hi", "sent_at": 5}}, {}
    )


def test_an_update_assigns_each_field() -> None:
    operation = FeedOperation.update(DOC, {"is_read": True, "labels": ["a"]}, create=True)
    assert operation.feed_json() == {
        "update": str(DOC), "create": True, "fields": {"is_read": {"assign": True}, "labels": {"assign": ["a"]}}
    }
    assert operation.http_method == "PUT"
    assert operation.query_params() == {"create": "true"}


def test_a_remove_has_no_body_and_carries_its_condition() -> None:
    operation = FeedOperation.remove(DOC, condition='email.version_marker=="7"')
    assert operation.feed_json() == {"remove": str(DOC), "condition": 'email.version_marker=="7"'}
    assert (operation.http_method, operation.request_body()) == ("DELETE", None)
    assert operation.query_params() == {"condition": 'email.version_marker=="7"'}


@pytest.mark.parametrize(
    "build",
    [
        lambda: FeedOperation(kind="remove", doc_id=DOC, fields={"a": 1}),  # type: ignore[arg-type]
        lambda: FeedOperation.put(DOC, {}),
        lambda: FeedOperation(kind="put", doc_id=DOC, fields={"a": 1}, create=True),  # type: ignore[arg-type]
    ],
)
def test_inconsistent_operations_are_refused(build) -> None:
    with pytest.raises(ValueError):
        build()


def test_only_a_rejected_result_has_a_dead_letter_reason() -> None:
    operation = FeedOperation.put(DOC, {"subject": "x"})
    rejected = FeedResult(operation=operation, outcome=FeedOutcome.rejected, http_status=400, message="No field 'x'")
    error = rejected.error()
    assert error is not None and error.http_status == 400 and not error.retriable
    assert "No field 'x'" in str(error) and "user-1" not in str(error)
    assert FeedResult(operation=operation, outcome=FeedOutcome.applied).error() is None
    assert FeedResult(operation=operation, outcome=FeedOutcome.condition_not_met, http_status=412).error() is None
