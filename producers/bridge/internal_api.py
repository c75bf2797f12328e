"""``/internal/*``: the bridge's service-to-service API, routes on the bridge's aiohttp application.

- ``POST /internal/integrations`` connect (what ``officestream connect`` calls), ``GET
  /internal/integrations[/{provider}/{user}]`` read (never a secret), ``DELETE
  /internal/integrations/{provider}/{user}`` disconnect;
- ``POST /internal/backfill/start`` / ``GET /internal/backfill/{job_id}``: the backfill runner's
  HTTP face (the job runs in the bridge's backfill queue);
- ``GET /internal/content/{user}/{doc_type}/{doc_id}``: a record whose Redis copy expired,
  fetched again from the provider, as the Avro bytes ``PayloadStore`` verifies. Consumers set
  ``OFFICESTREAM_PROCESSOR_CONTENT_ENDPOINT=<bridge>/internal`` (``payload_store.py`` appends
  ``/content/...``). 404: the provider no longer has it (the consumer dead-letters the event);
  410: the user's integration is paused or disconnected; 503: the provider is unavailable.

Errors are JSON ``{"error": "..."}``; a 503 (something the route needs unreachable for now: the
brokers holding the job store, Redis, the provider) carries ``Retry-After``.

Every call presents ``Authorization: Bearer <OFFICESTREAM_BRIDGE_INTERNAL_TOKEN>``, compared in
constant time; anything else is answered 401 before a handler runs. Bodies and secrets are
never logged, and error answers never quote a request's values.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from connectors.redis.payload_store import content_type, encode_record
from producers.backfill.job import BackfillJob
from producers.backfill.service import BackfillService
from producers.bridge.inventory import inventory
from producers.integrations.content import ContentFetcher
from producers.integrations.reauth import ReauthGate
from producers.integrations.state import Integration
from producers.integrations.store import IntegrationStore
from producers.backfill.providers import ConfigurationMissing
from producers.backfill.service import NotReady
from producers.exceptions import CorruptJobRecord, ProducerError
from producers.integrations.store import IntegrationNotFound
from producers.orchestrator import ALL_DOC_TYPES, AlreadyConnected, ConnectFailed, ConnectRequest, Orchestrator
from schemas.envsettings import SettingsError
from schemas.models import DocType, Provider
from schemas.redaction import user_ref

log = logging.getLogger("officestream.producers.bridge")

PREFIX = "/internal/"
#: ``Retry-After`` of a 503: what fails that way (the brokers or Redis restarting, the provider
#: down, a setup step missing) takes seconds to come back, not the caller's backoff's minutes.
RETRY_AFTER_S = 5
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(ProducerError):
    """The request is not what the route takes (the message says why, never quoting it)."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Provider
    user: str = Field(min_length=1, max_length=320)
    doc_types: tuple[DocType, ...] = Field(default=ALL_DOC_TYPES, min_length=1)
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    batch_size: int = Field(default=50, ge=1, le=500)

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: Provider) -> Provider:
        if value is Provider.unknown:
            raise ValueError("must be microsoft or google")
        return value

    @field_validator("doc_types")
    @classmethod
    def _known_doc_types(cls, value: tuple[DocType, ...]) -> tuple[DocType, ...]:
        if DocType.unknown in value:
            raise ValueError("must be email, calendar_event or contact")
        return tuple(dict.fromkeys(value))


class ConnectBody(_Body):
    #: The user's grant: msal's serialized token cache or a refresh token (Microsoft), a refresh
    #: token (Google). Absent: app-only (Microsoft) or domain-wide delegation (Google).
    grant: SecretStr | None = None
    account_email: str | None = None
    scopes: tuple[str, ...] = ()


