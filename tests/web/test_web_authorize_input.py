"""Malformed and hostile authorization requests.

Without a client and a registered redirect URI the provider shows an error page
and never redirects; with them, the error goes to that URI (with iss and state).
Never a 500, never a stack trace.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import assert_error_page, assert_sane, redirect_query

REGISTERED = "https://rp.example.org/callback"


def _get(rp: StrictRP, **params: str | None) -> requests.Response:
    response = requests.get(rp.authorization_url(**params), allow_redirects=False, timeout=30)
    assert_sane(response, rp.client.redirect_uri)
    return response


@pytest.fixture
def rp(shared_directory, shared_client):
    return StrictRP(shared_directory, shared_client)


# -- no trustworthy redirect URI: an error page, never a redirect -------------------------

UNUSABLE_REDIRECT_URIS = {
    "unregistered": "https://evil.example/callback",
    "javascript": "javascript:alert(document.domain)",
    "data": "data:text/html,<script>alert(1)</script>",
    "registered plus path": REGISTERED + "/../../evil",
    "registered plus query": REGISTERED + "?next=https://evil.example/",
    "registered plus fragment": REGISTERED + "#x",
    "prefix of registered": "https://rp.example.org/call",
    "other case": "HTTPS://RP.EXAMPLE.ORG/callback",
    "userinfo trick": "https://rp.example.org@evil.example/callback",
    "relative": "/callback",
    "protocol relative": "//evil.example/callback",
    "empty": "",
    "missing": None,
}


@pytest.mark.parametrize("redirect_uri", UNUSABLE_REDIRECT_URIS.values(),
                         ids=UNUSABLE_REDIRECT_URIS.keys())
def test_an_unusable_redirect_uri_gets_an_error_page(rp, redirect_uri):
    response = _get(rp, redirect_uri=redirect_uri)

    assert_error_page(response, 400)


# Authlib puts the unregistered URI into its error description and refuses characters
# outside %x20-21 / %x23-5B / %x5D-7E there with a ValueError (once a 500).
FORBIDDEN_IN_DESCRIPTIONS = {
    "double quote": 'https://evil.example/"',
    "backslash": "https://evil.example/\\",
    "non-ascii": "https://évil.example/",
    "newline": "https://evil.example/\n",
}


@pytest.mark.parametrize("redirect_uri", FORBIDDEN_IN_DESCRIPTIONS.values(),
                         ids=FORBIDDEN_IN_DESCRIPTIONS.keys())
def test_an_unregistered_redirect_uri_with_odd_characters_gets_an_error_page(rp, redirect_uri):
    response = requests.get(rp.authorization_url(redirect_uri=redirect_uri),
                            allow_redirects=False, timeout=30)

    assert_error_page(response, 400)


CLIENT_IDS = {
    "unknown": "no-such-client",
    "missing": None,
    "empty": "",
    "huge": "c" * 10_000,
    "nul byte": "client\x00",
    "sql-ish": "' OR '1'='1",
    "path-ish": "../../etc/passwd",
}


@pytest.mark.parametrize("client_id", CLIENT_IDS.values(), ids=CLIENT_IDS.keys())
def test_an_unknown_client_gets_an_error_page(rp, client_id):
    response = _get(rp, client_id=client_id)

    assert_error_page(response, 400)


@pytest.mark.parametrize("raw", ["client_id=%FF%FE", "redirect_uri=%FF%FE%FD",
                                 "redirect_uri=https%3A%2F%2Frp.example.org%2Fcallback%C0%AF"])
def test_percent_encoded_bytes_that_are_not_utf8_get_an_error_page(rp, raw):
    name = raw.split("=")[0]
    url = rp.authorization_url(**{name: None}) + "&" + raw

    response = requests.get(url, allow_redirects=False, timeout=30)

    assert_error_page(response, 400)


# -- a client and its redirect URI: the error goes back to the app ------------------------

def _error_at_client(rp: StrictRP, **params: str | None) -> dict[str, str]:
    response = _get(rp, **params)
    return rp.response_params(response)  # registered URI, iss and state checked


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code token",
                                           "code id_token", "none", "CODE"])
def test_an_unsupported_response_type_is_sent_back(rp, response_type):
    params = _error_at_client(rp, response_type=response_type)

    assert params["error"] == "unsupported_response_type"
    assert "code" not in params


@pytest.mark.parametrize("response_type", ['to"ken', "tok\u00e9n", "token\\"])
def test_an_unsupported_response_type_with_odd_characters_is_refused(rp, response_type):
    response = _get(rp, response_type=response_type)

    if response.is_redirect:
        assert rp.response_params(response)["error"] == "unsupported_response_type"
    else:
        assert_error_page(response, 400)


def test_a_missing_response_type_is_sent_back(rp):
    params = _error_at_client(rp, response_type=None)

    assert params["error"] in {"invalid_request", "unsupported_response_type"}


BAD_OIDC_PARAMS = {
    "claims not json": {"claims": "{not json"},
    "claims a list": {"claims": "[1, 2]"},
    "claims a string": {"claims": '"acr"'},
    "claims id_token a list": {"claims": '{"id_token": []}'},
    "claims acr a number": {"claims": '{"id_token": {"acr": 5}}'},
    "claims acr values not strings": {"claims": '{"id_token": {"acr": {"values": [1, 2]}}}'},
    "claims too long": {"claims": json.dumps({"userinfo": {f"c{i}": None for i in range(600)}})},
    "max_age negative": {"max_age": "-1"},
    "max_age huge": {"max_age": "9" * 40},
    "max_age letters": {"max_age": "ten"},
    "max_age fraction": {"max_age": "1.5"},
    "max_age arabic digits": {"max_age": "١٢"},
    "prompt unknown": {"prompt": "sometimes"},
    "prompt none with login": {"prompt": "none login"},
    "prompt none with consent": {"prompt": "none consent"},
    "id_token_hint garbage": {"id_token_hint": "not.a.jwt"},
    "id_token_hint one part": {"id_token_hint": "abc"},
    "id_token_hint huge": {"id_token_hint": "a" * 9000},
    "code_challenge_method plain": {"code_challenge_method": "plain"},
}


BAD_OIDC_CASES = [pytest.param(value, id=name) for name, value in BAD_OIDC_PARAMS.items()] + [
    # json.loads raises RecursionError on deep nesting; it must still be invalid_request.
    pytest.param({"claims": "[" * 2000 + "]" * 2000}, id="claims deeply nested"),
]


@pytest.mark.parametrize("params", BAD_OIDC_CASES)
def test_a_malformed_oidc_parameter_is_sent_back_as_invalid_request(rp, params):
    answer = _error_at_client(rp, **params)

    assert answer["error"] == "invalid_request"
    assert "code" not in answer


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(rp: StrictRP, subject: str) -> dict:
    now = int(time.time())
    return {"iss": rp.directory.issuer, "sub": subject, "aud": rp.client.client_id,
            "iat": now, "exp": now + 600}


def test_an_id_token_hint_signed_by_another_key_is_refused(rp, shared_user):
    key = RSAKey.generate_key(2048, parameters={"kid": "not-ours"}, private=True)
    hint = jwt.encode({"alg": "RS256", "kid": "not-ours"}, _claims(rp, shared_user.subject), key)

    assert _error_at_client(rp, id_token_hint=hint)["error"] == "invalid_request"


def test_an_id_token_hint_naming_our_kid_but_signed_by_another_key_is_refused(rp, shared_user):
    kid = next(k["kid"] for k in rp.jwks().as_dict()["keys"] if k["kty"] == "RSA")
    key = RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)
    hint = jwt.encode({"alg": "RS256", "kid": kid}, _claims(rp, shared_user.subject), key)

    assert _error_at_client(rp, id_token_hint=hint)["error"] == "invalid_request"


@pytest.mark.parametrize("alg", ["none", "None", "HS256"])
def test_an_unsigned_or_symmetric_id_token_hint_is_refused(rp, shared_user, alg):
    claims = _claims(rp, shared_user.subject)
    hint = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(claims)}."
    if alg == "HS256":
        hint += "c2lnbmF0dXJl"

    assert _error_at_client(rp, id_token_hint=hint)["error"] == "invalid_request"


def test_a_bad_hint_is_refused_even_when_a_session_could_answer_silently(rp, shared_user):
    rp.sign_in(shared_user)

    response = rp.start(prompt="none", id_token_hint="x.y.z")

    assert_sane(response, rp.client.redirect_uri)
    params = rp.response_params(response)

    assert params["error"] == "invalid_request"
    assert "code" not in params


# -- huge, odd but harmless values: the login page or an error, never a crash -------------

ODD_VALUES = {
    "huge state": {"state": "s" * 10_000},
    "huge nonce": {"nonce": "n" * 10_000},
    "huge login_hint": {"login_hint": "h" * 10_000},
    "huge ui_locales": {"ui_locales": "x-" * 3_000},
    "huge scope": {"scope": "openid " + "s" * 10_000},
    "many scopes": {"scope": " ".join(f"s{i}" for i in range(2_000)) + " openid"},
    "huge acr_values": {"acr_values": "9" * 5_000},
    "many acr_values": {"acr_values": " ".join(str(i) for i in range(2_000))},
    "negative acr_values": {"acr_values": "-30"},
    "letters in acr_values": {"acr_values": "loa-high"},
    "html in login_hint": {"login_hint": '"><script>alert(1)</script>'},
    "nul in state": {"state": "a\x00b"},
    "nul in login_hint": {"login_hint": "a\x00b"},
    "unicode state": {"state": "ünïcødé \u202e"},
    "unknown parameters": {"foo": "bar", "request_object": "x"},
    "display and claims_locales": {"display": "popup", "claims_locales": "nl"},
}


@pytest.mark.parametrize("params", ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_odd_values_get_a_page_or_an_error_at_the_client(rp, params):
    agent = Agent(rp.directory.live.url)

    response = agent.get(rp.authorization_url(**params))

    assert_sane(response, rp.client.redirect_uri)
    if response.is_redirect:
        answer = redirect_query(response)
        assert answer["iss"] == rp.directory.issuer
        assert answer.get("state") == params.get("state", rp.pending.state)
    else:
        assert response.status_code in {200, 400}
        page = Page(response)
        assert page.title.startswith("Log in") or page.title in (
            "Something is not right", "Unknown app", "This app may not sign you in")
        assert "<script>alert(1)</script>" not in response.text


def test_html_in_login_hint_is_escaped_in_the_login_form(rp):
    response = Agent(rp.directory.live.url).get(
        rp.authorization_url(login_hint='"><b id="injected">x</b>'))

    page = Page(response)
    assert page.title.startswith("Log in")
    assert page.soup.find(id="injected") is None
    assert page.soup.find(id="username")["value"] == '"><b id="injected">x</b>'


def test_a_huge_request_line_is_refused_without_a_crash(rp):
    response = requests.get(rp.authorization_url(state="s" * 100_000), allow_redirects=False,
                            timeout=30)

    assert 400 <= response.status_code < 500
    assert "Traceback" not in response.text


def test_a_huge_form_post_is_refused_with_413(rp):
    response = requests.post(rp.metadata["authorization_endpoint"],
                             data={"client_id": rp.client.client_id, "state": "s" * 70_000},
                             allow_redirects=False, timeout=30)

    assert_error_page(response, 413)


def test_authorization_errors_never_set_a_code(rp):
    response = _get(rp, prompt="none")

    params = redirect_query(response)
    assert params["error"] == "login_required"
    assert "code" not in params


# No parameter of ours may hold NUL (PostgreSQL text refuses it, and no client needs it):
# the request is refused with invalid_request at the client's redirect URI.
@pytest.mark.parametrize("params", [{"nonce": "n\x00n"}, {"scope": "openid profile\x00"},
                                    {"state": "s\x00s"}, {"login_hint": "h\x00"}],
                         ids=["nul in nonce", "nul in scope", "nul in state",
                              "nul in login_hint"])
def test_nul_bytes_in_parameters_are_refused_before_any_login(directory, params):
    rp = StrictRP(directory, directory.add_client())

    response = rp.start(**params)

    assert_sane(response, rp.client.redirect_uri)
    answer = redirect_query(response)
    assert answer["error"] == "invalid_request"
    assert "code" not in answer
