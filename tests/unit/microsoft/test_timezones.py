"""Graph time zone names to IANA zones (CLDR's Windows table via tzlocal)."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.microsoft.timezones import (
    UnknownTimeZone,
    iana_zone,
    local_to_utc,
    windows_zone,
)


@pytest.mark.parametrize(
    ("graph_name", "iana"),
    [("Pacific Standard Time", "America/Los_Angeles"), ("W. Europe Standard Time", "Europe/Berlin"),
     ("Tokyo Standard Time", "Asia/Tokyo"), ("India Standard Time", "Asia/Calcutta"), ("UTC", "UTC"),
     ("tzone://Microsoft/Utc", "UTC"), ("Europe/Paris", "Europe/Paris")],
)
def test_names_map_to_iana(graph_name: str, iana: str) -> None:
    assert iana_zone(graph_name) == iana


@pytest.mark.parametrize("name", ["Customized Time Zone", "tzone://Microsoft/Custom", "Mars Standard Time"])
def test_unmappable_names_are_refused(name: str) -> None:
    with pytest.raises(UnknownTimeZone):
        iana_zone(name)


def test_windows_name_round_trips() -> None:
    assert windows_zone("America/Los_Angeles") == "Pacific Standard Time"
    assert iana_zone(windows_zone("Europe/Berlin")) == "Europe/Berlin"


def test_wall_clock_to_utc_follows_daylight_saving() -> None:
    assert local_to_utc(dt.datetime(2026, 7, 1, 12), "Pacific Standard Time") == dt.datetime(2026, 7, 1, 19, tzinfo=dt.UTC)
    assert local_to_utc(dt.datetime(2026, 1, 1, 12), "Pacific Standard Time") == dt.datetime(2026, 1, 1, 20, tzinfo=dt.UTC)
