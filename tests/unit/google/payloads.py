"""Provider payloads shaped like the examples in Google's API reference (Gmail
users.messages, Calendar events, People connections), for the normalizer tests."""

from __future__ import annotations

import base64
from typing import Any


def b64url(data: str | bytes, *, padded: bool = True) -> str:
    raw = data.encode() if isinstance(data, str) else data
    encoded = base64.urlsafe_b64encode(raw).decode()
    return encoded if padded else encoded.rstrip("=")


def headers(**values: str) -> list[dict[str, str]]:
    return [{"name": name.replace("_", "-"), "value": value} for name, value in values.items()]


PLAIN = "Hi Ada,\r\n\r\nhere’s the agenda for Thursday.\r\n"
HTML = "<div dir=\"ltr\">Hi Ada,<br>here’s the <b>agenda</b>.<img src=\"cid:logo@contoso\"></div>\r\n"


def gmail_full_message() -> dict[str, Any]:
    """multipart/mixed [ multipart/alternative [ text/plain, multipart/related [ text/html,
    inline image ] ], application/pdf attachment ] — format=full."""
    return {
        "id": "18c1f0a2b3d4e5f6",
        "threadId": "18c1f0a2b3d4e5f0",
        "labelIds": ["IMPORTANT", "CATEGORY_PERSONAL", "INBOX", "UNREAD"],
        "snippet": "Hi Ada, here&#39;s the agenda for Thursday.",
        "historyId": "987654",
        "internalDate": "1793610000000",
        "sizeEstimate": 61234,
        "payload": {
            "partId": "",
            "mimeType": "multipart/mixed",
            "filename": "",
            "headers": headers(
                Delivered_To="ada@contoso.example",
                Received="by 2002:a05:6402:1234 with SMTP id x; Mon, 2 Nov 2026 09:00:01 -0800 (PST)",
                MIME_Version="1.0",
                From="Grace Hopper <grace@fabrikam.example>",
                Date="Mon, 2 Nov 2026 10:00:00 +0100",
                Message_ID="<CAF=abc123@mail.gmail.com>",
                In_Reply_To="<CAF=prev@mail.gmail.com>",
                References="<CAF=root@mail.gmail.com> <CAF=prev@mail.gmail.com>",
                Subject="Agenda for Thursday",
                To="Ada Lovelace <ada@contoso.example>, \"Turing, Alan\" <alan@contoso.example>",
                Cc="edsger@contoso.example",
                Reply_To="Team <team@fabrikam.example>",
                Content_Type="multipart/mixed; boundary=\"000000000000b1c2d3\"",
            ),
            "body": {"size": 0},
            "parts": [
                {
                    "partId": "0",
                    "mimeType": "multipart/alternative",
                    "filename": "",
                    "headers": headers(Content_Type="multipart/alternative; boundary=\"000000000000a1\""),
                    "body": {"size": 0},
                    "parts": [
                        {
                            "partId": "0.0",
                            "mimeType": "text/plain",
                            "filename": "",
                            "headers": headers(Content_Type="text/plain; charset=\"UTF-8\"",
                                               Content_Transfer_Encoding="quoted-printable"),
                            "body": {"size": len(PLAIN.encode()), "data": b64url(PLAIN, padded=False)},
                        },
                        {
                            "partId": "0.1",
                            "mimeType": "multipart/related",
                            "filename": "",
                            "headers": headers(Content_Type="multipart/related; boundary=\"000000000000a2\""),
                            "body": {"size": 0},
                            "parts": [
                                {
                                    "partId": "0.1.0",
                                    "mimeType": "text/html",
                                    "filename": "",
                                    "headers": headers(Content_Type="text/html; charset=\"UTF-8\"",
                                                       Content_Transfer_Encoding="quoted-printable"),
                                    "body": {"size": len(HTML.encode()), "data": b64url(HTML)},
                                },
                                {
                                    "partId": "0.1.1",
                                    "mimeType": "image/png",
                                    "filename": "logo.png",
                                    "headers": headers(Content_Type="image/png; name=\"logo.png\"",
                                                       Content_Disposition="inline; filename=\"logo.png\"",
                                                       Content_Transfer_Encoding="base64",
                                                       Content_ID="<logo@contoso>", X_Attachment_Id="logo@contoso"),
                                    "body": {"attachmentId": "ANGjdJ8wQ1logo", "size": 2048},
                                },
                            ],
                        },
                    ],
                },
                {
                    "partId": "1",
                    "mimeType": "application/pdf",
                    "filename": "agenda.pdf",
                    "headers": headers(Content_Type="application/pdf; name=\"agenda.pdf\"",
                                       Content_Disposition="attachment; filename=\"agenda.pdf\"",
                                       Content_Transfer_Encoding="base64", X_Attachment_Id="f_lh1"),
                    "body": {"attachmentId": "ANGjdJ9pdf", "size": 48213},
                },
            ],
        },
    }


