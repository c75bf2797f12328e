"""Google-style OIDC tokens for the push tests: an RSA key pair made once, tokens signed with
google-auth's own signer, and a google-auth transport that serves the public key as Google's
certificate endpoint does (``{key id: PEM}``), counting its fetches."""

from __future__ import annotations

import json
import time
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt

AUDIENCE = "https://bridge.example.test/webhooks/google/gmail"
SERVICE_ACCOUNT = "push@officestream-tests.iam.gserviceaccount.com"


@cache
def _pem(name: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def signed_token(*, audience: str = AUDIENCE, email: str = SERVICE_ACCOUNT, key: str = "google-1",
                 issuer: str = "https://accounts.google.com", expires_in_s: int = 600) -> str:
    """A token as Pub/Sub's authenticated push sends it, signed with ``key`` (only ``google-1``
    is published by ``FakeCerts``)."""
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "email": email, "email_verified": True, "sub": "1234567890",
              "iat": now, "exp": now + expires_in_s}
    signer = crypt.RSASigner.from_string(_pem(key)[0], key_id=key)
    return jwt.encode(signer, claims).decode()


class _Response:
    def __init__(self, status: int, data: bytes) -> None:
        self.status = status
        self.data = data
        self.headers: dict[str, str] = {}


class FakeCerts:
    """A google-auth ``transport.Request`` answering every GET with the published keys."""

    def __init__(self, *keys: str) -> None:
        self._keys = keys or ("google-1",)
        self.fetches = 0

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None, timeout: Any = None,
                 **kwargs: Any) -> _Response:
        self.fetches += 1
        return _Response(200, json.dumps({key: _pem(key)[1].decode() for key in self._keys}).encode())
