"""Package state: created, advanced, and left alone by redelivered or older e-mails."""

from __future__ import annotations

import datetime as dt

import pytest

from processors.shipments.carriers import Carrier
from processors.shipments.exceptions import PackageMismatchError
from processors.shipments.extract import TrackingFinding
from processors.shipments.package import Package, apply_finding, package_key
from processors.shipments.status import ShipmentStatus as S
from tests.unit.shipments import numbers

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
USER = "user-1"


def finding(status: S | None, *, merchant: str | None = "Acme", number: str = numbers.UPS) -> TrackingFinding:
    return TrackingFinding(
        carrier=Carrier.ups,
        tracking_number=number,
        product="UPS 1Z",
        check_digit_verified=True,
        status=status,
        merchant=merchant,
        evidence="...",
        found_in="text",
    )


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


def journey(*steps: tuple[str, S | None, float]) -> Package:
    """Apply (email_id, status, hours after T0) in order; every step must change the package."""
    package: Package | None = None
    for email_id, status, at in steps:
        updated = apply_finding(package, finding(status), USER, email_id, hours(at))
        assert updated is not None, email_id
        package = updated
    assert package is not None
    return package


def test_a_first_finding_creates_the_package() -> None:
    package = apply_finding(None, finding(S.shipped), USER, "m1", T0)
    assert package is not None
    assert (package.status, package.merchant, package.first_seen, package.last_updated) == (S.shipped, "Acme", T0, T0)
    assert [(c.status, c.at, c.email_id) for c in package.status_history] == [(S.shipped, T0, "m1")]
    assert package.source_email_ids == ("m1",)
    assert package.key == package_key(USER, numbers.UPS)


def test_a_first_finding_without_status_has_an_empty_history() -> None:
    package = apply_finding(None, finding(None), USER, "m1", T0)
    assert package is not None and package.status is None and package.status_history == ()


def test_a_newer_later_stage_appends_to_the_history() -> None:
    package = journey(("m1", S.shipped, 0), ("m2", S.in_transit, 5), ("m3", S.delivered, 30))
    assert package.status is S.delivered
    assert [c.email_id for c in package.status_history] == ["m1", "m2", "m3"]
    assert (package.first_seen, package.last_updated) == (T0, hours(30))
    assert package.source_email_ids == ("m1", "m2", "m3")


def test_a_redelivered_email_changes_nothing() -> None:
    package = journey(("m1", S.shipped, 0), ("m2", S.delivered, 5))
    assert apply_finding(package, finding(S.delivered), USER, "m2", hours(5)) is None
    assert apply_finding(package, finding(S.shipped), USER, "m1", hours(0)) is None


def test_applying_the_same_finding_twice_is_the_same_as_once() -> None:
    once = apply_finding(None, finding(S.shipped), USER, "m1", T0)
    assert once is not None
    assert apply_finding(once, finding(S.shipped), USER, "m1", T0) is None


def test_an_older_email_changes_nothing_even_with_a_later_stage() -> None:
    package = journey(("m2", S.in_transit, 5))
    assert apply_finding(package, finding(S.delivered), USER, "m1", hours(1)) is None
    assert apply_finding(package, finding(S.shipped), USER, "m0", hours(0)) is None


def test_a_backfill_walking_newest_first_keeps_the_newest_status() -> None:
    package = journey(("m3", S.delivered, 30))
    for email_id, status, at in (("m2", S.in_transit, 5), ("m1", S.shipped, 0)):
        assert apply_finding(package, finding(status), USER, email_id, hours(at)) is None
    assert package.status is S.delivered


def test_a_newer_email_with_an_earlier_stage_does_not_move_the_package_back() -> None:
    package = journey(("m1", S.ordered, 0), ("m2", S.out_for_delivery, 20))
    assert apply_finding(package, finding(S.shipped), USER, "m3", hours(21)) is None


def test_delivered_is_final() -> None:
    package = journey(("m1", S.delivered, 0))
    assert apply_finding(package, finding(S.exception), USER, "m2", hours(1)) is None