def gmail_latin1_full_message() -> dict[str, Any]:
    """A single-part text/plain message in iso-8859-1: Gmail undid the quoted-printable, the
    bytes stay latin-1."""
    text = "Le café est prêt, größer!\n"
    return {
        "id": "18c1f0a2b3d4e5f7",
        "threadId": "18c1f0a2b3d4e5f7",
        "labelIds": ["SENT"],
        "snippet": "Le café est prêt",
        "historyId": "1001",
        "internalDate": "1793610000000",
        "payload": {
            "partId": "",
            "mimeType": "text/plain",
            "filename": "",
            "headers": headers(From="=?iso-8859-1?q?Fran=E7ois_Dupont?= <francois@fabrikam.example>",
                               To="ada@contoso.example", Subject="=?UTF-8?B?Q2Fmw6kgbWVudQ==?=",
                               Content_Type="text/plain; charset=ISO-8859-1",
                               Content_Transfer_Encoding="quoted-printable"),
            "body": {"size": len(text.encode("latin-1")), "data": b64url(text.encode("latin-1"))},
        },
    }


#: What Outlook and many web forms send as "iso-8859-1": windows-1252 text, whose curly quotes,
#: dash, ellipsis and euro sign sit at 0x80-0x9F (C1 controls in ISO-8859-1).
WINDOWS_1252_TEXT = "We\u2019re \u201con\u201d for Thursday \u2013 the budget is \u20ac1,200\u2026 caf\u00e9\n"


def gmail_windows_1252_full_message() -> dict[str, Any]:
    """multipart/alternative [ text/plain "iso-8859-1", text/html "us-ascii" ], both holding
    windows-1252 bytes; the subject is an encoded word labelled iso-8859-1 — format=full."""
    html = f"<p>{WINDOWS_1252_TEXT.strip()}</p>"
    return {
        "id": "18c1f0a2b3d4e601",
        "threadId": "18c1f0a2b3d4e601",
        "labelIds": ["INBOX"],
        "snippet": "We’re “on” for Thursday – the budget is €1,200… café",
        "historyId": "3003",
        "internalDate": "1793610000000",
        "payload": {
            "partId": "",
            "mimeType": "multipart/alternative",
            "filename": "",
            "headers": headers(From="Ken Myer <ken@fabrikam.example>", To="ada@contoso.example",
                               Subject="=?iso-8859-1?Q?=93Budget=94_=96_Q3?=", Date="Mon, 2 Nov 2026 10:00:00 +0100",
                               MIME_Version="1.0", Content_Type="multipart/alternative; boundary=\"000000000000c1\""),
            "body": {"size": 0},
            "parts": [
                {"partId": "0", "mimeType": "text/plain", "filename": "",
                 "headers": headers(Content_Type="text/plain; charset=\"iso-8859-1\"",
                                    Content_Transfer_Encoding="quoted-printable"),
                 "body": {"size": len(WINDOWS_1252_TEXT), "data": b64url(WINDOWS_1252_TEXT.encode("cp1252"))}},
                {"partId": "1", "mimeType": "text/html", "filename": "",
                 "headers": headers(Content_Type="text/html; charset=us-ascii", Content_Transfer_Encoding="8bit"),
                 "body": {"size": len(html), "data": b64url(html.encode("cp1252"))}},
            ],
        },
    }


