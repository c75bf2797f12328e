"""Secrets at rest: what the ``integration-state`` topic holds of tokens and client states is
encrypted (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``), with a key from the
environment (``OFFICESTREAM_BRIDGE_STATE_KEY``, a urlsafe-base64 32-byte Fernet key:
``python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'``).

Anyone who can read the topic sees which users are connected, never their tokens. A record
encrypted with another key (a rotated key without the old one) cannot be read: a clear error
naming the setting, never a silent fallback.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from producers.exceptions import ProducerError

KEY_SETTING = "OFFICESTREAM_BRIDGE_STATE_KEY"


class StateKeyError(ProducerError):
    """The state key is missing or malformed, or does not open a stored secret."""


class SecretBox:
    def __init__(self, key: SecretStr | None) -> None:
        if key is None or not key.get_secret_value():
            raise StateKeyError(
                f"{KEY_SETTING} is not set: integration secrets are stored encrypted; generate a key with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
            )
        try:
            self._fernet = Fernet(key.get_secret_value().encode())
        except (ValueError, TypeError):
            raise StateKeyError(f"{KEY_SETTING} is not a Fernet key (32 bytes, urlsafe base64)") from None

    def seal(self, secret: SecretStr) -> str:
        return self._fernet.encrypt(secret.get_secret_value().encode()).decode()

    def open(self, sealed: str) -> SecretStr:
        try:
            return SecretStr(self._fernet.decrypt(sealed.encode()).decode())
        except InvalidToken:
            raise StateKeyError(f"a stored secret does not open with {KEY_SETTING}: was the key changed?") from None
