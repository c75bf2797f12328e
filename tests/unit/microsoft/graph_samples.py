"""Graph payloads shaped like the examples in Microsoft's Graph reference (message, event,
contact, delta) — written for these tests, with the fields the documentation shows."""

from __future__ import annotations

from typing import Any

MESSAGE_HTML: dict[str, Any] = {
    "@odata.etag": 'W/"CQAAABYAAAC4ofQHEIqCSbQPot83AFcbAAAW/0tB"',
    "id": "AAMkAGUAAAwTW09AAA=",
    "createdDateTime": "2019-02-04T19:58:31Z",
    "lastModifiedDateTime": "2019-02-04T19:58:34Z",
    "changeKey": "CQAAABYAAAC4ofQHEIqCSbQPot83AFcbAAAW/0tB",
    "categories": ["Red category", "Project Falcon"],
    "receivedDateTime": "2019-02-04T19:58:32Z",
    "sentDateTime": "2019-02-04T19:58:31Z",
    "hasAttachments": True,
    "internetMessageId": "<MWHPR2201MB10205C4E0DD6D0A8@MWHPR2201MB1020.namprd22.prod.outlook.com>",
    "subject": "Meet for lunch?",
    "bodyPreview": "The new cafeteria is open.",
    "importance": "normal",
    "parentFolderId": "AQMkAGUAAAIBDAAAAA==",
    "conversationId": "AAQkAGUAAAQK7nw4=",
    "isRead": True,
    "isDraft": False,
    "body": {"contentType": "html", "content": "<html><body><p>The new cafeteria is open.</p></body></html>"},
    "sender": {"emailAddress": {"name": "Adele Vance", "address": "adelev@contoso.onmicrosoft.com"}},
    "from": {"emailAddress": {"name": "Adele Vance", "address": "adelev@contoso.onmicrosoft.com"}},
    "toRecipients": [{"emailAddress": {"name": "Megan Bowen", "address": "meganb@contoso.onmicrosoft.com"}}],
    "ccRecipients": [
        {"emailAddress": {"name": "Alex Wilber", "address": "alexw@contoso.onmicrosoft.com"}},
        {"emailAddress": {"name": "Former list"}},
    ],
    "bccRecipients": [],
    "replyTo": [{"emailAddress": {"name": "Lunch bot", "address": "lunch@contoso.onmicrosoft.com"}}],
    "flag": {"flagStatus": "notFlagged"},
    "internetMessageHeaders": [
        {"name": "Message-ID", "value": "<MWHPR2201MB10205C4E0DD6D0A8@MWHPR2201MB1020.namprd22.prod.outlook.com>"},
        {"name": "In-Reply-To", "value": "<lunch-1@contoso.onmicrosoft.com>"},
        {"name": "References", "value": "<lunch-0@contoso.onmicrosoft.com>\r\n <lunch-1@contoso.onmicrosoft.com>"},
    ],
    "attachments": [
        {
            "@odata.type": "#microsoft.graph.fileAttachment",
            "id": "AAMkAGUAAAwTW09AAABEgAQAPGNgHhR8k9Dm",
            "name": "menu.pdf",
            "contentType": "application/pdf",
            "size": 4862,
            "isInline": False,
            "contentId": None,
        }
    ],
}

MESSAGE_TEXT: dict[str, Any] = {
    "id": "AAMkAGI1AAAoZCfHAAA=",
    "receivedDateTime": "2016-10-19T10:37:00Z",
    "subject": "Plain note",
    "body": {"contentType": "text", "content": "Just text."},
    "from": {"emailAddress": {"name": "Ken", "address": "ken@fabrikam.example"}},
    "toRecipients": [],
    "isRead": False,
}

