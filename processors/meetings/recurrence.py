"""A series master's recurrence (RFC 5545 RRULE / EXRULE / RDATE / EXDATE) as a dateutil rruleset.

dateutil does the expansion. What it does not do is reconcile time zones across lines, and it
fails on what providers really send (``rruleset`` raises ``TypeError`` when a UTC EXDATE meets a
naive start; ``rrule`` refuses a floating UNTIL with a zoned start). So the lines are split here
and every date is aligned with the series' start before dateutil sees it:
- a timed series runs on the organizer's wall clock (``start.time_zone``), so a weekly 10:00
  stays 10:00 across DST, as RFC 5545 and both providers do;
- an all-day series runs on floating (naive) dates, placed in a viewer's zone later.
DTSTART always counts as the first instance (RFC 5545 3.8.5.3; Google shows it too).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence

from dateutil.rrule import rrule, rruleset, rrulestr

from processors.meetings.context import MeetingContext
from processors.meetings.exceptions import InvalidRecurrence
from processors.meetings.zones import event_zone

Moment = dt.date | dt.datetime


def series_start(master: MeetingContext) -> dt.datetime:
    """DTSTART: zoned wall-clock time for a timed series, naive midnight for an all-day one."""
    if master.start.date is not None:
        return dt.datetime.combine(master.start.date, dt.time())
    assert master.start.at is not None  # EventTime holds exactly one of the two
    return master.start.at.astimezone(event_zone(master.time_zone)).replace(microsecond=0)


def series_rule_set(master: MeetingContext, *, not_before: dt.date | None = None) -> rruleset:
    """The master's instances; raises ``InvalidRecurrence`` for lines that cannot be expanded.

    With ``not_before``, instances before that day may be missing (see ``_fast_forward``).
    """
    start = series_start(master)
    lines = _unfolded(master.recurrence)
    rule_set = rruleset()
    rule_set.rdate(start)
    try:
        rule_start = _fast_forward(lines, start, not_before)
        for line in lines:
            _add_line(rule_set, line, start=start, rule_start=rule_start)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InvalidRecurrence(f"cannot expand {list(lines)!r}: {exc}", event_id=master.event_id) from exc
    return rule_set


def check_recurrence(master: MeetingContext) -> None:
    """Refuse a master whose rule cannot be expanded, before it is stored."""
    series_rule_set(master)


def occurrence_starts(master: MeetingContext, after: dt.datetime) -> Iterator[dt.datetime]:
    """The master's instance starts at or after ``after`` (aware for timed, naive for all-day)."""
    start = series_start(master)
    not_before = after.astimezone(start.tzinfo).date() if start.tzinfo is not None else after.date()
    return series_rule_set(master, not_before=not_before).xafter(after, inc=True)


def _fast_forward(lines: Sequence[str], start: dt.datetime, not_before: dt.date | None) -> dt.datetime:
    """A later DTSTART for the rules that yields the same instances from ``not_before`` on.

    dateutil iterates from DTSTART on every query, so a daily stand-up running for years costs
    thousands of steps per busy lookup. Moving DTSTART by whole periods keeps a DAILY or WEEKLY
    rule's instances (weekday and time defaults come from DTSTART and survive a whole-week
    move; the wall clock is kept because aware + timedelta adds on the wall clock). COUNT
    counts from the first instance, and other frequencies have uneven periods: those rules, and
    any set mixing them in, are left alone.
    """
    if not_before is None:
        return start
    periods: list[int] = []
    for line in lines:
        name, _, value = _split(line)
        if name not in ("RRULE", "EXRULE"):
            continue
        parts = {key.upper(): val.upper() for key, _, val in (p.partition("=") for p in value.split(";") if p)}
        days = {"DAILY": 1, "WEEKLY": 7}.get(parts.get("FREQ", ""))
        if days is None or "COUNT" in parts:
            return start
        periods.append(days * int(parts.get("INTERVAL", "1")))
    if not periods:
        return start
    period = math.lcm(*periods)
    whole_periods = (not_before - start.date()).days // period - 1
    return start + dt.timedelta(days=whole_periods * period) if whole_periods > 0 else start


