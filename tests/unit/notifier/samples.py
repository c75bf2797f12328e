"""Notifications for the notifier's unit tests: numbered, one second apart, ids as the notifier builds them."""

from __future__ import annotations

import datetime as dt

from processors.notifier.notifications import Notification, notification_id

T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def note(user_id: str, n: int) -> Notification:
    """The ``n``-th notification of ``user_id`` (payload ``{"n": n}``)."""
    created = T0 + dt.timedelta(seconds=n)
    return Notification(id=notification_id(created, f"{user_id}-{n}"), user_id=user_id, kind="email.created", payload={"n": n}, created_at=created)


def numbers(notifications: tuple[Notification, ...]) -> list[object]:
    return [n.payload["n"] for n in notifications]
