"""calendarView delta occurrence stubs completed from their series master (``calendar_records``):
what the records say, and how often a master is fetched. httpx's MockTransport plays Graph's
``GET events/{id}``; the round trip against the emulator is in tests/integration/microsoft."""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from typing import Any

import httpx
import pytest

from connectors.microsoft import delta
from connectors.microsoft.exceptions import GraphRequestError, NormalizationError
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.normalize import RemovedItem, normalize
from connectors.microsoft.occurrences import SERIES_GONE, SeriesMasters, calendar_records
from connectors.microsoft.settings import MicrosoftSettings
from schemas.models import Address, CalendarEvent, EventKind, EventStatus, EventTime, ResponseStatus
from tests.unit.microsoft.graph_samples import (
    EVENT_PACIFIC,
    EXCEPTION,
    HOLIDAY_MASTER,
    HOLIDAY_STUB,
    TEAM_SYNC_MASTER,
    TEAM_SYNC_STUB,
)

MAILBOX = "ada@contoso.example"


class StaticToken:
    async def access_token(self, mailbox: str, *, force_refresh: bool = False) -> str:
        return "token-for-tests"


class FakeGraph:
    """``GET users/{mailbox}/events/{id}``: the masters it holds, 404 for any other id."""

    def __init__(self, *masters: dict[str, Any], failing: int | None = None) -> None:
        self.masters = {master["id"]: master for master in masters}
        self.fetched: Counter[str] = Counter()
        self.failing = failing

    def __call__(self, request: httpx.Request) -> httpx.Response:
        event_id = request.url.path.rsplit("/", 1)[-1]
        self.fetched[event_id] += 1
        if self.failing:
            return httpx.Response(self.failing, json={"error": {"code": "ErrorAccessDenied"}})
        if event_id in self.masters:
            return httpx.Response(200, json=self.masters[event_id])
        return httpx.Response(404, json={"error": {"code": "ErrorItemNotFound", "message": "not found"}})

    def client(self) -> GraphClient:
        settings = MicrosoftSettings(max_attempts=1)
        return GraphClient(settings, StaticToken(), http=httpx.AsyncClient(transport=httpx.MockTransport(self)))


def _stub(template: dict[str, Any], day: int, occurrence_id: str) -> dict[str, Any]:
    stub = copy.deepcopy(template)
    stub["id"] = occurrence_id
    for key in ("start", "end"):
        stub[key]["dateTime"] = stub[key]["dateTime"].replace("-11-16T", f"-11-{day:02d}T").replace("-11-13T", f"-11-{day:02d}T")
    return stub


async def test_an_occurrence_stub_carries_its_masters_content_with_its_own_id_and_times() -> None:
    graph = FakeGraph(TEAM_SYNC_MASTER)
    async with graph.client() as client:
        [record] = await calendar_records([TEAM_SYNC_STUB], SeriesMasters(client, MAILBOX))
    assert isinstance(record, CalendarEvent)
    assert (record.id, record.kind, record.series_master_id) == ("AAMkADTeamSyncOcc1116=", EventKind.occurrence, "AAMkADTeamSyncMaster=")
    assert (record.title, record.body, record.location) == ("Team sync", "Weekly round", "Room 4")
    assert record.start == EventTime(at=dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC), time_zone="Europe/Berlin")
    assert record.end == EventTime(at=dt.datetime(2026, 11, 16, 9, 30, tzinfo=dt.UTC), time_zone="Europe/Berlin")
    assert (record.is_all_day, record.status, record.recurrence) == (False, EventStatus.confirmed, [])
    assert record.organizer == Address(email="adelev@contoso.example", name="Adele Vance")
    assert [(a.address.email, a.response) for a in record.attendees] == [("meganb@contoso.example", ResponseStatus.accepted)]
    assert record.online_meeting_url == "https://teams.microsoft.com/l/meetup-join/19%3ameeting_teamsync"
    assert record.ical_uid is None  # Graph gives every occurrence its own; the stub has none
    # An edit of the master or of the occurrence is a new version; the change time is the master's.
    assert record.version_marker == "DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhT48i7:DwAAABYAAAC9YbapXssvT4RTG13UUr6AAAhT2ZIu"
    assert record.updated_at == dt.datetime(2026, 10, 20, 7, 45, 12, tzinfo=dt.UTC)


async def test_occurrences_of_an_all_day_series_are_all_day_dates_in_the_masters_zone() -> None:
    graph = FakeGraph(HOLIDAY_MASTER)
    async with graph.client() as client:
        [record] = await calendar_records([HOLIDAY_STUB], SeriesMasters(client, MAILBOX))
    assert isinstance(record, CalendarEvent) and record.is_all_day and record.title == "Remote Friday"
    assert record.start == EventTime(date=dt.date(2026, 11, 13), time_zone="America/Los_Angeles")
    assert record.end == EventTime(date=dt.date(2026, 11, 14), time_zone="America/Los_Angeles")


