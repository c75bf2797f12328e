"""The user's next meetings, series expanded, for "what's next" views."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from itertools import islice

from processors.meetings.context import MeetingContext, MeetingTombstone
from processors.meetings.instances import Attendance, MeetingInstance, expand_instances
from processors.meetings.zones import viewer_zone

#: How far ahead to look: bounds the expansion of series whose every slot is skipped.
DEFAULT_HORIZON = dt.timedelta(days=90)


def upcoming(
    contexts: Iterable[MeetingContext | MeetingTombstone],
    now: dt.datetime,
    limit: int,
    *,
    tz: str = "UTC",
    user_emails: Collection[str] = (),
    horizon: dt.timedelta = DEFAULT_HORIZON,
) -> list[MeetingInstance]:
    """Up to ``limit`` meetings not yet over at ``now``, by start: one in progress comes first.

    Cancelled and declined meetings are left out; tentative ones stay, marked by ``attendance``.
    ``tz`` places all-day events (their dates are the viewer's local days).
    """
    instances = expand_instances(contexts, start=now, end=now + horizon, zone=viewer_zone(tz), user_emails=user_emails)
    return list(islice((i for i in instances if i.attendance is not Attendance.declined), max(limit, 0)))