def bearer_auth(token: SecretStr) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware refusing ``/internal/*`` requests without the bearer token (401)."""
    expected = token.get_secret_value().encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(PREFIX):
            presented = request.headers.get("Authorization", "")
            scheme, _, credential = presented.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), expected):
                return web.json_response({"error": "a bearer token is required (OFFICESTREAM_BRIDGE_INTERNAL_TOKEN)"},
                                         status=401, headers={"WWW-Authenticate": 'Bearer realm="officestream-bridge"'})
        return await handler(request)

    return middleware


@dataclass
class InternalApi:
    orchestrator: Orchestrator
    integrations: IntegrationStore
    backfill: BackfillService
    content: ContentFetcher
    reauth: ReauthGate

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/internal/integrations", self.connect)
        app.router.add_get("/internal/integrations", self.list_integrations)
        app.router.add_get("/internal/integrations/{provider}/{user}", self.integration)
        app.router.add_delete("/internal/integrations/{provider}/{user}", self.disconnect)
        app.router.add_post("/internal/backfill/start", self.start_backfill)
        app.router.add_get("/internal/backfill/{job_id}", self.backfill_status)
        app.router.add_get("/internal/content/{user}/{doc_type}/{doc_id}", self.serve_content)
        app.router.add_get("/internal/inventory/{provider}/{user}", self.serve_inventory)

    async def connect(self, request: web.Request) -> web.Response:
        try:
            body = ConnectBody.model_validate(await _json(request))
            integration, job = await self.orchestrator.connect(ConnectRequest(
                provider=body.provider, user_id=body.user, doc_types=body.doc_types, grant=body.grant,
                account_email=body.account_email, scopes=body.scopes, since=body.since, until=body.until,
                batch_size=body.batch_size))
        except Exception as exc:  # noqa: BLE001 - answered with its status, logged without values
            return self.error_response(exc)
        return web.json_response({"integration": _view(integration), "job_id": job.job_id}, status=201)

    async def list_integrations(self, request: web.Request) -> web.Response:
        return web.json_response({"integrations": [_view(i) for i in self.integrations.all()]})

    async def integration(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if found is None:
            return web.json_response({"error": "no such integration"}, status=404)
        return web.json_response(_view(found))

    async def disconnect(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if found is None:
            return web.json_response({"error": "no such integration"}, status=404)
        try:
            gone = await self.orchestrator.disconnect(found.provider, found.user_id)
        except Exception as exc:  # noqa: BLE001
            return self.error_response(exc)
        return web.json_response(_view(gone))

    async def start_backfill(self, request: web.Request) -> web.Response:
        try:
            body = _Body.model_validate(await _json(request))
            await self.backfill.preflight(body.provider, body.user, body.doc_types)
            job = BackfillJob.new(user_id=body.user, provider=body.provider, doc_types=body.doc_types,
                                  now=self.orchestrator.now(), since=body.since, until=body.until,
                                  batch_size=body.batch_size)
            await self.backfill.store.save(job)
        except Exception as exc:  # noqa: BLE001
            return self.error_response(exc)
        log.info("backfill queued job=%s provider=%s user=%s", job.job_id, job.provider.value, user_ref(job.user_id))
        return web.json_response({"job_id": job.job_id, "status": job.status.value}, status=202)

    async def backfill_status(self, request: web.Request) -> web.Response:
        try:
            job = await asyncio.to_thread(self.backfill.store.get, request.match_info["job_id"])
        except Exception as exc:  # noqa: BLE001 - the job store unreadable (brokers restarting): 503
            return self.error_response(exc)
        if job is None:
            return web.json_response({"error": "no such backfill job"}, status=404)
        return web.json_response({**job.summary(), "user_id": job.user_id})

    async def serve_content(self, request: web.Request) -> web.Response:
        user, type_name, doc_id = (request.match_info[name] for name in ("user", "doc_type", "doc_id"))
        if type_name not in {t.value for t in ALL_DOC_TYPES}:
            return web.json_response({"error": "unknown doc type"}, status=404)
        doc_type = DocType(type_name)
        candidates = [i for i in self.integrations.all() if i.user_id == user]
        for integration in (i for i in candidates if i.active):
            try:
                record = await self.content.fetch(integration, doc_type, doc_id)
            except Exception as exc:  # noqa: BLE001
                if not self.reauth.is_reauth(exc):
                    return self.error_response(exc)
                await self.reauth.required(integration.key, exc)
                continue
            if record is not None:
                log.info("content served user=%s type=%s", user_ref(user), doc_type.value)
                return web.Response(body=encode_record(record), content_type=content_type(doc_type))
        now = [i for i in self.integrations.all() if i.user_id == user]  # a revoked grant paused one meanwhile
        paused = bool(now) and not any(i.active for i in now)
        return web.json_response({"error": "the user's integration is not connected" if paused else "not found"},
                                 status=410 if paused else 404)

    async def serve_inventory(self, request: web.Request) -> web.Response:
        """Every item id and version marker the provider holds for the integration (``inventory.py``)."""
        found = self._find(request)
        if found is None:
            return web.json_response({"error": "no such integration"}, status=404)
        try:
            listed = await inventory(self.backfill.crawlers, found, found.doc_types, now=self.orchestrator.now())
        except Exception as exc:  # noqa: BLE001
            return self.error_response(exc)
        return web.json_response({"integration": found.key, **listed.as_json()})

    def error_response(self, exc: Exception) -> web.Response:
        status, message = _answer_for(exc, self.reauth)
        if status >= 500:
            log.warning("internal API request failed status=%d error=%s", status, type(exc).__name__)
        headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else {}
        return web.json_response({"error": message}, status=status, headers=headers)

    def _find(self, request: web.Request) -> Integration | None:
        provider = request.match_info["provider"]
        if provider not in (Provider.microsoft.value, Provider.google.value):
            return None
        return self.integrations.get(f"{provider}:{request.match_info['user']}")


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise BadRequest("the body is not JSON") from None


def _view(integration: Integration) -> dict[str, Any]:
    return integration.public_view()


def _answer_for(exc: Exception, reauth: ReauthGate) -> tuple[int, str]:
    """The status and one-line message for ``exc`` (our errors' messages carry no secrets)."""
    if isinstance(exc, CorruptJobRecord):  # the stored data is bad, not the request
        return 500, str(exc)
    if isinstance(exc, ValidationError):
        problems = (f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}" for error in exc.errors())
        return 400, "; ".join(problems)
    cause = exc.__cause__ if isinstance(exc, ConnectFailed) else exc
    if reauth.is_reauth(cause):
        return 403, "the provider refused the grant (invalid_grant): connect again with a new grant"
    known = ((BadRequest, 400), (ConfigurationMissing, 400), (SettingsError, 400), (IntegrationNotFound, 404),
             (AlreadyConnected, 409), (NotReady, 503))
    for kind, status in known:
        if isinstance(exc, kind):
            return status, str(exc)
    if getattr(exc, "retriable", False):
        return 503, f"try again later: {exc}"
    if isinstance(exc, (ProducerError, ConnectFailed)) or type(exc).__module__.startswith("connectors."):
        return 502, str(exc)
    return 500, f"internal error ({type(exc).__name__})"