async def test_an_all_day_occurrence_given_as_instants_falls_on_its_day_in_the_masters_zone() -> None:
    """Should Graph write an all-day occurrence as the instants of its zone's midnights."""
    master = {**HOLIDAY_MASTER, "originalStartTimeZone": "Tokyo Standard Time", "originalEndTimeZone": "Tokyo Standard Time"}
    stub = copy.deepcopy(HOLIDAY_STUB)
    stub["start"] = {"dateTime": "2026-11-12T15:00:00.0000000", "timeZone": "UTC"}  # midnight of the 13th in Tokyo
    stub["end"] = {"dateTime": "2026-11-13T15:00:00.0000000", "timeZone": "UTC"}
    async with FakeGraph(master).client() as client:
        [record] = await calendar_records([stub], SeriesMasters(client, MAILBOX))
    assert record.start == EventTime(date=dt.date(2026, 11, 13), time_zone="Asia/Tokyo")
    assert record.end == EventTime(date=dt.date(2026, 11, 14), time_zone="Asia/Tokyo")


async def test_each_master_is_fetched_once_per_sync_whatever_the_pages() -> None:
    graph = FakeGraph(TEAM_SYNC_MASTER, HOLIDAY_MASTER)
    first_page = [_stub(TEAM_SYNC_STUB, day, f"sync-{day}") for day in (2, 9)] + [_stub(HOLIDAY_STUB, 6, "friday-6")]
    second_page = [_stub(TEAM_SYNC_STUB, 23, "sync-23"), _stub(HOLIDAY_STUB, 20, "friday-20")]
    async with graph.client() as client:
        masters = SeriesMasters(client, MAILBOX)
        records = await calendar_records(first_page, masters) + await calendar_records(second_page, masters)
    assert [r.title for r in records] == ["Team sync"] * 2 + ["Remote Friday"] + ["Team sync", "Remote Friday"]
    assert graph.fetched == Counter({"AAMkADTeamSyncMaster=": 1, "AAMkADRemoteFridayMaster=": 1})
    assert [m["id"] for m in masters.found] == ["AAMkADRemoteFridayMaster=", "AAMkADTeamSyncMaster="]


async def test_a_master_that_came_in_the_round_is_not_fetched() -> None:
    graph = FakeGraph()
    async with graph.client() as client:
        records = await calendar_records([TEAM_SYNC_MASTER, TEAM_SYNC_STUB], SeriesMasters(client, MAILBOX))
    assert [(r.kind, r.title) for r in records] == [(EventKind.series_master, "Team sync"), (EventKind.occurrence, "Team sync")]
    assert graph.fetched == Counter()


async def test_stubs_of_a_series_graph_no_longer_has_are_deleted_and_the_rest_of_the_page_goes_on() -> None:
    graph = FakeGraph()  # every master: 404
    page = [EVENT_PACIFIC, TEAM_SYNC_STUB, _stub(TEAM_SYNC_STUB, 23, "sync-23"), {"id": "gone", "@removed": {"reason": "deleted"}}]
    async with graph.client() as client:
        records = await calendar_records(page, SeriesMasters(client, MAILBOX))
    assert records[0].id == EVENT_PACIFIC["id"] and isinstance(records[0], CalendarEvent)
    assert records[1:] == [
        RemovedItem(kind="event", id="AAMkADTeamSyncOcc1116=", reason=SERIES_GONE),
        RemovedItem(kind="event", id="sync-23", reason=SERIES_GONE),
        RemovedItem(kind="event", id="gone", reason="deleted"),
    ]
    assert graph.fetched == Counter({"AAMkADTeamSyncMaster=": 1})


async def test_exceptions_come_whole_and_are_read_as_they_are() -> None:
    graph = FakeGraph()
    async with graph.client() as client:
        [record] = await calendar_records([EXCEPTION], SeriesMasters(client, MAILBOX))
    assert (record.kind, record.title) == (EventKind.exception, "Review (moved)") and graph.fetched == Counter()


async def test_an_unreadable_entry_goes_to_on_error_and_the_others_are_read() -> None:
    broken = {**TEAM_SYNC_STUB, "id": "broken", "start": {"dateTime": "soon", "timeZone": "UTC"}}
    refused: list[tuple[str, str]] = []
    async with FakeGraph(TEAM_SYNC_MASTER).client() as client:
        records = await calendar_records([broken, TEAM_SYNC_STUB], SeriesMasters(client, MAILBOX),
                                         on_error=lambda entry, exc: refused.append((entry["id"], str(exc))))
    assert [r.id for r in records] == ["AAMkADTeamSyncOcc1116="]
    assert refused[0][0] == "broken" and "not an ISO 8601" in refused[0][1]


async def test_a_master_graph_refuses_to_give_fails_the_page_rather_than_guessing() -> None:
    async with FakeGraph(TEAM_SYNC_MASTER, failing=403).client() as client:
        with pytest.raises(GraphRequestError):
            await calendar_records([TEAM_SYNC_STUB], SeriesMasters(client, MAILBOX))


def test_a_bare_stub_is_refused_rather_than_read_as_an_untitled_event() -> None:
    with pytest.raises(NormalizationError, match=r"occurrence stub \(.*calendar_records"):
        normalize("event", TEAM_SYNC_STUB)


def test_calendar_delta_pages_are_not_read_without_their_masters() -> None:
    page = delta.DeltaPage(delta.calendar_view(MAILBOX, dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                                               dt.datetime(2026, 12, 1, tzinfo=dt.UTC)), [TEAM_SYNC_STUB])
    with pytest.raises(ValueError, match="calendar_records"):
        page.normalized()
