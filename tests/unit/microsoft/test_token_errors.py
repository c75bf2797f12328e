"""Azure AD error answers become typed errors without tokens or descriptions in them."""

from __future__ import annotations

import pytest

from connectors.microsoft.auth import raise_for_token_error
from connectors.microsoft.exceptions import (
    AuthConfigurationError,
    AuthUnavailable,
    ReauthRequired,
)


@pytest.mark.parametrize("error", ["invalid_grant", "interaction_required", "consent_required"])
def test_grant_errors_need_the_user_to_sign_in_again(error: str) -> None:
    result = {"error": error, "error_description": "AADSTS65001: The user or administrator has not consented. Trace ID: x",
              "error_codes": [65001], "suberror": "consent_required"}
    with pytest.raises(ReauthRequired) as caught:
        raise_for_token_error(result, mailbox="ada@contoso.example")
    assert (caught.value.reason, caught.value.detail) == (error, "AADSTS65001 consent_required")
    assert not caught.value.retriable
    assert "Trace ID" not in str(caught.value) and "ada@contoso.example" not in str(caught.value)


def test_client_errors_are_configuration_errors() -> None:
    with pytest.raises(AuthConfigurationError, match="invalid_client AADSTS7000215"):
        raise_for_token_error({"error": "invalid_client", "error_codes": [7000215]})


def test_other_errors_are_retriable() -> None:
    with pytest.raises(AuthUnavailable) as caught:
        raise_for_token_error({"error": "temporarily_unavailable"})
    assert caught.value.retriable
