"""Graph mail syncs: the folder tree followed by its delta (new folders start fresh, removed ones
are dropped) and moves between folders as one update. Graph is an httpx MockTransport here,
because the emulator's folder tree never changes; the whole path runs on the stack in
tests/integration/producers/test_live_microsoft.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.settings import MicrosoftSettings
from producers.live.changes import Advance, Changes, Listing, SyncContext
from producers.live.microsoft_mail import GraphMail
from schemas.models import DocType, Provider
from tests.unit.producers.live_doubles import integration

GRAPH = "https://graph.microsoft.com/v1.0/users/ada@contoso.example"
NOW = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


class StaticToken:
    async def access_token(self, mailbox: str, *, force_refresh: bool = False) -> str:
        return "token-for-tests"


def message(doc_id: str, folder: str) -> dict[str, Any]:
    return {"id": doc_id, "changeKey": f"ck-{doc_id}", "parentFolderId": folder, "subject": "Hello",
            "receivedDateTime": "2026-11-01T08:00:00Z", "lastModifiedDateTime": "2026-11-01T08:00:00Z",
            "from": {"emailAddress": {"address": "ken@fabrikam.example"}}}


class FakeGraph:
    """Answers per path: the folder delta, each folder's message delta, message lookups."""

    def __init__(self, folders: list[dict[str, Any]], deltas: dict[str, list[dict[str, Any]]],
                 messages: dict[str, dict[str, Any]] | None = None) -> None:
        self.folders = folders
        self.deltas = deltas
        self.messages = messages or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/v1.0/users/ada@contoso.example")
        if path == "/mailFolders/delta":
            return httpx.Response(200, json={"value": self.folders, "@odata.deltaLink": f"{GRAPH}/mailFolders/delta?$deltatoken=f2"})
        if path.endswith("/messages/delta"):
            folder = path.split("/")[2]
            return httpx.Response(200, json={"value": self.deltas.get(folder, []),
                                             "@odata.deltaLink": f"{GRAPH}/mailFolders/{folder}/messages/delta?$deltatoken=2"})
        doc_id = path.removeprefix("/messages/")
        if doc_id in self.messages:
            return httpx.Response(200, json=self.messages[doc_id])
        return httpx.Response(404, json={"error": {"code": "ErrorItemNotFound"}})

    def paths(self) -> list[str]:
        return [f"{r.url.path.removeprefix('/v1.0/users/ada@contoso.example')}?{r.url.query.decode()}" for r in self.requests]


async def steps(graph: FakeGraph, cursors: dict[str, str], mail: GraphMail | None = None) -> list:
    context = SyncContext(integration(Provider.microsoft, cursors), "mail", DocType.email, NOW)
    client = GraphClient(MicrosoftSettings(), StaticToken(), http=httpx.AsyncClient(transport=httpx.MockTransport(graph)))
    async with client:
        return [step async for step in (mail or GraphMail()).steps(client, context)]


def changes(found: list) -> list[tuple[str, bool]]:
    return [(item.doc_id, item.deleted) for step in found if isinstance(step, Changes) for item in step.items]


def folder(folder_id: str, name: str, removed: bool = False) -> dict[str, Any]:
    return {"id": folder_id, "@removed": {"reason": "deleted"}} if removed else {"id": folder_id, "displayName": name}


async def test_a_move_between_folders_is_one_update_and_no_delete() -> None:
    graph = FakeGraph([folder("inbox", "Inbox"), folder("archive", "Archive")],
                      {"inbox": [{"id": "m1", "@removed": {"reason": "deleted"}}], "archive": [message("m1", "archive")]})
    found = await steps(graph, {"mail:inbox": f"{GRAPH}/mailFolders/inbox/messages/delta?$deltatoken=1",
                                "mail:archive": f"{GRAPH}/mailFolders/archive/messages/delta?$deltatoken=1"})
    assert changes(found) == [("m1", False)]
    moved = next(item.record for step in found if isinstance(step, Changes) for item in step.items)
    assert moved.folder == "Archive"  # the folder's name, as the backfill writes it
    assert not any("/messages/m1" in path for path in graph.paths())  # seen live in this sync: no lookup


