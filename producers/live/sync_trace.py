"""Which trace a live sync continues when several requests were coalesced into it.

A sync answers every request that arrived before it started (``scheduler.py``): a burst of
webhook notifications, perhaps a backstop tick between them. It publishes one set of events,
and an event belongs to one trace, so one request's trace is chosen:

- the **first** request that carries a trace (a webhook's) is the sync's parent: it is the
  notification the change was first announced by, so its trace measures the whole latency a
  user saw (from the earliest announcement to each effect), never a shorter, flattering one;
  and the choice does not depend on how many more notifications happened to arrive;
- the other requests' traces are **links** of the sync: named in its log line (``links=``) and,
  with OpenTelemetry export on, span links, so each merged notification's trace still leads to
  the sync that answered it;
- requests that carry no trace (the People poller, the reconciliation backstop, a re-created
  registration) let the sync start a trace of its own when no request carried one; a backfill's
  hand-off carries its job's trace.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.tracing import TraceContext


def sync_trace(requested: Sequence[TraceContext | None]) -> tuple[TraceContext | None, list[TraceContext]]:
    """(the parent of the sync's span or None: a new trace, the traces to link), from the traces
    the coalesced requests carried, in the order they arrived."""
    traced = [context for context in requested if context is not None]
    if not traced:
        return None, []
    parent, links, seen = traced[0], [], {traced[0].trace_id}
    for context in traced[1:]:
        if context.trace_id not in seen:  # a notification delivered twice links once
            seen.add(context.trace_id)
            links.append(context)
    return parent, links
