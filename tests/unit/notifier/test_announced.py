"""A raw change published again under a new event id is not told to a page twice."""

from __future__ import annotations

import datetime as dt
import gc
from typing import Any

import pytest

from processors.notifier.announced import AnnouncedVersions
from schemas.models import ChangeType, EmailUpdateEvent, Event
from tests import factories

T0 = factories.T0


def email_change(change: ChangeType = ChangeType.updated, *, at_s: int = 0, marker: str | None = "100",
                 updated_s: int | None = 0, user_id: str = "ada", email_id: str = "msg-1",
                 sequence: int | None = None) -> EmailUpdateEvent:
    """An EmailUpdateEvent under a fresh event id, ``at_s`` seconds after T0; an update embeds
    its email at version ``marker``, changed ``updated_s`` seconds after T0."""
    body: dict[str, Any] = {}
    if change is not ChangeType.deleted:
        changed = {"updated_at": T0 + dt.timedelta(seconds=updated_s)} if updated_s is not None else {}
        body = {"email": factories.email(email_id, version_marker=marker, **changed)}
    metadata = factories.metadata("EmailUpdateEvent", user_id=user_id, occurred_at=T0 + dt.timedelta(seconds=at_s),
                                  sequence=sequence)
    return EmailUpdateEvent(metadata=metadata, change_type=change, email_id=email_id, **body)


def told(announced: AnnouncedVersions, *events: Event) -> list[bool]:
    return [announced.is_news(event) for event in events]


def test_a_deletion_published_again_under_a_new_event_id_is_told_once() -> None:
    announced = AnnouncedVersions(100)
    created = email_change(ChangeType.created)
    deleted, deleted_again = email_change(ChangeType.deleted, at_s=5), email_change(ChangeType.deleted, at_s=9)
    assert deleted.metadata.event_id != deleted_again.metadata.event_id
    assert told(announced, created, deleted, deleted_again) == [True, True, False]
    assert announced.skipped == 1


def test_the_same_version_found_again_is_not_news_and_a_newer_one_is() -> None:
    announced = AnnouncedVersions(100)
    first = email_change(marker="100", updated_s=0, at_s=1)
    again = email_change(marker="100", updated_s=0, at_s=30)  # a later sync found the same version
    newer = email_change(marker="101", updated_s=20, at_s=31)
    assert told(announced, first, again, newer) == [True, False, True]


def test_an_older_version_arriving_after_a_newer_one_is_not_news() -> None:
    announced = AnnouncedVersions(100)
    newer, older = email_change(marker="105", updated_s=50, at_s=60), email_change(marker="101", updated_s=10, at_s=61)
    assert told(announced, newer, older) == [True, False]


def test_a_later_deletion_moves_the_remembered_time_on_so_an_update_from_between_is_not_news() -> None:
    announced = AnnouncedVersions(100)
    first_delete = email_change(ChangeType.deleted, at_s=10)
    second_delete = email_change(ChangeType.deleted, at_s=30)
    between = email_change(marker=None, updated_s=20, at_s=31)  # changed at 20 s: before the second delete
    assert told(announced, first_delete, second_delete, between) == [True, False, False]


def test_an_item_recreated_after_its_deletion_is_news() -> None:
    announced = AnnouncedVersions(100)
    deleted = email_change(ChangeType.deleted, at_s=10)
    recreated = email_change(ChangeType.created, marker="200", updated_s=15, at_s=16)
    assert told(announced, deleted, recreated) == [True, True]


def test_updates_by_reference_are_ordered_by_the_producers_sequence() -> None:
    # No marker nor change time to compare: an older sequence is not news; a tie it cannot
    # break is (the version order applies the incoming one), so nothing new is ever held back.
    announced = AnnouncedVersions(100)
    by_ref = [
        EmailUpdateEvent(
            metadata=factories.metadata("EmailUpdateEvent", user_id="ada", occurred_at=T0, sequence=seq),
            change_type=ChangeType.updated, email_id="msg-big", email_ref=factories.payload_ref("msg-big", user_id="ada"),
        )
        for seq in (5, 7, 6, 7)
    ]
    assert told(announced, *by_ref) == [True, True, False, True]


def test_items_of_other_users_and_other_ids_are_judged_apart() -> None:
    announced = AnnouncedVersions(100)
    events = [email_change(user_id="ada"), email_change(user_id="bob"), email_change(user_id="ada", email_id="msg-2")]
    assert told(announced, *events) == [True, True, True]


def test_the_least_recently_changed_item_is_forgotten_first() -> None:
    announced = AnnouncedVersions(2)
    one, two, three = (email_change(email_id=f"msg-{n}") for n in (1, 2, 3))
    assert told(announced, one, two, three) == [True, True, True]
    assert len(announced) == 2
    # msg-1 was forgotten: its repeat is told again; msg-3 is still remembered.
    assert told(announced, email_change(email_id="msg-1", at_s=9), email_change(email_id="msg-3", at_s=9)) == [True, False]


def test_with_no_capacity_every_change_is_news() -> None:
    announced = AnnouncedVersions(0)
    assert told(announced, email_change(), email_change(at_s=9)) == [True, True]
    with pytest.raises(ValueError, match="capacity"):
        AnnouncedVersions(-1)


def test_events_that_are_not_single_updates_are_always_news() -> None:
    announced = AnnouncedVersions(100)
    meeting = factories.meeting_update(user_id="ada")
    assert told(announced, meeting, meeting) == [True, True]
    assert announced.skipped == 0


def test_remembered_versions_leave_the_collector_nothing_to_walk() -> None:
    announced = AnnouncedVersions(1000)
    for n in range(500):
        announced.is_news(email_change(email_id=f"msg-{n}"))
    gc.collect()
    entries = list(announced._versions.values())
    assert len(entries) == 500
    assert not any(gc.is_tracked(entry) for entry in entries)
