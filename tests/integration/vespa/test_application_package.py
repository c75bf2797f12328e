"""The Vespa application package, checked by Vespa's own config model (ops/vespa), and the
document mapping and the document/v1 test server held to what Vespa read from it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from connectors.vespa.testing import FakeVespa, serve_fake_vespa, value_fits
from ops.vespa.exceptions import ApplicationRejected
from processors.vespa_loader.application_package import APPLICATION_DIR, DOCUMENT_TYPES
from processors.vespa_loader.documents import put_operation
from schemas.models import DocType
from tests import factories
from tests.vespa_package import config_model, edited_copy, vespa_document_fields, vespa_reading

#: The one warning a deployment check gives here: rank expressions are verified by a C++ tool
#: of a Vespa installation, which the config model alone does not have.
NO_RANKSETUP_TOOL = "vespa-verify-ranksetup-bin"


def test_vespa_reads_a_document_type_from_every_schema() -> None:
    schemas = {path.stem for path in (APPLICATION_DIR / "schemas").glob("*.sd")}
    fields = vespa_document_fields()
    assert set(fields) == schemas == set(DOCUMENT_TYPES)
    for doctype in DOCUMENT_TYPES:
        assert {"doc_id": "string", "user_id": "string", "version_marker": "string"}.items() <= fields[doctype].items()
    assert fields["email"]["to_addresses"] == "Array<string>" and fields["email"]["received_at"] == "long"


def test_vespa_builds_the_application_model_from_services_xml_without_warnings() -> None:
    reading = vespa_reading()
    assert reading.content_clusters == {"officestream": sorted(DOCUMENT_TYPES)}
    warnings = [entry["message"] for entry in reading.deploy_log if NO_RANKSETUP_TOOL not in entry["message"]]
    assert warnings == []


def test_vespa_refuses_a_schema_with_an_unknown_field_type(tmp_path: Path) -> None:
    broken = edited_copy(tmp_path, "schemas/email.sd", "field snippet type string", "field snippet type strng")
    with pytest.raises(ApplicationRejected, match="unknown type named 'strng' in context document 'email'"):
        config_model().read(broken, model=False)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('<document type="contact"', '<document type="contacts"', "Document type 'contacts' not found"),
        ("<search />", "<serch />", 'Invalid XML according to XML schema, error in services.xml: element "serch"'),
    ],
    ids=["missing-document-type", "unknown-element"],
)
def test_vespa_refuses_a_broken_services_xml(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ApplicationRejected, match=message):
        config_model().read(edited_copy(tmp_path, "services.xml", old, new), model=True)


@pytest.mark.parametrize(
    "record", [factories.email(), factories.calendar_event(), factories.all_day_event(), factories.contact()]
)
def test_every_mapped_field_is_declared_in_the_schema_with_a_fitting_type(record) -> None:
    operation = put_operation(record, user_id="u", namespace="officestream")
    declared = vespa_document_fields()[operation.doc_id.doctype]
    assert set(operation.fields) <= set(declared), set(operation.fields) - set(declared)
    misfits = {name: value for name, value in operation.fields.items() if not value_fits(declared[name], value)}
    assert not misfits


def test_every_document_type_of_the_loader_is_in_the_package() -> None:
    assert {doc_type.value for doc_type in DocType if doc_type is not DocType.unknown} == set(DOCUMENT_TYPES)


def test_the_test_server_checks_the_value_of_every_field_vespa_declares() -> None:
    """A field type the test server could not check would let any value through."""
    unchecked = {
        f"{doctype}.{name}": vespa_type
        for doctype, fields in vespa_document_fields().items()
        for name, vespa_type in fields.items()
        if value_fits(vespa_type, object())
    }
    assert unchecked == {}


async def test_the_test_server_refuses_what_vespa_read_differently(tmp_path: Path) -> None:
    """Declare `is_read` a string: Vespa's reading says so, and the loader's email is refused."""
    changed = edited_copy(tmp_path, "schemas/email.sd", "field is_read type bool", "field is_read type string")
    schemas = config_model().read(changed, model=False).document_field_types()
    operation = put_operation(factories.email(), user_id="u", namespace="officestream")
    async with serve_fake_vespa(FakeVespa(schemas=schemas)) as fake, httpx.AsyncClient(base_url=fake.url) as http:
        response = await http.post(operation.doc_id.path(), json={"fields": operation.fields})
    assert response.status_code == 400
    assert "Field 'is_read' of type string cannot hold false" in response.json()["message"]