def gmail_html_only_message() -> dict[str, Any]:
    """A single-part text/html message (most newsletters and receipts) — format=full."""
    html = ("<html><body><table><tr><td><h1>Your order shipped</h1></td></tr>"
            "<tr><td>Track it: <a href=\"https://track.example/1Z\">1Z999AA10123456784</a></td></tr></table>"
            "<style>td {padding: 4px}</style></body></html>")
    return {
        "id": "18c1f0a2b3d4e602",
        "threadId": "18c1f0a2b3d4e602",
        "labelIds": ["INBOX", "CATEGORY_UPDATES"],
        "snippet": "Your order shipped Track it: 1Z999AA10123456784",
        "historyId": "3004",
        "internalDate": "1793610000000",
        "payload": {
            "partId": "",
            "mimeType": "text/html",
            "filename": "",
            "headers": headers(From="Shop <orders@shop.example>", To="ada@contoso.example", Subject="Shipped",
                               Content_Type="text/html; charset=\"UTF-8\"", Content_Transfer_Encoding="quoted-printable"),
            "body": {"size": len(html), "data": b64url(html, padded=False)},
        },
    }


def gmail_inline_image_only_message() -> dict[str, Any]:
    """multipart/related [ text/html, inline logo ]: a signature image, no attachment."""
    message = gmail_full_message()
    related = message["payload"]["parts"][0]["parts"][1]
    message["payload"] = {**related, "partId": "", "headers": message["payload"]["headers"]}
    for index, part in enumerate(message["payload"]["parts"]):
        part["partId"] = str(index)
    return message


RAW_MESSAGE = (
    b"MIME-Version: 1.0\r\n"
    b"From: =?iso-8859-1?q?Fran=E7ois_Dupont?= <francois@fabrikam.example>\r\n"
    b"To: Ada Lovelace <ada@contoso.example>\r\n"
    b"Subject: =?iso-8859-1?q?Caf=E9_menu?=\r\n"
    b"Date: Mon, 02 Nov 2026 09:00:00 -0800\r\n"
    b"Message-ID: <menu-42@fabrikam.example>\r\n"
    b"In-Reply-To: <menu-41@fabrikam.example>\r\n"
    b"References: <menu-40@fabrikam.example>\r\n <menu-41@fabrikam.example>\r\n"
    b"Content-Type: multipart/mixed; boundary=\"mixed\"\r\n"
    b"\r\n"
    b"--mixed\r\n"
    b"Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
    b"\r\n"
    b"--alt\r\n"
    b"Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Le caf=E9 est pr=EAt. Une ligne tr=E8s longue qui continue apr=E8s un saut =\r\n"
    b"doux.\r\n"
    b"--alt\r\n"
    b"Content-Type: text/html; charset=\"utf-8\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    + base64.encodebytes("<p>Le café est prêt.</p>".encode()).replace(b"\n", b"\r\n")
    + b"--alt--\r\n"
    b"--mixed\r\n"
    b"Content-Type: application/pdf; name=\"menu.pdf\"\r\n"
    b"Content-Disposition: attachment; filename=\"menu.pdf\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQKc3ludGhldGljCg==\r\n"
    b"--mixed--\r\n"
)


