"""Subjects are listed page by page: Apicurio's Confluent-compatible API answers at most 1,000
subjects to a request without a limit, so ``officestream status`` missed the rest."""

from __future__ import annotations

from schemas.registry_client import SUBJECTS_PAGE, list_subjects


class PagedRegistry:
    """``get_subjects`` as a registry that honours ``offset`` / ``limit`` (or ignores them)."""

    def __init__(self, subjects: list[str], *, honours_paging: bool = True) -> None:
        self.subjects, self.honours_paging, self.calls = subjects, honours_paging, 0

    def get_subjects(self, subject_prefix=None, deleted=False, deleted_only=False, offset=0, limit=-1):  # noqa: ANN001, ANN201
        self.calls += 1
        if not self.honours_paging:
            return list(self.subjects)
        return self.subjects[offset: offset + (limit if limit > 0 else 1000)]


def test_every_subject_past_the_first_thousand_is_listed() -> None:
    names = [f"t-{n:05d}-value" for n in range(2 * SUBJECTS_PAGE + 306)]
    registry = PagedRegistry(names)
    assert list_subjects(registry) == sorted(names)  # type: ignore[arg-type]
    assert registry.calls == 3


def test_a_prefix_keeps_only_its_subjects() -> None:
    registry = PagedRegistry(["a-1-value", "b-1-value", "a-2-value"])
    assert list_subjects(registry, "a-") == ["a-1-value", "a-2-value"]  # type: ignore[arg-type]


def test_a_registry_that_ignores_paging_is_read_once() -> None:
    names = [f"t-{n:05d}-value" for n in range(2500)]
    registry = PagedRegistry(names, honours_paging=False)
    assert list_subjects(registry) == sorted(names)  # type: ignore[arg-type]
    assert registry.calls == 1


def test_a_full_last_page_ends_with_an_empty_one() -> None:
    names = [f"t-{n:05d}-value" for n in range(SUBJECTS_PAGE)]
    registry = PagedRegistry(names)
    assert list_subjects(registry) == names and registry.calls == 2  # type: ignore[arg-type]
