"""The human view of a ``StatusReport``: one block per section, drawn from the same values
``--json`` prints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ops.status.report import Item, StatusReport


def render(report: StatusReport, *, now: dt.datetime) -> str:
    return "\n".join(_lines(report, now))


def _lines(report: StatusReport, now: dt.datetime) -> Iterator[str]:
    yield "components"
    for c in report.components:
        state = "up" if c.healthy else ("DOWN" if c.required else "down (optional)")
        pid = f" pid={c.pid}" if c.pid is not None else ""
        yield f"  {c.name:<9} {state:<5} {c.address}{pid}  ({c.detail})"
    for name, draw in _SECTIONS.items():
        section = report.sections[name]
        yield ""
        yield f"{name} ({len(section.items)})" if section.error is None else f"{name}: unavailable: {section.error}"
        yield from draw(section.items, now)
    yield ""
    yield "status: ok" if report.ok else "status: NOT OK (a required component is down or a section was unreadable)"


def _topics(items: list[Item], now: dt.datetime) -> Iterator[str]:
    for t in items:
        ends = ",".join(f"{p}:{end}" for p, end in sorted(t["end_offsets"].items()))
        yield f"  {t['topic']:<40} partitions={t['partitions']:<3} messages={t['messages']:<8} end offsets {ends}"


def _groups(items: list[Item], now: dt.datetime) -> Iterator[str]:
    for g in items:
        yield f"  {g['group']:<40} {g['state']:<12} members={g['members']:<3} lag={g['lag']}"
        for t in g["topics"]:
            yield f"    {t['topic']:<38} lag={t['lag']}"


def _backfills(items: list[Item], now: dt.datetime) -> Iterator[str]:
    for job in items:
        counts = " ".join(f"{name}={_progress(p)}" for name, p in job["progress"].items())
        yield f"  {job['job_id']:<22} {job['status']:<17} {job['provider']:<9} {job['user_id'][:28]:<28} {counts}"


def _progress(progress: Item) -> str:
    if progress.get("done"):
        return f"{progress['items']} (done)"
    estimated = progress.get("estimated")
    return f"{progress['items']}/{estimated}" if estimated else str(progress["items"])


def _integrations(items: list[Item], now: dt.datetime) -> Iterator[str]:
    for i in items:
        expiry = _until(i["next_expiry"], now) if i["next_expiry"] else "no watches"
        yield f"  {i['provider']:<9} {i['user_id'][:32]:<32} {i['status']:<12} next expiry: {expiry}"
        for w in i["watches"]:
            yield f"    {w['kind']:<18} {w['resource']:<9} expires {_until(w['expires_at'], now)}"


def _until(iso: str, now: dt.datetime) -> str:
    left = dt.datetime.fromisoformat(iso) - now
    if left.total_seconds() <= 0:
        return f"{iso} (EXPIRED)"
    hours, rest = divmod(int(left.total_seconds()), 3600)
    return f"{iso} (in {hours}h{rest // 60:02d}m)"


def _subjects(items: list[Item], now: dt.datetime) -> Iterator[str]:
    for s in items:
        yield f"  {s['subject']:<70} v{s['version']:<4} id={s['schema_id']:<6} {s['compatibility']} ({s['compatibility_source']})"


_SECTIONS = {"topics": _topics, "groups": _groups, "backfills": _backfills, "integrations": _integrations,
             "subjects": _subjects}
