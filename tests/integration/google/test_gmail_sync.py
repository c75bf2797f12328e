"""Gmail through the real google-auth and google-api-python-client, against the emulator."""

from __future__ import annotations

from connectors.google import date_query, full_sync, sync_changes
from connectors.google.exceptions import CursorExpired
from connectors.google.normalize import normalize
from tests.integration.google.fixtures import RecordingSleep, RunningEmulator, account_for, emulator, pristine_world, sleep

__all__ = ["emulator", "pristine_world", "sleep"]  # fixtures


def test_full_sync_lists_pages_and_fetches_every_message_in_batches(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep, page_size=10, batch_size=4)
    box = emulator.world.mailbox(emulator.user)
    batches = list(full_sync(account.gmail))
    assert len(batches) == 3  # 25 messages, 10 a page
    assert all(b.full_resync for b in batches)
    assert [b.cursor for b in batches] == [None, None, str(box.seq)]
    assert [b.next_page_token is None for b in batches] == [False, False, True]
    records = [r for b in batches for r in b.records]
    assert sorted(r.id for r in records) == sorted(box.emails)
    assert [r.received_at for r in records] == sorted((r.received_at for r in records), reverse=True)
    sample = next(r for r in records if r.id == next(iter(box.emails)))
    item = box.emails[sample.id]
    assert sample.thread_id == item.thread_id and sample.labels == item.labels and sample.is_read == ("UNREAD" not in item.labels)
    assert sample.body_text and sample.from_address is not None


def test_raw_and_full_formats_normalize_to_the_same_bodies(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    ids = list(emulator.world.mailbox(emulator.user).emails)
    full = account.gmail.get_messages(ids, fmt="full").messages
    raw = account.gmail.get_messages(ids, fmt="raw").messages
    for message_id in ids:
        a, b = normalize("email", full[message_id]), normalize("email", raw[message_id])
        assert (a.body_text, a.body_html, a.subject, a.from_address) == (b.body_text, b.body_html, b.subject, b.from_address)
        assert [x.filename for x in a.attachments] == [x.filename for x in b.attachments]


def test_date_range_query_limits_the_listing(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    box = emulator.world.mailbox(emulator.user)
    times = sorted(m.received_at for m in box.emails.values())
    after, before = times[5], times[15]
    records = [r for b in full_sync(account.gmail, query=date_query(after, before)) for r in b.records]
    assert sorted(r.id for r in records) == sorted(m.id for m in box.emails.values() if after <= m.received_at < before)


def test_incremental_sync_after_advance_returns_new_changed_and_deleted(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    box = emulator.world.mailbox(emulator.user)
    cursor = [b for b in full_sync(account.gmail)][-1].cursor
    changes = emulator.control("/_emulator/advance", {"user": emulator.user})["changes"]
    emails = [c for c in changes if c["kind"] == "email"]
    batches = list(sync_changes(account.gmail, cursor))
    assert not any(b.full_resync for b in batches)
    assert batches[-1].cursor == str(box.seq)
    upserted = {r.id for b in batches for r in b.records}
    deleted = {i for b in batches for i in b.deleted_ids}
    assert deleted == {c["item_id"] for c in emails if c["change"] == "deleted"}
    assert upserted == {c["item_id"] for c in emails if c["change"] != "deleted"} - deleted
    assert all(r.version_marker == str(max(c["seq"] for c in emails if c["item_id"] == r.id))
               for b in batches for r in b.records)


def test_incremental_sync_with_nothing_new_keeps_the_cursor(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    cursor = str(emulator.world.mailbox(emulator.user).seq)
    batches = list(sync_changes(account.gmail, cursor))
    assert [(b.records, b.deleted_ids, b.cursor) for b in batches] == [([], [], cursor)]


def test_expired_history_id_falls_back_to_a_full_resync(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    box = emulator.world.mailbox(emulator.user)
    old_cursor = str(box.seq)
    emulator.control("/_emulator/advance", {"user": emulator.user})
    emulator.control("/_emulator/expire", {"user": emulator.user})
    try:
        account.gmail.history(old_cursor)
        raise AssertionError("history.list from an expired historyId should raise CursorExpired")
    except CursorExpired as exc:
        assert exc.status == 404
    batches = list(sync_changes(account.gmail, old_cursor))
    assert all(b.full_resync for b in batches)
    assert sorted(r.id for b in batches for r in b.records) == sorted(box.emails)
    assert batches[-1].cursor == str(box.seq)


def test_emulated_full_format_keeps_latin1_parts_and_inline_images_like_gmail(emulator: RunningEmulator,
                                                                              sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    box = emulator.world.mailbox(emulator.user)
    latin1 = next(m.id for m in box.emails.values() if b"iso-8859-1" in m.mime)
    newsletter = next(m.id for m in box.emails.values() if b"cid:logo" in m.mime)
    fetched = account.gmail.get_messages([latin1, newsletter]).messages
    [plain] = [p for p in _parts(fetched[latin1]["payload"]) if p["mimeType"] == "text/plain"]
    assert plain["partId"] in ("0", "0.0")  # alternative, or alternative inside mixed
    assert "iso-8859-1" in next(h["value"] for h in plain["headers"] if h["name"] == "Content-Type")
    assert "Café menu: größer?" in normalize("email", fetched[latin1]).body_text
    related = fetched[newsletter]["payload"]["parts"][1]
    assert related["mimeType"] == "multipart/related" and related["parts"][1]["partId"] == "1.1"
    assert "attachmentId" in related["parts"][1]["body"] and "data" not in related["parts"][1]["body"]
    [logo] = normalize("email", fetched[newsletter]).attachments
    assert (logo.content_type, logo.content_id, logo.is_inline) == ("image/png", "logo", True)


def _parts(part: dict) -> list[dict]:
    return [part, *(p for child in part.get("parts", []) for p in _parts(child))]
