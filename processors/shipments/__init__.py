"""The shipments service's logic: tracking numbers in e-mails, and per-user package state.

Pure: no Kafka here. The faust wiring (``processors.shipments.app``) decodes events, calls
``extract_findings`` and ``apply_finding``, and stores and emits the resulting ``Package``.
"""

from processors.shipments.carriers import Carrier
from processors.shipments.email_file import extract_from_file, read_email_file
from processors.shipments.exceptions import (
    EmailFileError,
    PackageMismatchError,
    ShipmentsError,
)
from processors.shipments.extract import TrackingFinding, email_time, extract_findings
from processors.shipments.package import (
    Package,
    StatusChange,
    apply_finding,
    package_key,
)
from processors.shipments.status import ShipmentStatus

__all__ = [
    "Carrier",
    "EmailFileError",
    "Package",
    "PackageMismatchError",
    "ShipmentStatus",
    "ShipmentsError",
    "StatusChange",
    "TrackingFinding",
    "apply_finding",
    "email_time",
    "extract_findings",
    "extract_from_file",
    "package_key",
    "read_email_file",
]