async def test_a_removed_message_seen_nowhere_is_looked_up_an_update_where_it_is_a_delete_when_gone() -> None:
    # m1 moved into a folder read before the move (its update comes in that folder's next round);
    # m2 is gone for good.
    graph = FakeGraph([folder("inbox", "Inbox"), folder("archive", "Archive")],
                      {"inbox": [{"id": "m1", "@removed": {"reason": "deleted"}}, {"id": "m2", "@removed": {"reason": "deleted"}}]},
                      messages={"m1": message("m1", "archive")})
    found = await steps(graph, {"mail:inbox": f"{GRAPH}/mailFolders/inbox/messages/delta?$deltatoken=1",
                                "mail:archive": f"{GRAPH}/mailFolders/archive/messages/delta?$deltatoken=1"})
    assert sorted(changes(found)) == [("m1", False), ("m2", True)]


async def test_a_new_folder_starts_fresh_and_a_removed_one_is_dropped() -> None:
    mail = GraphMail()
    tree = [folder("inbox", "Inbox"), folder("old", "Old")]
    cursors = {"mail-folders": f"{GRAPH}/mailFolders/delta?$deltatoken=f1",
               "mail:inbox": f"{GRAPH}/mailFolders/inbox/messages/delta?$deltatoken=1",
               "mail:old": f"{GRAPH}/mailFolders/old/messages/delta?$deltatoken=1"}
    await steps(FakeGraph(tree, {}), cursors, mail)  # the first sync of the process reads the whole tree
    graph = FakeGraph([folder("projects", "Projects"), folder("old", "", removed=True)],
                      {"projects": [message("m9", "projects")]})
    found = await steps(graph, cursors, mail)
    [advance] = [step for step in found if isinstance(step, Advance)]
    assert advance.cursors["mail:old"] is None and advance.cursors["mail:projects"].endswith("$deltatoken=2")
    assert advance.cursors["mail:inbox"].endswith("$deltatoken=2")
    paths = graph.paths()
    assert any(p.startswith("/mailFolders/delta?") and "deltatoken=f1" in p for p in paths)  # from the stored tree link
    assert any(p.startswith("/mailFolders/projects/messages/delta?") and "deltatoken" not in p for p in paths)  # fresh
    assert not any("/mailFolders/old/" in p for p in paths)
    assert changes(found) == [("m9", False)]  # a new folder's messages are changes, not a resync listing
    assert not any(isinstance(step, Listing) for step in found)


async def test_after_a_restart_the_whole_tree_is_read_and_folders_no_longer_there_are_dropped() -> None:
    graph = FakeGraph([folder("inbox", "Inbox")], {})
    found = await steps(graph, {"mail-folders": f"{GRAPH}/mailFolders/delta?$deltatoken=f1",
                                "mail:inbox": f"{GRAPH}/mailFolders/inbox/messages/delta?$deltatoken=1",
                                "mail:gone": f"{GRAPH}/mailFolders/gone/messages/delta?$deltatoken=1"})
    assert "deltatoken" not in graph.paths()[0]  # names unknown in this process: the whole tree
    [advance] = [step for step in found if isinstance(step, Advance)]
    assert advance.cursors["mail:gone"] is None and advance.cursors["mail-folders"].endswith("$deltatoken=f2")


async def test_a_mailbox_without_any_folder_cursor_is_read_whole_as_a_listing() -> None:
    graph = FakeGraph([folder("inbox", "Inbox")], {"inbox": [message("m1", "inbox")]})
    found = await steps(graph, {})
    assert [r.id for step in found if isinstance(step, Listing) for r in step.records] == ["m1"]
    assert changes(found) == []