RAW_WINDOWS_1252_MESSAGE = (
    b"MIME-Version: 1.0\r\n"
    b"From: =?iso-8859-1?Q?Ren=E9e_=93RJ=94_Jones?= <renee@fabrikam.example>\r\n"
    b"To: Zo\xc3\xab Adams <zoe@contoso.example>\r\n"  # RFC 6532: UTF-8 straight in the header
    b"Subject: =?iso-8859-1?Q?Invoice_=96_=8010?=\r\n"
    b" =?iso-8859-1?Q?0_due?=\r\n"
    b"Date: Mon, 02 Nov 2026 09:00:00 -0800\r\n"
    b"Message-ID: <invoice-7@fabrikam.example>\r\n"
    b"Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
    b"\r\n"
    b"--alt\r\n"
    b"Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"We=92re =93on=94 for Thursday =96 the budget is =801,200=85 caf=E9\r\n"
    b"--alt\r\n"
    b"Content-Type: text/html; charset=us-ascii\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"<p>\x93on\x94 \x96 \x80100</p>\r\n"
    b"--alt--\r\n"
)


def gmail_raw_windows_1252_message() -> dict[str, Any]:
    return {
        "id": "18c1f0a2b3d4e603",
        "threadId": "18c1f0a2b3d4e603",
        "labelIds": ["INBOX"],
        "snippet": "We’re “on” for Thursday",
        "historyId": "3005",
        "internalDate": "1793638800000",
        "sizeEstimate": len(RAW_WINDOWS_1252_MESSAGE),
        "raw": b64url(RAW_WINDOWS_1252_MESSAGE),
    }


def gmail_raw_message() -> dict[str, Any]:
    return {
        "id": "18c1f0a2b3d4e5f8",
        "threadId": "18c1f0a2b3d4e5f0",
        "labelIds": ["INBOX"],
        "snippet": "Le café est prêt.",
        "historyId": "2002",
        "internalDate": "1793638800000",
        "sizeEstimate": len(RAW_MESSAGE),
        "raw": b64url(RAW_MESSAGE),
    }


def all_day_event() -> dict[str, Any]:
    return {
        "kind": "calendar#event",
        "etag": "\"3181161784712000\"",
        "id": "7cbh8rpc10lrc0ckih9tafss99",
        "status": "confirmed",
        "htmlLink": "https://www.google.com/calendar/event?eid=N2NiaDhycGMxMGxyYzBja2loOXRhZnNzOTk",
        "created": "2026-10-01T12:00:00.000Z",
        "updated": "2026-10-02T08:30:00.000Z",
        "summary": "Offsite",
        "location": "Lake Tahoe",
        "creator": {"email": "grace@contoso.example"},
        "organizer": {"email": "grace@contoso.example", "displayName": "Grace Hopper"},
        "start": {"date": "2026-11-05"},
        "end": {"date": "2026-11-06"},
        "iCalUID": "7cbh8rpc10lrc0ckih9tafss99@google.com",
        "sequence": 0,
        "attendees": [
            {"email": "grace@contoso.example", "organizer": True, "responseStatus": "accepted"},
            {"email": "ada@contoso.example", "self": True, "responseStatus": "needsAction"},
            {"email": "room-tahoe@resource.calendar.google.com", "resource": True, "responseStatus": "accepted"},
        ],
        "eventType": "default",
    }


def recurring_master() -> dict[str, Any]:
    return {
        "kind": "calendar#event",
        "etag": "\"3181161784712001\"",
        "id": "weekly0sync1abc",
        "status": "confirmed",
        "updated": "2026-10-02T08:30:00.000Z",
        "summary": "Weekly sync",
        "organizer": {"email": "ada@contoso.example", "self": True},
        "start": {"dateTime": "2026-11-02T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-11-02T11:00:00+01:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10", "EXDATE;TZID=Europe/Berlin:20261116T100000"],
        "iCalUID": "weekly0sync1abc@google.com",
        "hangoutLink": "https://meet.google.com/abc-defg-hij",
        "conferenceData": {
            "entryPoints": [
                {"entryPointType": "video", "uri": "https://meet.google.com/abc-defg-hij",
                 "label": "meet.google.com/abc-defg-hij"},
                {"entryPointType": "phone", "uri": "tel:+1-650-555-0100", "label": "+1 650-555-0100", "pin": "123456"},
            ],
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            "conferenceId": "abc-defg-hij",
        },
    }


