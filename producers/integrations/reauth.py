"""A revoked grant: the integration pauses and the user is asked to connect again.

``ReauthGate.required(key, error)`` is the one call for it, whoever met the ``invalid_grant``
(``connectors.microsoft`` / ``connectors.google`` ``ReauthRequired``): a backfill refused, a
live sync, a renewal, a content fetch. It sets the integration ``needs-reauth`` (nothing of it
syncs, renews or backfills until the user connects again) and publishes one
``IntegrationNeedsReauthEvent`` on ``integration-events``; later calls for an integration
already paused change nothing and publish nothing. The event carries the provider's reason
(``invalid_grant``) and a detail without secrets: Azure AD's AADSTS code, Google's description.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from connectors.google.exceptions import ReauthRequired as GoogleReauthRequired
from connectors.kafka.topics import INTEGRATION_EVENTS
from connectors.microsoft.exceptions import ReauthRequired as MicrosoftReauthRequired
from producers.integrations.state import Integration, IntegrationStatus
from producers.integrations.store import IntegrationNotFound, IntegrationStore
from producers.publisher import Publisher
from schemas.models import IntegrationNeedsReauthEvent
from schemas.redaction import user_ref

log = logging.getLogger("officestream.producers.integrations")

REAUTH_ERRORS = (MicrosoftReauthRequired, GoogleReauthRequired)
_DETAIL_MAX = 300


class ReauthGate:
    def __init__(self, integrations: IntegrationStore, publisher: Publisher, *,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._integrations = integrations
        self._publisher = publisher
        self._now = now

    @staticmethod
    def is_reauth(error: BaseException | None) -> bool:
        return isinstance(error, REAUTH_ERRORS)

    async def required(self, key: str, error: BaseException | None, *, detail: str | None = None) -> bool:
        """Pause ``key`` for re-authorization; True when this call paused it (and published)."""
        reason = str(getattr(error, "reason", None) or "invalid_grant")
        detail = (detail or getattr(error, "detail", None) or None)
        paused: list[Integration] = []

        def pause(current: Integration) -> Integration:
            if not current.active:
                return current
            paused.append(current)
            return current.with_status(IntegrationStatus.needs_reauth, now=self._now(),
                                       error=f"re-authorization required: {reason}")

        try:
            await self._integrations.update(key, pause)
        except IntegrationNotFound:
            return False
        if not paused:
            return False
        integration = paused[0]
        log.warning("integration needs re-authorization provider=%s user=%s reason=%s", integration.provider.value,
                    user_ref(integration.user_id), reason)
        metadata = self._publisher.stamper.metadata("IntegrationNeedsReauthEvent", user_id=integration.user_id,
                                                    provider=integration.provider, occurred_at=self._now())
        await self._publisher.publish_event(INTEGRATION_EVENTS, IntegrationNeedsReauthEvent(
            metadata=metadata, integration_id=key, reason=reason,
            detail=str(detail)[:_DETAIL_MAX] if detail else None))
        return True
