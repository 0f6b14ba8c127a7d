"""oidcc-ensure-registered-redirect-uri and errors without a trusted redirect URI.

RFC 6749 3.1.2.4 and 4.1.2.1: when the client or the redirect URI is not valid, the
provider MUST NOT redirect; it tells the user. RFC 9700 2.1: exact string matching.
"""

from __future__ import annotations

import pytest

from tests.protocol._helpers import authorization_error, error_page
from tests.support.agent import Agent
from tests.support.live import new_directory

REGISTERED = "https://rp.example.org/callback"


@pytest.mark.parametrize("redirect_uri", [
    "https://attacker.example.com/callback",  # unregistered
    REGISTERED + "/extra",  # prefix-extended path
    REGISTERED + "?next=https://attacker.example.com",  # extra query
    REGISTERED + "x",
    "https://rp.example.org.attacker.example.com/callback",
    "https://RP.example.org/callback",  # different case
    "https://rp.example.org/Callback",
    "http://rp.example.org/callback",  # other scheme
    "https://rp.example.org:8443/callback",  # other port
])
def test_redirect_uri_that_is_not_registered_exactly_gets_an_error_page(rp, redirect_uri):
    response = rp.start(redirect_uri=redirect_uri)
    assert error_page(response) == "invalid_request"


def test_missing_redirect_uri_gets_an_error_page(rp):
    # OIDC Core 3.1.2.1: redirect_uri is REQUIRED.
    assert error_page(rp.start(redirect_uri=None)) == "invalid_request"


def test_unknown_client_id_gets_an_error_page(rp):
    assert error_page(rp.start(client_id="no-such-client")) in ("invalid_client",
                                                                 "invalid_request")


def test_missing_client_id_gets_an_error_page(rp):
    assert error_page(rp.start(client_id=None)) in ("invalid_client", "invalid_request")


def test_client_of_another_directory_is_unknown_here(rp, live):
    other = new_directory(live).add_client()
    assert error_page(rp.start(client_id=other.client_id)) in ("invalid_client",
                                                                "invalid_request")


def test_error_page_does_not_leak_a_redirect_to_the_unregistered_uri(rp):
    response = rp.start(redirect_uri="https://attacker.example.com/callback", prompt="none")
    assert "Location" not in response.headers
    assert "attacker.example.com/callback?" not in response.text


def test_missing_response_type_is_an_error_never_a_code(rp):
    # oidcc-response-type-missing: an error page or an error redirect both pass.
    response = rp.start(response_type=None)
    if response.is_redirect:
        assert authorization_error(rp, response)["error"] in (
            "invalid_request", "unsupported_response_type")
    else:
        assert error_page(response) in ("invalid_request", "unsupported_response_type")


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "none"])
def test_other_response_types_are_unsupported(rp, response_type):
    response = rp.start(response_type=response_type)
    if response.is_redirect:
        assert authorization_error(rp, response)["error"] in (
            "unsupported_response_type", "invalid_request")
        assert "#" not in response.headers["Location"]
    else:
        assert error_page(response) in ("unsupported_response_type", "invalid_request")


def test_errors_after_the_redirect_uri_is_validated_go_to_the_client(rp):
    params = authorization_error(rp, rp.start(prompt="none"))
    assert params["error"] == "login_required"


def test_unknown_directory_is_a_404_page(live):
    agent = Agent(live.url)
    response = agent.get(f"{live.url}/d/no-such-directory/authorize?client_id=x")
    assert error_page(response, status=404) == "not_found"
