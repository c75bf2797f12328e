"""Injected failures: the next N requests under a path answer with a given status."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web


@dataclass
class Fault:
    path_prefix: str
    status: int
    times: int = 1
    retry_after: str | None = None
    #: JSON body; defaults to the provider-style error for the status.
    body: dict | None = None


class FaultPlan:
    """Failures waiting to happen, consumed in order of injection."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def inject(self, fault: Fault) -> None:
        self._faults.append(fault)

    def take(self, path: str) -> Fault | None:
        for fault in self._faults:
            if path.startswith(fault.path_prefix):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()


def fault_middleware(plan: FaultPlan) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def inject(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if request.path.startswith("/_emulator/"):
            return await handler(request)
        fault = plan.take(request.path)
        if fault is None:
            return await handler(request)
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        body = fault.body or {"error": {"code": _code(fault.status), "message": f"injected {fault.status}"}}
        return web.Response(status=fault.status, text=json.dumps(body), content_type="application/json", headers=headers)

    return inject


def _code(status: int) -> str:
    return {429: "TooManyRequests", 503: "ServiceUnavailable", 504: "GatewayTimeout", 500: "InternalServerError"}.get(
        status, "Error"
    )
