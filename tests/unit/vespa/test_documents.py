"""The mapping from canonical records to Vespa feed operations."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.google.normalize import normalize as google_normalize
from connectors.microsoft.normalize import normalize as microsoft_normalize
from connectors.vespa import OperationKind
from processors.common.items import ItemChange
from processors.vespa_loader import documents
from processors.vespa_loader.documents import (
    UnmappableRecord,
    operation_for_change,
    put_operation,
    remove_operation,
)
from schemas.models import (
    Address,
    Attachment,
    Attendee,
    DocType,
    EventTime,
    ResponseStatus,
)
from tests import factories
from tests.unit.google import payloads as google_payloads
from tests.unit.microsoft import graph_samples

NS = "officestream"
T0_MS = int(factories.T0.timestamp()) * 1000


def change(kind: str, record: object = None, *, doc_type: DocType = DocType.email, doc_id: str = "msg-1") -> ItemChange:
    return ItemChange(
        user_id="user-1", doc_type=doc_type, doc_id=doc_id, change=kind, record=record,  # type: ignore[arg-type]
        occurred_at_ms=T0_MS, event_id="e-1", version_marker=None,
    )


@pytest.mark.parametrize(
    ("record", "doctype", "local_id"),
    [
        (factories.email("msg-9"), "email", "msg-9"),
        (factories.calendar_event("evt-9"), "calendar_event", "evt-9"),
        (factories.contact("people/c9"), "contact", "people/c9"),
    ],
)
def test_a_put_is_grouped_by_its_user(record, doctype, local_id) -> None:
    operation = put_operation(record, user_id="user-7", namespace=NS)
    assert operation.kind is OperationKind.put
    assert str(operation.doc_id) == f"id:officestream:{doctype}:g=user-7:{local_id}"
    assert operation.fields["user_id"] == "user-7"
    assert operation.fields["doc_id"] == local_id


def test_the_namespace_comes_from_the_caller() -> None:
    operation = put_operation(factories.email(), user_id="user-1", namespace="staging")
    assert str(operation.doc_id).startswith("id:staging:email:g=user-1:")


def test_a_local_id_may_contain_colons_and_slashes() -> None:
    operation = put_operation(factories.contact("people/c1:x"), user_id="u", namespace=NS)
    assert operation.doc_id.local_id == "people/c1:x"
    assert operation.doc_id.path().endswith("/group/u/people%2Fc1%3Ax")


def test_an_html_only_email_body_becomes_its_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>track()</script></head>"
        "<body><p>Hello <b>Ada</b></p><div>Bye</div></body></html>"
    )
    fields = put_operation(factories.email(body_text=None, body_html=html), user_id="u", namespace=NS).fields
    assert fields["body_text"] == "Hello Ada\n\nBye"


def test_the_text_part_wins_over_the_html_part() -> None:
    email = factories.email(body_text="plain words", body_html="<p>html words</p>")
    fields = put_operation(email, user_id="u", namespace=NS).fields
    assert fields["body_text"] == "plain words"


def test_a_blank_text_part_falls_back_to_the_html_part() -> None:
    fields = put_operation(factories.email(body_text="  \n", body_html="<p>from html</p>"), user_id="u", namespace=NS).fields
    assert fields["body_text"] == "from html"


def test_an_html_calendar_description_becomes_text_and_a_plain_one_is_kept() -> None:
    html_event = factories.calendar_event(body="<div>Agenda:<br>1. Budget</div>")
    plain_event = factories.calendar_event(body="Bring 2 < 3 slides")
    assert put_operation(html_event, user_id="u", namespace=NS).fields["description"] == "Agenda:\n1. Budget"
    assert put_operation(plain_event, user_id="u", namespace=NS).fields["description"] == "Bring 2 < 3 slides"


def test_times_are_epoch_millis_and_an_all_day_date_is_midnight_utc() -> None:
    email = put_operation(factories.email(), user_id="u", namespace=NS).fields
    day = put_operation(factories.all_day_event(), user_id="u", namespace=NS).fields
    assert email["sent_at"] == T0_MS
    assert email["received_at"] == T0_MS + 3000
    assert day["start_at"] == int(dt.datetime(2026, 12, 24, tzinfo=dt.UTC).timestamp()) * 1000
    assert day["is_all_day"] is True


def test_an_occurrence_keeps_its_original_start() -> None:
    moved = factories.calendar_event(
        "evt-1_x", kind="exception", series_master_id="evt-1", recurrence=[],
        original_start=EventTime(at=factories.T0 + dt.timedelta(days=7)),
    )
    fields = put_operation(moved, user_id="u", namespace=NS).fields
    assert fields["original_start_at"] == T0_MS + 7 * 86_400_000
    assert fields["series_master_id"] == "evt-1"


def test_participants_are_every_address_once_and_lowercased() -> None:
    email = factories.email(
        from_address=Address(email="Ada@Example.com"),
        to=[Address(email="bob@example.com"), Address(email="ada@example.com")],
        cc=[Address(email="BOB@example.com")],
        bcc=[Address(email="eve@example.com")],
    )
    fields = put_operation(email, user_id="u", namespace=NS).fields
    assert fields["participants"] == ["ada@example.com", "bob@example.com", "eve@example.com"]


def test_attendees_carry_their_responses() -> None:
    event = factories.calendar_event(
        attendees=[Attendee(address=Address(email="bob@example.com", name="Bob"), response=ResponseStatus.declined)]
    )
    fields = put_operation(event, user_id="u", namespace=NS).fields
    assert fields["attendee_responses"] == ["bob@example.com declined"]
    assert fields["attendee_names"] == ["Bob"]
    assert fields["participants"] == ["ada@example.com", "bob@example.com"]


def test_attachments_are_described_by_name_and_type_never_content() -> None:
    email = factories.email(attachments=[
        Attachment(attachment_id="a1", filename="invoice.pdf", content_type="application/pdf"),
        Attachment(attachment_id="a2", content_type="image/png", is_inline=True),
    ])
    fields = put_operation(email, user_id="u", namespace=NS).fields
    assert fields["attachment_names"] == ["invoice.pdf"]
    assert fields["attachment_types"] == ["application/pdf", "image/png"]
    assert fields["has_attachments"] is True


def test_characters_vespa_refuses_are_stripped() -> None:
    email = factories.email(subject="Re:\x00 hello\x0c", body_text="a\x01b\ufffec\ttab")
    fields = put_operation(email, user_id="u", namespace=NS).fields
    assert fields["subject"] == "Re: hello"
    assert fields["body_text"] == "abc\ttab"


def test_a_huge_body_is_cut() -> None:
    fields = put_operation(factories.email(body_text="x" * (documents.MAX_TEXT_CHARS + 10)), user_id="u", namespace=NS).fields
    assert len(fields["body_text"]) == documents.MAX_TEXT_CHARS


def test_empty_values_are_left_out() -> None:
    fields = put_operation(factories.email(cc=[], subject="", folder=None, labels=[]), user_id="u", namespace=NS).fields
    assert not {"cc_addresses", "subject", "folder", "labels"} & set(fields)
    assert fields["is_read"] is False


def test_the_primary_email_is_the_one_marked_primary_else_the_first() -> None:
    assert put_operation(factories.contact(), user_id="u", namespace=NS).fields["primary_email"] == "ada@example.com"
    unmarked = factories.contact(emails=[{"address": "x@example.com"}, {"address": "y@example.com"}])
    assert put_operation(unmarked, user_id="u", namespace=NS).fields["primary_email"] == "x@example.com"


def test_a_delete_becomes_a_remove() -> None:
    operation = operation_for_change(change("delete", doc_type=DocType.calendar_event, doc_id="evt-3"), namespace=NS)
    assert operation.kind is OperationKind.remove
    assert str(operation.doc_id) == "id:officestream:calendar_event:g=user-1:evt-3"
    assert operation.feed_json() == {"remove": "id:officestream:calendar_event:g=user-1:evt-3"}


def test_an_upsert_becomes_a_put_of_its_record() -> None:
    operation = operation_for_change(change("upsert", factories.email("msg-1")), namespace=NS)
    assert operation.kind is OperationKind.put
    assert operation.fields["subject"] == "Your order has shipped"


def test_an_upsert_without_its_record_is_unmappable() -> None:
    with pytest.raises(UnmappableRecord):
        operation_for_change(change("upsert", None), namespace=NS)


def test_an_upsert_whose_record_is_of_another_type_is_unmappable() -> None:
    with pytest.raises(UnmappableRecord):
        operation_for_change(change("upsert", factories.contact(), doc_type=DocType.email), namespace=NS)


def test_a_remove_of_an_unknown_doc_type_is_unmappable() -> None:
    with pytest.raises(UnmappableRecord):
        remove_operation(DocType.unknown, "x", user_id="u", namespace=NS)


def test_has_attachments_follows_the_providers_flag_when_attachments_were_not_fetched() -> None:
    """A Graph delta without ``$expand=attachments``: the record says so, the list is empty."""
    fields = put_operation(factories.email(attachments=[], has_attachments=True), user_id="u", namespace=NS).fields
    assert fields["has_attachments"] is True
    flagged_false = factories.email(attachments=[Attachment(attachment_id="a1", filename="menu.pdf")], has_attachments=False)
    assert put_operation(flagged_false, user_id="u", namespace=NS).fields["has_attachments"] is False


def test_without_the_flag_an_inline_image_alone_is_no_attachment() -> None:
    """Records from before ``has_attachments``: the files listed, not the body's inline images."""
    logo = Attachment(attachment_id="a2", content_type="image/png", is_inline=True, content_id="logo")
    assert put_operation(factories.email(attachments=[logo]), user_id="u", namespace=NS).fields["has_attachments"] is False


