"""Canonical e-mails for the shipments tests, built on the shared factory."""

from __future__ import annotations

from processors.shipments.extract import TrackingFinding, extract_findings
from schemas.models import Address, Email
from tests import factories


def mail(
    *,
    sender: str,
    name: str | None = None,
    subject: str,
    text: str | None = None,
    html: str | None = None,
    email_id: str = "msg-1",
) -> Email:
    return factories.email(
        email_id,
        from_address=Address(email=sender, name=name),
        subject=subject,
        body_text=text,
        body_html=html,
        snippet=None,
        attachments=[],
    )


def findings(email: Email) -> list[TrackingFinding]:
    return extract_findings(email)


def numbers_found(email: Email) -> list[str]:
    return [finding.tracking_number for finding in extract_findings(email)]
