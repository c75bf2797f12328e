"""Graph messages become canonical Emails (golden tests on documentation-shaped payloads)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.normalize import RemovedItem, normalize
from schemas.models import Address, Attachment, Email, Provider
from tests.unit.microsoft.graph_samples import MESSAGE_HTML, MESSAGE_TEXT, REMOVED


def test_html_message_becomes_the_full_email_record() -> None:
    expected = Email(
        id="AAMkAGUAAAwTW09AAA=",
        provider=Provider.microsoft,
        thread_id="AAQkAGUAAAQK7nw4=",
        folder="AQMkAGUAAAIBDAAAAA==",
        labels=["Red category", "Project Falcon"],
        from_address=Address(email="adelev@contoso.onmicrosoft.com", name="Adele Vance"),
        reply_to=[Address(email="lunch@contoso.onmicrosoft.com", name="Lunch bot")],
        to=[Address(email="meganb@contoso.onmicrosoft.com", name="Megan Bowen")],
        cc=[Address(email="alexw@contoso.onmicrosoft.com", name="Alex Wilber")],
        subject="Meet for lunch?",
        sent_at=dt.datetime(2019, 2, 4, 19, 58, 31, tzinfo=dt.UTC),
        received_at=dt.datetime(2019, 2, 4, 19, 58, 32, tzinfo=dt.UTC),
        snippet="The new cafeteria is open.",
        body_text="The new cafeteria is open.",
        body_html="<html><body><p>The new cafeteria is open.</p></body></html>",
        attachments=[Attachment(attachment_id="AAMkAGUAAAwTW09AAABEgAQAPGNgHhR8k9Dm", filename="menu.pdf",
                                content_type="application/pdf", size_bytes=4862)],
        has_attachments=True,
        is_read=True,
        internet_message_id="<MWHPR2201MB10205C4E0DD6D0A8@MWHPR2201MB1020.namprd22.prod.outlook.com>",
        in_reply_to="<lunch-1@contoso.onmicrosoft.com>",
        references=["<lunch-0@contoso.onmicrosoft.com>", "<lunch-1@contoso.onmicrosoft.com>"],
        version_marker="CQAAABYAAAC4ofQHEIqCSbQPot83AFcbAAAW/0tB",
        updated_at=dt.datetime(2019, 2, 4, 19, 58, 34, tzinfo=dt.UTC),
    )
    assert normalize("email", MESSAGE_HTML) == expected


def test_text_body_lands_in_body_text_and_missing_fields_stay_empty() -> None:
    email = normalize("email", MESSAGE_TEXT)
    assert isinstance(email, Email)
    assert (email.body_text, email.body_html) == ("Just text.", None)
    assert email.in_reply_to is None and email.references == [] and email.attachments == []
    assert email.is_read is False and email.version_marker is None
    assert email.has_attachments is None  # neither hasAttachments nor expanded attachments: unknown


def test_an_html_only_message_also_carries_its_text() -> None:
    """Graph sends one body, HTML for most mail: every consumer should still find text."""
    payload = copy.deepcopy(MESSAGE_HTML)
    payload["body"] = {"contentType": "html", "content": (
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
        "<style>p {margin: 0}</style></head><body><div dir=\"ltr\">Hi Megan,<br>"
        "the menu:<ul><li>soup &amp; salad</li><li>curry</li></ul>"
        "<a href=\"https://contoso.example/menu\">full menu</a></div></body></html>"
    )}
    email = normalize("email", payload)
    assert isinstance(email, Email)
    assert email.body_text == "Hi Megan,\nthe menu:\n\nsoup & salad\ncurry\n\nfull menu"
    assert email.body_html == payload["body"]["content"]


def test_has_attachments_says_what_graph_says_even_without_expanded_attachments() -> None:
    """A delta page without ``$expand=attachments`` carries only Graph's flag."""
    payload = {key: value for key, value in MESSAGE_HTML.items() if key != "attachments"}
    email = normalize("email", payload)
    assert isinstance(email, Email)
    assert (email.attachments, email.has_attachments) == ([], True)
    email = normalize("email", {**payload, "hasAttachments": False})
    assert isinstance(email, Email) and email.has_attachments is False


def test_expanded_inline_images_alone_are_not_attachments() -> None:
    """Graph's hasAttachments leaves inline images out; without the flag, so does the record."""
    payload = {key: value for key, value in MESSAGE_HTML.items() if key != "hasAttachments"}
    payload["attachments"] = [{**MESSAGE_HTML["attachments"][0], "isInline": True, "contentId": "logo@contoso"}]
    email = normalize("email", payload)
    assert isinstance(email, Email)
    assert len(email.attachments) == 1 and email.has_attachments is False


def test_folder_id_is_named_through_the_folder_tree() -> None:
    email = normalize("email", MESSAGE_HTML, folder_names={"AQMkAGUAAAIBDAAAAA==": "inbox"})
    assert isinstance(email, Email) and email.folder == "inbox"


def test_etag_stands_in_for_a_missing_change_key() -> None:
    payload = {key: value for key, value in MESSAGE_HTML.items() if key != "changeKey"}
    email = normalize("email", payload)
    assert isinstance(email, Email) and email.version_marker == "CQAAABYAAAC4ofQHEIqCSbQPot83AFcbAAAW/0tB"


def test_removed_entry_becomes_a_delete_marker() -> None:
    assert normalize("email", REMOVED) == RemovedItem(kind="email", id="AAMkAGUAAAwTW09AAB=", reason="deleted")


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda m: m.pop("id"), "'id' is missing"),
        (lambda m: m.update(receivedDateTime="yesterday"), "receivedDateTime: not an ISO 8601"),
        (lambda m: m.update(body={"contentType": "rtf", "content": "x"}), "contentType must be 'html' or 'text'"),
        (lambda m: m.update(toRecipients={"emailAddress": {}}), "'toRecipients' must be a list"),
        (lambda m: m.update(isRead="yes"), "'isRead' must be true or false"),
        (lambda m: m["attachments"][0].update(size=-1), "size must be a non-negative integer"),
    ],
)
def test_unreadable_message_raises_normalization_error_naming_the_field(change, complaint: str) -> None:
    payload = copy.deepcopy(MESSAGE_HTML)
    change(payload)
    with pytest.raises(NormalizationError, match=complaint):
        normalize("email", payload)


def test_non_object_payload_is_refused() -> None:
    with pytest.raises(NormalizationError, match="expected a JSON object"):
        normalize("email", ["not", "a", "message"])