def _unfolded(lines: Sequence[str]) -> list[str]:
    """One property per entry: joins RFC 5545 folded lines, splits entries holding several."""
    properties: list[str] = []
    for raw in "\n".join(lines).splitlines():
        if raw[:1] in (" ", "\t") and properties:
            properties[-1] += raw[1:]
        elif raw.strip():
            properties.append(raw.strip())
    return properties


def _split(line: str) -> tuple[str, list[str], str]:
    """Property name (upper case), parameters and value; a bare ``FREQ=...`` is an RRULE."""
    head, colon, value = line.partition(":")
    if not colon:
        return "RRULE", [], line
    name, *params = head.split(";")
    return name.upper(), params, value


def _add_line(rule_set: rruleset, line: str, *, start: dt.datetime, rule_start: dt.datetime) -> None:
    name, params, value = _split(line)
    if name == "RRULE":
        rule_set.rrule(_rule(value, rule_start))
    elif name == "EXRULE":
        rule_set.exrule(_rule(value, rule_start))
    elif name in ("RDATE", "EXDATE"):
        add = rule_set.rdate if name == "RDATE" else rule_set.exdate
        for moment in _dates(params, value, start):
            add(moment)
    else:
        raise ValueError(f"unsupported property {name}")


def _rule(value: str, start: dt.datetime) -> rrule:
    """The rule; UNTIL is parsed here because its zone must agree with DTSTART's."""
    parts = [part for part in value.split(";") if part]
    until = [part.split("=", 1)[1] for part in parts if part.upper().startswith("UNTIL=")]
    rule = rrulestr(";".join(part for part in parts if not part.upper().startswith("UNTIL=")), dtstart=start)
    if not isinstance(rule, rrule):  # one rule without properties never parses into a set
        raise TypeError("expected a single rule")
    if until:
        rule = rule.replace(until=_until(until[0], start))
    return rule


def _until(text: str, start: dt.datetime) -> dt.datetime:
    moment = _parse_moment(text)
    if start.tzinfo is None:
        return _floating_midnight(moment)
    if not isinstance(moment, dt.datetime):  # a date bound on a timed series: the whole day counts
        return dt.datetime.combine(moment, dt.time(23, 59, 59), tzinfo=start.tzinfo)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=start.tzinfo)


def _dates(params: Iterable[str], value: str, start: dt.datetime) -> Iterator[dt.datetime]:
    """RDATE / EXDATE values aligned with DTSTART (TZID, UTC ``Z``, floating or VALUE=DATE)."""
    zone = start.tzinfo
    for param in params:
        key, _, param_value = param.partition("=")
        if key.upper() == "TZID":
            zone = event_zone(param_value, default=start.tzinfo or dt.UTC)
        elif key.upper() == "VALUE" and param_value.upper() not in ("DATE", "DATE-TIME"):
            raise ValueError(f"unsupported value type {param_value}")
    for text in value.split(","):
        yield _aligned(_parse_moment(text), zone, start)


def _aligned(moment: Moment, zone: dt.tzinfo | None, start: dt.datetime) -> dt.datetime:
    if start.tzinfo is None:
        return _floating_midnight(moment)
    if not isinstance(moment, dt.datetime):  # a date on a timed series: that day's slot
        return dt.datetime.combine(moment, start.timetz())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _floating_midnight(moment: Moment) -> dt.datetime:
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return dt.datetime.combine(day, dt.time())


def _parse_moment(text: str) -> Moment:
    """RFC 5545 DATE (``20261109``) or DATE-TIME (``20261109T100000`` with optional ``Z``)."""
    text = text.strip().upper()
    if len(text) == 8:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text)
