"""`officestream vespa deploy`: the package zipped and sent to the config server's deploy API,
waiting for the config server first; refusals end with Vespa's own message."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from ops.vespa.deploy import DEPLOY_PATH, HEALTH_PATH, deploy
from ops.vespa.exceptions import DeployFailed
from processors.vespa_loader.application_package import APPLICATION_DIR, DOCUMENT_TYPES


class FakeConfigServer:
    """Down for ``down_for`` health checks, then up; answers deploys with ``deploy_status``."""

    def __init__(self, *, down_for: int = 0, deploy_status: int = 200) -> None:
        self.down_for = down_for
        self.deploy_status = deploy_status
        self.deployed: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == HEALTH_PATH:
            if self.down_for:
                self.down_for -= 1
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(200, json={"status": {"code": "up"}})
        assert request.url.path == DEPLOY_PATH and request.headers["content-type"] == "application/zip"
        self.deployed.append(request.content)
        if self.deploy_status != 200:
            return httpx.Response(self.deploy_status, json={"error-code": "INVALID_APPLICATION_PACKAGE",
                                                            "message": "schema email: unknown field"})
        return httpx.Response(200, json={"message": "Session 3 for tenant 'default' prepared and activated."})


def run(server: FakeConfigServer, *, wait_s: float = 60.0) -> str:
    clock = iter(range(0, 10_000, 2))
    with httpx.Client(transport=httpx.MockTransport(server)) as client:
        return deploy(client, "http://vespa:19071/", APPLICATION_DIR, wait_s=wait_s, sleep=lambda _: None,
                      clock=lambda: float(next(clock)))


def test_the_package_is_deployed_as_a_zip_with_services_and_every_schema_once_the_config_server_is_up():
    server = FakeConfigServer(down_for=3)
    assert "activated" in run(server)
    [body] = server.deployed
    names = set(zipfile.ZipFile(io.BytesIO(body)).namelist())
    assert {"services.xml", *(f"schemas/{t}.sd" for t in DOCUMENT_TYPES)} <= names


def test_a_refused_package_fails_with_vespas_message():
    with pytest.raises(DeployFailed, match="HTTP 400.*schema email: unknown field"):
        run(FakeConfigServer(deploy_status=400))


def test_a_config_server_that_never_comes_up_fails_after_the_wait():
    server = FakeConfigServer(down_for=1_000)
    with pytest.raises(DeployFailed, match="not up after 10s"):
        run(server, wait_s=10)
    assert server.deployed == []