EVENT_PACIFIC: dict[str, Any] = {
    "@odata.etag": 'W/"ZlnW4RIAV06KYYwlrfNZvQAALfZeRQ=="',
    "id": "AAMkAGI1AAAt8AHjAAA=",
    "changeKey": "ZlnW4RIAV06KYYwlrfNZvQAALfZeRQ==",
    "createdDateTime": "2017-04-15T03:00:50.7579581Z",
    "lastModifiedDateTime": "2017-04-15T03:00:51.245372Z",
    "originalStartTimeZone": "Pacific Standard Time",
    "originalEndTimeZone": "Pacific Standard Time",
    "iCalUId": "040000008200E00074C5B7101A82E00800000000DA2B357D94B5D201000000000000000010000000EC4597557F0CB34EA4CC2887EA7B17C3",
    "subject": "Let's go brunch",
    "bodyPreview": "Does noon work for you?",
    "body": {"contentType": "html", "content": "<html><body><p>Does noon <b>work</b> for you?</p></body></html>"},
    "start": {"dateTime": "2017-04-15T12:00:00.0000000", "timeZone": "Pacific Standard Time"},
    "end": {"dateTime": "2017-04-15T14:00:00.0000000", "timeZone": "Pacific Standard Time"},
    "location": {"displayName": "Harry's Bar", "locationType": "default"},
    "isAllDay": False,
    "isCancelled": False,
    "isOrganizer": True,
    "type": "singleInstance",
    "seriesMasterId": None,
    "recurrence": None,
    "attendees": [
        {"type": "required", "status": {"response": "tentativelyAccepted", "time": "2017-04-15T03:05:00Z"},
         "emailAddress": {"name": "Samantha Booth", "address": "samanthab@contoso.onmicrosoft.com"}},
        {"type": "optional", "status": {"response": "notResponded", "time": "0001-01-01T00:00:00Z"},
         "emailAddress": {"name": "Dana Swope", "address": "danas@contoso.onmicrosoft.com"}},
        {"type": "resource", "status": {"response": "accepted"},
         "emailAddress": {"name": "Conf Room 1", "address": "conf1@contoso.onmicrosoft.com"}},
    ],
    "organizer": {"emailAddress": {"name": "Dana Swope", "address": "danas@contoso.onmicrosoft.com"}},
    "onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_brunch"},
}

EVENT_ALL_DAY: dict[str, Any] = {
    "id": "AAMkADAllDay=",
    "changeKey": "allday-ck-1",
    "originalStartTimeZone": "W. Europe Standard Time",
    "subject": "Company holiday",
    "isAllDay": True,
    "type": "singleInstance",
    "start": {"dateTime": "2026-12-24T00:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2026-12-26T00:00:00.0000000", "timeZone": "UTC"},
    "organizer": {"emailAddress": {"name": "HR", "address": "hr@contoso.example"}},
}

SERIES_MASTER: dict[str, Any] = {
    "id": "AAMkADSeriesMaster=",
    "changeKey": "master-ck-3",
    "originalStartTimeZone": "Eastern Standard Time",
    "originalEndTimeZone": "Eastern Standard Time",
    "subject": "Review",
    "type": "seriesMaster",
    "isAllDay": False,
    "start": {"dateTime": "2017-09-04T16:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2017-09-04T17:00:00.0000000", "timeZone": "UTC"},
    "recurrence": {
        "pattern": {"type": "weekly", "interval": 2, "month": 0, "dayOfMonth": 0,
                    "daysOfWeek": ["monday", "wednesday"], "firstDayOfWeek": "sunday", "index": "first"},
        "range": {"type": "endDate", "startDate": "2017-09-04", "endDate": "2017-12-31",
                  "recurrenceTimeZone": "Eastern Standard Time", "numberOfOccurrences": 0},
    },
    "organizer": {"emailAddress": {"name": "Alex Wilber", "address": "alexw@contoso.example"}},
}

RELATIVE_MONTHLY_MASTER: dict[str, Any] = {
    **SERIES_MASTER,
    "@odata.type": "#microsoft.graph.event",
    "id": "AAMkADMonthlyMaster=",
    "subject": "Board meeting",
    "recurrence": {
        "pattern": {"type": "relativeMonthly", "interval": 1, "month": 0, "dayOfMonth": 0,
                    "daysOfWeek": ["thursday"], "firstDayOfWeek": "sunday", "index": "second"},
        "range": {"type": "numbered", "startDate": "2017-09-14", "endDate": "0001-01-01",
                  "recurrenceTimeZone": "Eastern Standard Time", "numberOfOccurrences": 12},
    },
}