def html_description_event() -> dict[str, Any]:
    """An event written in Google Calendar's web editor: its description is HTML."""
    return {
        **all_day_event(),
        "etag": "\"3181161784712010\"",
        "id": "planning0review1",
        "iCalUID": "planning0review1@google.com",
        "summary": "Planning review",
        "description": (
            "<b>Agenda</b><br>Please read the <a href=\"https://docs.example/plan\">plan</a> first."
            "<ul><li>Budget &amp; hiring</li><li>Roadmap</li></ul>"
        ),
    }


def recurring_exception() -> dict[str, Any]:
    """The second Monday's instance, moved from 10:00 to 12:00 Berlin time."""
    return {
        "kind": "calendar#event",
        "etag": "\"3181161784712002\"",
        "id": "weekly0sync1abc_20261109T090000Z",
        "status": "confirmed",
        "updated": "2026-10-03T08:30:00.000Z",
        "summary": "Weekly sync (moved)",
        "organizer": {"email": "ada@contoso.example", "self": True},
        "start": {"dateTime": "2026-11-09T12:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-11-09T13:00:00+01:00", "timeZone": "Europe/Berlin"},
        "recurringEventId": "weekly0sync1abc",
        "originalStartTime": {"dateTime": "2026-11-09T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "iCalUID": "weekly0sync1abc@google.com",
        "attendees": [{"email": "alan@contoso.example", "responseStatus": "tentative", "optional": True}],
        "conferenceData": {"entryPoints": [{"entryPointType": "video", "uri": "https://meet.google.com/xyz"}]},
    }


def cancelled_instance() -> dict[str, Any]:
    """The third Monday's instance of ``recurring_master()``, cancelled, as incremental sync (and a
    ``singleEvents=false`` listing) returns it: these six fields and nothing else — no start, no
    end, no summary ("Cancelled exceptions are only guaranteed to have values for the id,
    recurringEventId and originalStartTime fields populated")."""
    return {
        "kind": "calendar#event",
        "etag": "\"3181161784712003\"",
        "id": "weekly0sync1abc_20261116T090000Z",
        "status": "cancelled",
        "recurringEventId": "weekly0sync1abc",
        "originalStartTime": {"dateTime": "2026-11-16T10:00:00+01:00", "timeZone": "Europe/Berlin"},
    }


def all_day_series_master() -> dict[str, Any]:
    """A weekly all-day series on Wednesdays (dates, no zone: all-day events float)."""
    return {
        "kind": "calendar#event",
        "etag": "\"3181161784712006\"",
        "id": "gym0days",
        "status": "confirmed",
        "updated": "2026-10-02T08:30:00.000Z",
        "summary": "Gym day",
        "organizer": {"email": "ada@contoso.example", "self": True},
        "start": {"date": "2026-11-04"},
        "end": {"date": "2026-11-05"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=6"],
        "iCalUID": "gym0days@google.com",
    }


def cancelled_all_day_instance() -> dict[str, Any]:
    """A cancelled instance of an all-day series: its original start is a date."""
    return {
        "kind": "calendar#event",
        "etag": "\"3181161784712005\"",
        "id": "gym0days_20261118",
        "status": "cancelled",
        "recurringEventId": "gym0days",
        "originalStartTime": {"date": "2026-11-18"},
    }


def deleted_event() -> dict[str, Any]:
    """What incremental sync returns for a deleted single event: only id and status."""
    return {"kind": "calendar#event", "etag": "\"3181161784712004\"", "id": "gone0event", "status": "cancelled"}


def person_with_several_addresses() -> dict[str, Any]:
    source = {"type": "CONTACT", "id": "1a2b3c"}
    return {
        "resourceName": "people/c1234567890",
        "etag": "%EgUBAi43PRoEAQIFByIMQk5HTEU4VnFLQkE9",
        "metadata": {"sources": [{**source, "etag": "#abc", "updateTime": "2026-10-01T12:00:00Z"}], "objectType": "PERSON"},
        "names": [
            {"metadata": {"primary": True, "source": source}, "displayName": "Grace Hopper",
             "familyName": "Hopper", "givenName": "Grace", "displayNameLastFirst": "Hopper, Grace"},
        ],
        "emailAddresses": [
            {"metadata": {"source": source}, "value": "grace@home.example", "type": "home", "formattedType": "Home"},
            {"metadata": {"primary": True, "source": source}, "value": "grace@fabrikam.example", "type": "work",
             "formattedType": "Work"},
        ],
        "phoneNumbers": [
            {"metadata": {"primary": True, "source": source}, "value": "+1 425-555-0100",
             "canonicalForm": "+14255550100", "type": "mobile", "formattedType": "Mobile"},
            {"metadata": {"source": source}, "value": "(425) 555-0199", "canonicalForm": "+14255550199",
             "type": "work", "formattedType": "Work"},
        ],
        "organizations": [
            {"metadata": {"primary": True, "source": source}, "name": "Fabrikam", "title": "Rear Admiral"},
        ],
    }


def person_from_two_sources() -> dict[str, Any]:
    """A saved contact who is also a Google user: People merges the contact and the profile, and
    the address and phone both carry appear once per source (the profile's spelled otherwise)."""
    contact = {"type": "CONTACT", "id": "7d1e2f"}
    profile = {"type": "PROFILE", "id": "109876543210987654321"}
    return {
        "resourceName": "people/c2345678901",
        "etag": "%EgcBAgkLLjc9GgQBAgUHIgxRbVZ0cVhGSkRVQT0=",
        "metadata": {
            "sources": [
                {**contact, "etag": "#def", "updateTime": "2026-10-03T09:00:00Z"},
                {**profile, "etag": "#ghi", "profileMetadata": {"objectType": "PERSON", "userTypes": ["GOOGLE_USER"]}},
            ],
            "objectType": "PERSON",
        },
        "names": [
            {"metadata": {"primary": True, "source": contact, "sourcePrimary": True}, "displayName": "Alan Turing",
             "familyName": "Turing", "givenName": "Alan"},
            {"metadata": {"source": profile, "sourcePrimary": True}, "displayName": "Alan Turing",
             "familyName": "Turing", "givenName": "Alan"},
        ],
        "emailAddresses": [
            {"metadata": {"source": profile, "sourcePrimary": True, "verified": True}, "value": "Alan.Turing@Contoso.example"},
            {"metadata": {"primary": True, "source": contact, "sourcePrimary": True}, "value": "alan.turing@contoso.example",
             "type": "work", "formattedType": "Work"},
            {"metadata": {"source": contact}, "value": "alan@home.example", "type": "home", "formattedType": "Home"},
        ],
        "phoneNumbers": [
            {"metadata": {"primary": True, "source": contact, "sourcePrimary": True}, "value": "+44 20 7946 0018",
             "canonicalForm": "+442079460018", "type": "mobile", "formattedType": "Mobile"},
            {"metadata": {"source": profile, "sourcePrimary": True}, "value": "020 7946 0018",
             "canonicalForm": "+442079460018", "type": "mobile", "formattedType": "Mobile"},
            {"metadata": {"source": contact}, "value": "+44 20 7946 0999", "type": "work", "formattedType": "Work"},
            {"metadata": {"source": profile}, "value": "+44 (20) 7946-0999"},
        ],
    }


def deleted_person() -> dict[str, Any]:
    return {"resourceName": "people/c999", "etag": "%EgUBAi43", "metadata": {"deleted": True, "objectType": "PERSON"}}