def test_a_graph_message_flagged_with_attachments_is_indexed_as_having_them() -> None:
    payload = {key: value for key, value in graph_samples.MESSAGE_HTML.items() if key != "attachments"}
    email = microsoft_normalize("email", payload)
    assert put_operation(email, user_id="u", namespace=NS).fields["has_attachments"] is True


def test_a_mislabelled_windows_1252_gmail_message_is_indexed_with_its_punctuation() -> None:
    email = google_normalize("email", google_payloads.gmail_windows_1252_full_message())
    fields = put_operation(email, user_id="u", namespace=NS).fields
    assert "\u201con\u201d for Thursday \u2013 the budget is \u20ac1,200\u2026" in fields["body_text"]
    assert fields["subject"] == "\u201cBudget\u201d \u2013 Q3"
    assert not any("\x80" <= char <= "\x9f" for char in fields["body_text"] + fields["subject"])


def test_a_people_contact_from_two_sources_is_indexed_with_each_address_and_phone_once() -> None:
    contact = google_normalize("contact", google_payloads.person_from_two_sources())
    fields = put_operation(contact, user_id="u", namespace=NS).fields
    assert fields["emails"] == ["alan.turing@contoso.example", "alan@home.example"]
    assert fields["primary_email"] == "alan.turing@contoso.example"
    assert fields["phones"] == ["+44 20 7946 0018", "+44 20 7946 0999"]


def test_a_user_id_holding_a_colon_or_percent_gets_an_escaped_group_and_two_users_never_share_one():
    from processors.vespa_loader.documents import document_id

    first = document_id(DocType.email, "m1", user_id="tenant:ada", namespace="officestream")
    second = document_id(DocType.email, "m1", user_id="tenant%3Aada", namespace="officestream")
    assert str(first) == "id:officestream:email:g=tenant%3Aada:m1"
    assert str(second) == "id:officestream:email:g=tenant%253Aada:m1"
    assert first.path() != second.path()