EXCEPTION: dict[str, Any] = {
    "id": "AAMkADException=",
    "changeKey": "ex-ck-1",
    "originalStartTimeZone": "Eastern Standard Time",
    "originalEndTimeZone": "Eastern Standard Time",
    "subject": "Review (moved)",
    "type": "exception",
    "seriesMasterId": "AAMkADSeriesMaster=",
    "originalStart": "2017-09-18T16:00:00Z",
    "start": {"dateTime": "2017-09-19T18:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2017-09-19T19:00:00.0000000", "timeZone": "UTC"},
    "isAllDay": False,
}

CANCELLED_OCCURRENCE: dict[str, Any] = {
    "id": "AAMkADOccurrence=",
    "type": "occurrence",
    "seriesMasterId": "AAMkADSeriesMaster=",
    "originalStart": "2017-09-20T16:00:00Z",
    "subject": "Canceled: Review",
    "isCancelled": True,
    "isAllDay": False,
    "start": {"dateTime": "2017-09-20T16:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2017-09-20T17:00:00.0000000", "timeZone": "UTC"},
}

CONTACT: dict[str, Any] = {
    "@odata.etag": 'W/"EQAAABYAAACDjsx6v3Z6RJsAUjz5lgPTAAA4gPy+"',
    "id": "AAMkAGI2THk0AAA=",
    "createdDateTime": "2019-08-09T23:55:18Z",
    "lastModifiedDateTime": "2019-08-09T23:57:03Z",
    "changeKey": "EQAAABYAAACDjsx6v3Z6RJsAUjz5lgPTAAA4gPy+",
    "displayName": "Pavel Bansky",
    "givenName": "Pavel",
    "surname": "Bansky",
    "jobTitle": "Product Manager",
    "companyName": "Contoso",
    "emailAddresses": [
        {"address": "pavelb@contoso.onmicrosoft.com", "name": "Pavel Bansky"},
        {"address": "pavel@home.example", "name": "pavel@home.example"},
    ],
    "businessPhones": ["+1 732 555 0102", "+1 732 555 0103"],
    "homePhones": ["+1 732 555 0199"],
    "mobilePhone": "+1 206 555 0110",
}

REMOVED = {"@odata.type": "#microsoft.graph.message", "id": "AAMkAGUAAAwTW09AAB=", "@removed": {"reason": "deleted"}}

# -- calendarView delta: occurrences of a series come as stubs ------------------------------
# The stub shape is what Graph's calendarView/delta returns for every occurrence of a series
# (microsoftgraph/microsoft-graph-docs issues #1716, #7632, #22197): these seven properties,
# start and end in UTC, nothing else.

TEAM_SYNC_MASTER: dict[str, Any] = {
    "@odata.etag": 'W/"DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhT2ZIu"',
    "id": "AAMkADTeamSyncMaster=",
    "createdDateTime": "2026-09-01T08:00:00.0000000Z",
    "lastModifiedDateTime": "2026-10-20T07:45:12.0000000Z",
    "changeKey": "DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhT2ZIu",
    "originalStartTimeZone": "W. Europe Standard Time",
    "originalEndTimeZone": "W. Europe Standard Time",
    "iCalUId": "040000008200E00074C5B7101A82E00800000000TEAMSYNC",
    "subject": "Team sync",
    "bodyPreview": "Weekly round",
    "body": {"contentType": "html", "content": "<html><body><p>Weekly <b>round</b></p></body></html>"},
    "isAllDay": False,
    "isCancelled": False,
    "type": "seriesMaster",
    "seriesMasterId": None,
    "start": {"dateTime": "2026-11-02T09:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2026-11-02T09:30:00.0000000", "timeZone": "UTC"},
    "location": {"displayName": "Room 4", "locationType": "default"},
    "recurrence": {
        "pattern": {"type": "weekly", "interval": 1, "month": 0, "dayOfMonth": 0,
                    "daysOfWeek": ["monday"], "firstDayOfWeek": "sunday", "index": "first"},
        "range": {"type": "noEnd", "startDate": "2026-11-02", "endDate": "0001-01-01",
                  "recurrenceTimeZone": "W. Europe Standard Time", "numberOfOccurrences": 0},
    },
    "attendees": [
        {"type": "required", "status": {"response": "accepted", "time": "2026-09-02T10:00:00Z"},
         "emailAddress": {"name": "Megan Bowen", "address": "meganb@contoso.example"}},
    ],
    "organizer": {"emailAddress": {"name": "Adele Vance", "address": "adelev@contoso.example"}},
    "onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_teamsync"},
}

