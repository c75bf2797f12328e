"""The field readers both providers' normalizers share: messages that name the field, stay on
one line, and survive values nested deeper than the interpreter recurses."""

from __future__ import annotations

import pytest

from connectors.payload_fields import FieldReader, deepest_field, nesting_guard, shown


class Refused(Exception):
    pass


FIELDS = FieldReader(Refused)


def _nested(value: object, depth: int) -> object:
    for level in range(depth):
        value = [value] if level % 2 else {"x": value}
    return value


def test_messages_show_values_short_whatever_their_size_or_depth() -> None:
    assert shown("x" * 10_000).startswith("'xxx") and len(shown("x" * 10_000)) < 60
    assert len(shown(_nested(1, 100_000))) < 60
    with pytest.raises(Refused, match=r"^event: field 'isAllDay' must be true or false, got \[\{'x': \[\.\.\.\]\}\]$"):
        FIELDS.flag({"isAllDay": _nested(True, 100_000)}, "isAllDay", "event")


@pytest.mark.parametrize(("value", "says"), [
    (5, "a number"), (True, "a boolean"), ([], "a list"), ({}, "an object"),
])
def test_a_wrong_type_is_named_as_json_names_it(value: object, says: str) -> None:
    with pytest.raises(Refused, match=f"^contact: field 'surname' must be a string, got {says}$"):
        FIELDS.text({"surname": value}, "surname", "contact")


def test_the_deepest_field_is_found_without_recursion() -> None:
    payload = {"id": "x", "body": {"content": "hi"}, "attendees": [_nested("a", 100_000)]}
    assert deepest_field(payload) == ("attendees", 100_002)


def test_a_recursion_error_becomes_the_providers_error_naming_the_field() -> None:
    payload = {"id": "x", "categories": _nested("a", 5_000)}
    with pytest.raises(Refused, match=r"^message: field 'categories' nests 5001 levels deep"):
        with nesting_guard(payload, "message", Refused):
            str(payload)  # recurses once per level, as a careless reader would


def test_a_recursion_error_the_json_did_not_cause_is_still_one_line() -> None:
    def parse_forever(level: int = 0) -> None:
        parse_forever(level + 1)

    with pytest.raises(Refused, match=r"^raw message: nests too deeply to read$"):
        with nesting_guard({"id": "x", "raw": "UmVjZWl2ZWQ6"}, "raw message", Refused):
            parse_forever()
