"""The fault suite's duplicate-effect counters (``tests/faults/effects.py``) trip on the
duplicates they are there to catch, and not on what at-least-once delivery repeats by design."""

from __future__ import annotations

import json
import uuid

from tests import factories
from tests.faults.effects import announced_twice, doubled_history_steps, refed_out_of_order


def feed(tmp_path, *operations: tuple[str, str, str | None]):
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(
        json.dumps({"put": doc, "fields": {"version_marker": version}} if op == "put" else {"remove": doc}) + "\n"
        for op, doc, version in operations))
    return path


def test_a_document_fed_an_old_version_again_or_put_after_its_remove_counts(tmp_path):
    path = feed(tmp_path, ("put", "d1", "1"), ("put", "d1", "2"), ("put", "d1", "1"),
                ("put", "d2", "1"), ("remove", "d2", None), ("put", "d2", "1"))
    assert refed_out_of_order(path) == 2


def test_a_replayed_put_of_the_version_just_fed_is_no_duplicate_effect(tmp_path):
    # A worker killed between its feed and its commit feeds the same version again: Vespa ends
    # as it was (a put is the whole document), which the at-least-once design allows.
    path = feed(tmp_path, ("put", "d1", "1"), ("put", "d1", "1"), ("put", "d1", "2"), ("put", "d1", "2"),
                ("remove", "d1", None), ("remove", "d1", None))
    assert refed_out_of_order(path) == 0
    assert refed_out_of_order(tmp_path / "absent.jsonl") == 0


def test_one_change_announced_under_two_event_ids_counts_but_a_re_emission_does_not():
    update = factories.meeting_update()
    again = update.model_copy()  # re-emitted after a crash: the same id
    other_id = update.model_copy(update={"metadata": update.metadata.model_copy(update={"event_id": uuid.uuid4()})})
    assert announced_twice([update, again]) == 0
    assert announced_twice([update, again, other_id]) == 1
    shipment = factories.shipment_update()
    twice = shipment.model_copy(update={"metadata": shipment.metadata.model_copy(update={"event_id": uuid.uuid4()})})
    assert announced_twice([shipment, twice, factories.meetings_synced()]) == 1


def test_a_status_history_step_one_email_stated_twice_counts():
    package = factories.shipment_update().package
    doubled = package.model_copy(update={"status_history": [*package.status_history, package.status_history[-1]]})
    stored = [package.model_dump_json().encode(), json.dumps(doubled.model_dump_json()).encode()]
    assert doubled_history_steps(stored) == 1