TEAM_SYNC_STUB: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.event",
    "@odata.etag": 'W/"DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhT48i7"',
    "seriesMasterId": "AAMkADTeamSyncMaster=",
    "type": "occurrence",
    "start": {"dateTime": "2026-11-16T09:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2026-11-16T09:30:00.0000000", "timeZone": "UTC"},
    "id": "AAMkADTeamSyncOcc1116=",
}

HOLIDAY_MASTER: dict[str, Any] = {
    "@odata.etag": 'W/"DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhU0001"',
    "id": "AAMkADRemoteFridayMaster=",
    "lastModifiedDateTime": "2026-10-01T12:00:00Z",
    "changeKey": "DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhU0001",
    "originalStartTimeZone": "Pacific Standard Time",
    "originalEndTimeZone": "Pacific Standard Time",
    "subject": "Remote Friday",
    "isAllDay": True,
    "type": "seriesMaster",
    "start": {"dateTime": "2026-11-06T00:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2026-11-07T00:00:00.0000000", "timeZone": "UTC"},
    "recurrence": {
        "pattern": {"type": "weekly", "interval": 1, "month": 0, "dayOfMonth": 0,
                    "daysOfWeek": ["friday"], "firstDayOfWeek": "sunday", "index": "first"},
        "range": {"type": "noEnd", "startDate": "2026-11-06", "endDate": "0001-01-01",
                  "recurrenceTimeZone": "Pacific Standard Time", "numberOfOccurrences": 0},
    },
    "organizer": {"emailAddress": {"name": "Adele Vance", "address": "adelev@contoso.example"}},
}

#: An occurrence of the all-day series: Graph writes all-day events midnight to midnight,
#: whatever the zone.
HOLIDAY_STUB: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.event",
    "@odata.etag": 'W/"DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhU0002"',
    "seriesMasterId": "AAMkADRemoteFridayMaster=",
    "type": "occurrence",
    "start": {"dateTime": "2026-11-13T00:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2026-11-14T00:00:00.0000000", "timeZone": "UTC"},
    "id": "AAMkADRemoteFridayOcc1113=",
}

#: The 20 November occurrence of the all-day series, moved to the Thursday: a whole event.
HOLIDAY_EXCEPTION: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.event",
    "@odata.etag": 'W/"DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhU0003"',
    "id": "AAMkADRemoteFridayEx1120=",
    "lastModifiedDateTime": "2026-10-05T12:00:00Z",
    "changeKey": "DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhU0003",
    "originalStartTimeZone": "Pacific Standard Time",
    "originalEndTimeZone": "Pacific Standard Time",
    "subject": "Remote Thursday (moved)",
    "isAllDay": True,
    "type": "exception",
    "seriesMasterId": "AAMkADRemoteFridayMaster=",
    "originalStart": "2026-11-20T08:00:00Z",
    "start": {"dateTime": "2026-11-19T00:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2026-11-20T00:00:00.0000000", "timeZone": "UTC"},
    "organizer": {"emailAddress": {"name": "Adele Vance", "address": "adelev@contoso.example"}},
}
