"""Authorization request parameters: oidcc-ensure-request-with-unknown-parameter-succeeds,
oidcc-ensure-post-request-succeeds, oidcc-login-hint, oidcc-ui-locales, oidcc-claims-locales,
oidcc-display-page/-popup, oidcc-unsigned-request-object-supported-correctly-or-rejected-as-
unsupported, oidcc-request-uri-unsigned; and parameters given twice (RFC 6749 3.1).
"""

from __future__ import annotations

import pytest

from tests.protocol._helpers import authorization_error, error_page, query, signed_in, title
from tests.support.agent import Page


def test_unknown_parameters_are_ignored(rp, user):
    # OIDC Core 3.1.2.1 / RFC 6749 3.1: unrecognised parameters MUST be ignored.
    tokens = signed_in(rp, user, extra="foobar", vendor_x_flag="1")
    assert tokens["claims"]["sub"] == user.subject


# A value for each parameter, and a second one to send as well.
TWICE = {"scope": ("openid", "openid email"), "nonce": ("n1", "n2"), "state": ("s1", "s2"),
         "prompt": ("login", "consent"), "acr_values": ("30", "40"), "max_age": ("60", "600"),
         "code_challenge": ("x" * 43, "y" * 43), "claims": ("{}", "{}"),
         "login_hint": ("someone", "someone-else"), "id_token_hint": ("a", "b")}


@pytest.mark.parametrize("name", sorted(TWICE))
def test_parameter_given_twice_is_invalid_request(rp, name):
    # RFC 6749 3.1: request parameters MUST NOT be included more than once.
    url = rp.authorization_url()
    first, second = TWICE[name]
    if name not in query(url):
        url += f"&{name}={first}"
    response = rp.agent.get(url + f"&{name}={second}")
    if name == "state":
        rp.pending = None  # which state to echo is unknown: not the RP's state check
    assert authorization_error(rp, response)["error"] == "invalid_request"


@pytest.mark.parametrize("name", ["client_id", "redirect_uri", "response_type"])
def test_client_id_redirect_uri_or_response_type_given_twice_is_an_error_page(rp, name):
    value = {"client_id": rp.client.client_id, "redirect_uri": rp.client.redirect_uri,
             "response_type": "code"}[name]
    response = rp.agent.get(rp.authorization_url() + f"&{name}={value}")
    assert error_page(response) == "invalid_request"


def test_authorization_request_by_post_succeeds(rp, user):
    # OIDC Core 3.1.2.1: the authorization endpoint MUST support GET and POST.
    url = rp.authorization_url()
    endpoint = url.split("?", 1)[0]
    response = rp.agent.follow(rp.agent.http.post(endpoint, data=query(url),
                                                  allow_redirects=False, timeout=30))
    response = rp.verify_totp(rp.log_in(response, user), user)
    tokens = rp.exchange(rp.response_params(response)["code"])
    assert tokens["claims"]["sub"] == user.subject


def test_login_hint_fills_in_the_username(rp, user):
    page = Page(rp.start(login_hint=user.username))
    field = page.soup.find(id=page.field_name("Username or email"))
    assert field.get("value") == user.username


@pytest.mark.parametrize("display", ["page", "popup"])
def test_display_values_succeed(rp, user, display):
    assert signed_in(rp, user, display=display)["claims"]["sub"] == user.subject


def test_ui_locales_picks_the_page_language(rp):
    page = Page(rp.start(ui_locales="nl-NL nl en"))
    assert page.soup.find("html")["lang"].startswith("nl")


def test_unsupported_ui_locales_fall_back_and_succeed(rp, user):
    assert signed_in(rp, user, ui_locales="tlh")["claims"]["sub"] == user.subject


def test_claims_locales_succeeds(rp, user):
    assert signed_in(rp, user, claims_locales="nl en")["claims"]["sub"] == user.subject


def test_request_object_is_refused_as_unsupported(rp):
    # OIDC Core 6.1 / 6.3: an OP that does not support request objects says so.
    unsigned = "eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9."
    params = authorization_error(rp, rp.start(request=unsigned))
    assert params["error"] == "request_not_supported"


def test_request_uri_is_refused_as_unsupported(rp):
    params = authorization_error(rp, rp.start(request_uri="https://rp.example.org/request.jwt"))
    assert params["error"] == "request_uri_not_supported"


def test_unknown_prompt_value_is_an_error_never_a_code(rp):
    params = authorization_error(rp, rp.start(prompt="sideways"))
    assert params["error"] == "invalid_request"


def test_state_is_echoed_exactly(rp, user):
    state = "a b/c?d=e&f+g%h"
    response = rp.start(state=state)
    rp.pending.state = state
    response = rp.verify_totp(rp.log_in(response, user), user)
    assert rp.response_params(response)["state"] == state


def test_login_page_is_not_framed_or_cached(rp):
    response = rp.start()
    assert title(response).startswith("Log in")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("mode", ["fragment", "form_post"])
def test_unsupported_response_mode_still_answers_in_the_query(rp, user, mode):
    # Discovery advertises response_modes_supported ["query"]; nothing else is used.
    response = rp.start(response_mode=mode)
    response = rp.verify_totp(rp.log_in(response, user), user)
    assert "#" not in response.headers["Location"]
    assert "code" in rp.response_params(response)