def test_an_exception_interrupts_and_the_journey_resumes() -> None:
    package = journey(
        ("m1", S.in_transit, 0), ("m2", S.exception, 5), ("m3", S.in_transit, 10), ("m4", S.delivered, 20)
    )
    assert [c.status for c in package.status_history] == [S.in_transit, S.exception, S.in_transit, S.delivered]


def test_after_an_exception_an_earlier_stage_is_not_news() -> None:
    package = journey(("m1", S.out_for_delivery, 0), ("m2", S.exception, 5))
    assert apply_finding(package, finding(S.shipped), USER, "m3", hours(6)) is None


def test_a_newer_email_with_the_same_stage_changes_nothing() -> None:
    package = journey(("m1", S.in_transit, 0))
    assert apply_finding(package, finding(S.in_transit), USER, "m2", hours(3)) is None


def test_a_missing_merchant_is_filled_in_without_a_history_entry() -> None:
    package = apply_finding(None, finding(S.shipped, merchant=None), USER, "m1", T0)
    assert package is not None
    updated = apply_finding(package, finding(None, merchant="Acme"), USER, "m2", hours(1))
    assert updated is not None
    assert (updated.merchant, updated.status, len(updated.status_history)) == ("Acme", S.shipped, 1)
    assert updated.source_email_ids == ("m1", "m2")


def test_a_known_merchant_is_not_replaced() -> None:
    package = journey(("m1", S.shipped, 0))
    assert apply_finding(package, finding(None, merchant="Other"), USER, "m2", hours(1)) is None


def test_the_input_package_is_not_modified() -> None:
    package = journey(("m1", S.shipped, 0))
    apply_finding(package, finding(S.delivered), USER, "m2", hours(1))
    assert package.status is S.shipped and package.source_email_ids == ("m1",)


def test_times_are_kept_in_utc() -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    package = apply_finding(None, finding(S.shipped), USER, "m1", dt.datetime(2026, 11, 2, 10, 0, tzinfo=berlin))
    assert package is not None and package.first_seen == T0 and package.first_seen.tzinfo == dt.UTC


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        apply_finding(None, finding(S.shipped), USER, "m1", dt.datetime(2026, 11, 2, 9, 0))


def test_a_finding_for_another_package_is_a_bug() -> None:
    package = journey(("m1", S.shipped, 0))
    with pytest.raises(PackageMismatchError):
        apply_finding(package, finding(S.delivered, number=numbers.UPS_LETTERS), USER, "m2", hours(1))
    with pytest.raises(PackageMismatchError):
        apply_finding(package, finding(S.delivered), "user-2", "m2", hours(1))


def test_a_package_round_trips_through_json() -> None:
    package = journey(("m1", S.shipped, 0), ("m2", S.exception, 4.5))
    restored = Package.model_validate_json(package.model_dump_json())
    assert restored == package
    assert package.model_dump(mode="json")["status_history"][1] == {
        "status": "exception",
        "at": "2026-11-02T13:30:00Z",
        "email_id": "m2",
    }


def test_email_time_prefers_received_then_sent_then_the_fallback() -> None:
    from processors.shipments.extract import email_time
    from tests import factories

    fallback = hours(99)
    assert email_time(factories.email(received_at=hours(2), sent_at=hours(1)), fallback) == hours(2)
    assert email_time(factories.email(received_at=None, sent_at=hours(1)), fallback) == hours(1)
    assert email_time(factories.email(received_at=None, sent_at=None), fallback) == fallback


def test_a_package_names_the_event_of_its_last_change() -> None:
    created = apply_finding(None, finding(S.shipped), USER, "m1", T0, event_id="e1")
    assert created is not None and created.last_event_id == "e1"
    delivered = apply_finding(created, finding(S.delivered), USER, "m2", hours(1), event_id="e2")
    assert delivered is not None and delivered.last_event_id == "e2"
    assert apply_finding(delivered, finding(S.delivered), USER, "m2", hours(1), event_id="e3") is None
