"""Vespa's own reading of the project's application package, made once per test session.

Vespa's config model is fetched with Maven on first use (then cached with the stack's
downloads), so every tier works from a fresh clone. When it cannot be had (no JDK, Maven
Central unreachable) the tests that need it fail with one line saying why.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest

from ops.stack.exceptions import StackError
from ops.vespa.config_model import ApplicationReading, ConfigModel, install
from ops.vespa.exceptions import VespaCheckError
from processors.vespa_loader.application_package import APPLICATION_DIR


@functools.cache
def _installed() -> ConfigModel | str:
    try:
        return install()
    except StackError as exc:  # Java or Maven missing, download failed: the first line says it
        return str(exc).splitlines()[0]
    except VespaCheckError as exc:  # the reader did not compile
        return str(exc)


def config_model() -> ConfigModel:
    """Vespa's config model, installed once per session; a one-line failure when it cannot be."""
    installed = _installed()
    if isinstance(installed, str):
        pytest.fail(f"Vespa's config model is needed: {installed}", pytrace=False)
    return installed


@functools.cache
def _reading() -> ApplicationReading | str:
    try:
        return config_model().read(APPLICATION_DIR, model=True)
    except VespaCheckError as exc:  # Vespa refuses the project's package: its whole message
        return str(exc)


def vespa_reading() -> ApplicationReading:
    """What Vespa read from processors/vespa_loader/application (schemas and services.xml)."""
    reading = _reading()
    if isinstance(reading, str):
        pytest.fail(reading, pytrace=False)
    return reading


def vespa_document_fields() -> dict[str, dict[str, str]]:
    """``{document type: {field: Vespa type}}`` as Vespa read them, for ``FakeVespa(schemas=...)``."""
    return vespa_reading().document_field_types()


def edited_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the package with ``old`` replaced by ``new`` in ``file`` (which must hold it)."""
    copy = tmp_path / "application"
    shutil.copytree(APPLICATION_DIR, copy)
    text = (copy / file).read_text()
    assert old in text
    (copy / file).write_text(text.replace(old, new, 1))
    return copy
