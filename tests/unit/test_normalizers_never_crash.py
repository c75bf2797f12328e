"""Property: whatever a provider payload holds, normalizing it ends in a record or a
``NormalizationError`` with a one-line message, never another exception (a traceback in the CLI,
a crashed sync in the producers).

Valid payloads of every kind and provider (the fixtures the normalizer tests use) are mutated:
a value swapped for one of another type, a field removed, a value nested thousands of levels
deep. Derandomized with a bounded number of examples, so CI runs the same cases every time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.google import normalize as google
from connectors.microsoft import normalize as microsoft
from schemas.models import CalendarEvent, Contact, Email
from tests.unit.google import payloads as gp
from tests.unit.microsoft import graph_samples as gs

GRAPH_BASES: list[tuple[str, Callable[[], Any]]] = [
    ("email", lambda: gs.MESSAGE_HTML), ("email", lambda: gs.MESSAGE_TEXT), ("email", lambda: gs.REMOVED),
    ("event", lambda: gs.EVENT_PACIFIC), ("event", lambda: gs.EVENT_ALL_DAY), ("event", lambda: gs.SERIES_MASTER),
    ("event", lambda: gs.RELATIVE_MONTHLY_MASTER), ("event", lambda: gs.EXCEPTION),
    ("event", lambda: gs.CANCELLED_OCCURRENCE), ("contact", lambda: gs.CONTACT),
]
GOOGLE_BASES: list[tuple[str, Callable[[], Any]]] = [
    ("email", gp.gmail_full_message), ("email", gp.gmail_latin1_full_message), ("email", gp.gmail_raw_message),
    ("event", gp.all_day_event), ("event", gp.recurring_master), ("event", gp.recurring_exception),
    ("event", gp.cancelled_instance), ("event", gp.deleted_event), ("event", gp.html_description_event),
    ("contact", gp.person_with_several_addresses), ("contact", gp.person_from_two_sources), ("contact", gp.deleted_person),
]
PROVIDERS = {
    "microsoft": (microsoft.normalize, microsoft.NormalizationError, GRAPH_BASES, (microsoft.RemovedItem,)),
    "google": (google.normalize, google.NormalizationError, GOOGLE_BASES, (google.Deletion,)),
}

#: Values of every JSON type, some of them shaped like what the fields usually hold.
REPLACEMENTS: list[Any] = [
    None, True, False, 0, 7, -1, 2**70, 1.5, "", "x", "x" * 300, "2017-04-15T12:00:00Z", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00", "people/c1", "calendar#event", "#microsoft.graph.event",
    [], [None], ["x"], [{}], [[]], {}, {"a": 1}, {"dateTime": "x"}, {"date": 5}, {"x": [1, {"y": None}]},
]
DEPTHS = [3, 40, 3000]  # 3000: past the interpreter's recursion limit

Mutation = tuple[str, int, int, int]  # (operation, which value, which replacement, which depth)
mutations = st.lists(
    st.tuples(st.sampled_from(["swap", "remove", "deepen"]), st.integers(0, 10_000),
              st.integers(0, len(REPLACEMENTS) - 1), st.integers(0, len(DEPTHS) - 1)),
    min_size=1, max_size=3,
)


def _slots(payload: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) below the root, found without recursion."""
    found: list[tuple[Any, Any]] = []
    stack = [payload]
    while stack:
        container = stack.pop()
        keys = list(container) if isinstance(container, dict) else range(len(container))
        for key in keys:
            found.append((container, key))
            if isinstance(container[key], dict | list):
                stack.append(container[key])
    return found


def _nested(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = [value] if level % 2 else {"x": value}
    return value


def mutate(payload: Any, plan: list[Mutation]) -> Any:
    mutated = copy.deepcopy(payload)
    for operation, which, replacement, depth in plan:
        slots = _slots(mutated)
        if not slots:
            break
        container, key = slots[which % len(slots)]
        if operation == "remove":
            del container[key]
        elif operation == "deepen":
            container[key] = _nested(container[key], DEPTHS[depth])
        else:
            current = container[key]
            choices = [value for value in REPLACEMENTS if type(value) is not type(current)]
            container[key] = copy.deepcopy(choices[replacement % len(choices)])
    return mutated


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@settings(max_examples=250, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(base=st.integers(0, 100), plan=mutations)
def test_a_mutated_payload_becomes_a_record_or_a_normalization_error(provider: str, base: int, plan: list[Mutation]) -> None:
    normalize, error, bases, markers = PROVIDERS[provider]
    kind, payload = bases[base % len(bases)]
    try:
        result = normalize(kind, mutate(payload(), plan))
    except error as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 500, message[:1000]
    else:
        assert isinstance(result, (Email, CalendarEvent, Contact, *markers))
