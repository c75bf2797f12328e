"""The emulator's Graph face dates each change as Graph does: ``lastModifiedDateTime`` moves
forward with every change of an item and is never after the world's clock. Consumers order
versions by it first, so a static or future time would hide an update (an event "modified" a
day before its start in the future would outrank its own later cancellation)."""

from __future__ import annotations

import datetime as dt

from connectors.emulator.microsoft.render import render_event, render_message
from connectors.emulator.world import World


def modified(rendered: dict[str, object]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(rendered["lastModifiedDateTime"]).replace("Z", "+00:00"))


def test_every_item_was_last_modified_no_later_than_the_worlds_clock() -> None:
    world = World(users=1, emails_per_user=5)
    user, box = next(iter(world.mailboxes.items()))
    times = [modified(render_event(user, event)) for event in box.events.values()]
    times += [modified(render_message(user, message)) for message in box.emails.values()]
    assert times and max(times) <= world.now


def test_a_change_moves_the_items_modified_time_forward() -> None:
    world = World(users=1, emails_per_user=5)
    user, box = next(iter(world.mailboxes.items()))
    before = {event.id: modified(render_event(user, event)) for event in box.events.values()}
    world.advance(user)
    offsite, weekly = box.events["evt-offsite"], box.events["evt-weekly"]
    assert offsite.cancelled and modified(render_event(user, offsite)) > before["evt-offsite"]
    assert modified(render_event(user, weekly)) > before["evt-weekly"]
    assert max(modified(render_event(user, event)) for event in box.events.values()) <= world.now
    changed = [m for m in box.emails.values() if m.version > 1]
    assert changed and all(modified(render_message(user, m)) == world.now for m in changed)
