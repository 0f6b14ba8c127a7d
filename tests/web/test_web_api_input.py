"""Malformed and hostile requests to the machine endpoints: token, userinfo, revocation,
introspection, and directories that do not exist. Always a JSON error with `error`."""

from __future__ import annotations

import base64

import pytest
import requests

from tests.support.rp import StrictRP
from tests.web.helpers import assert_error_page, assert_json_error, assert_sane

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def signed_in(shared_directory, shared_client, shared_user):
    """A relying party whose browser has a session at level 30: codes come at once."""
    rp = StrictRP(shared_directory, shared_client)
    rp.sign_in(shared_user)
    return rp


def _code(rp: StrictRP) -> str:
    return rp.response_params(rp.start())["code"]


def _basic(client) -> tuple[str, str]:
    return client.client_id, client.secret


def _token(rp: StrictRP, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", 30)
    return requests.post(rp.metadata["token_endpoint"], **kwargs)


# -- the token endpoint -------------------------------------------------------------------

BODIES = {
    "json": {"json": {"grant_type": "authorization_code", "code": "x"}},
    "text/plain": {"data": "grant_type=authorization_code&code=x",
                   "headers": {"Content-Type": "text/plain"}},
    "multipart": {"files": {"grant_type": (None, "authorization_code")}},
    "no body": {},
    "xml": {"data": "<grant_type>authorization_code</grant_type>",
            "headers": {"Content-Type": "application/xml"}},
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_the_token_endpoint_takes_form_bodies_only(signed_in, shared_client, body):
    response = _token(signed_in, auth=_basic(shared_client), **body)

    assert_json_error(response, 400, "invalid_request")


def test_an_empty_form_is_an_error(signed_in, shared_client):
    response = _token(signed_in, auth=_basic(shared_client), data="", headers=FORM)

    assert_json_error(response, 400, "invalid_request", "unsupported_grant_type")


@pytest.mark.parametrize("auth", [True, False], ids=["authenticated", "anonymous"])
def test_a_body_over_64_kib_gets_413_json(signed_in, shared_client, auth):
    response = _token(signed_in, auth=_basic(shared_client) if auth else None,
                      data={"grant_type": "authorization_code", "code": "x" * (65 * 1024)})

    assert_json_error(response, 413)


@pytest.mark.parametrize("grant_type", ["password", "implicit", "client_credentials",
                                        "urn:ietf:params:oauth:grant-type:device_code",
                                        "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                        "", "AUTHORIZATION_CODE", "g" * 5000])
def test_unsupported_grant_types_are_refused(signed_in, shared_client, grant_type):
    response = _token(signed_in, auth=_basic(shared_client), data={
        "grant_type": grant_type, "username": "alice", "password": "alice-demo-password",
        "scope": "openid"})

    assert_json_error(response, 400, "unsupported_grant_type", "unauthorized_client")
    assert "access_token" not in response.text


def test_a_missing_grant_type_is_refused(signed_in, shared_client):
    response = _token(signed_in, auth=_basic(shared_client), data={"code": "x"})

    assert_json_error(response, 400, "unsupported_grant_type", "invalid_request")


@pytest.mark.parametrize("code", ["garbage", "", "x" * 5000, "\x00", "é" * 100,
                                  "' OR 1=1 --"], ids=["garbage", "empty", "very long", "nul",
                                                       "unicode", "sql-ish"])
def test_a_garbage_code_is_an_invalid_grant(signed_in, shared_client, code):
    response = _token(signed_in, auth=_basic(shared_client), data={
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": shared_client.redirect_uri, "code_verifier": "v" * 43})

    assert_json_error(response, 400, "invalid_grant", "invalid_request")


def test_a_wrong_pkce_verifier_is_an_invalid_grant(signed_in, shared_client):
    code = _code(signed_in)

    response = _token(signed_in, auth=_basic(shared_client), data={
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": shared_client.redirect_uri, "code_verifier": "w" * 64})

    assert_json_error(response, 400, "invalid_grant")


def test_a_code_of_another_client_is_an_invalid_grant(signed_in, shared_directory):
    code = _code(signed_in)
    other = shared_directory.add_client()

    response = _token(signed_in, auth=_basic(other), data={
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": signed_in.client.redirect_uri,
        "code_verifier": signed_in.pending.verifier})

    assert_json_error(response, 400, "invalid_grant")
    assert "access_token" not in response.text


CLIENT_AUTH = {
    "none": {},
    "wrong secret": {"auth": ("CLIENT", "wrong")},
    "unknown client": {"auth": ("nobody", "secret")},
    "not base64": {"headers": {"Authorization": "Basic !!!!"}},
    "no colon": {"headers": {"Authorization": "Basic " + base64.b64encode(b"x").decode()}},
    "not utf-8": {"headers": {"Authorization": "Basic " + base64.b64encode(b"\xff:\xfe").decode()}},
    "nul in client id": {"auth": ("CLIENT\x00", "secret")},
    "huge client id": {"auth": ("c" * 5000, "secret")},
    "bearer scheme": {"headers": {"Authorization": "Bearer abc"}},
}


@pytest.mark.parametrize("how", CLIENT_AUTH.values(), ids=CLIENT_AUTH.keys())
def test_the_token_endpoint_refuses_unauthenticated_clients(signed_in, shared_client, how):
    kwargs = dict(how)
    if "auth" in kwargs:
        kwargs["auth"] = tuple(part.replace("CLIENT", shared_client.client_id)
                               for part in kwargs["auth"])

    response = _token(signed_in, data={"grant_type": "authorization_code", "code": "x",
                                       "redirect_uri": shared_client.redirect_uri}, **kwargs)

    assert_json_error(response, response.status_code, "invalid_client", "invalid_request")
    assert response.status_code in {400, 401}


def test_get_on_the_token_endpoint_is_not_a_crash(signed_in):
    response = requests.get(signed_in.metadata["token_endpoint"], timeout=30)

    assert_sane(response)
    assert_json_error(response, 405, "invalid_request")


# -- userinfo --------------------------------------------------------------------------

AUTHORIZATIONS = {
    "garbage bearer": "Bearer garbage",
    "very long bearer": "Bearer " + "x" * 5000,
    "empty bearer": "Bearer ",
    "basic scheme": "Basic dXNlcjpwYXNz",
    "unknown scheme": "Token abc",
    "no scheme": "abc",
    "bearer with nul": "Bearer a\x00b",
}


@pytest.mark.parametrize("authorization", AUTHORIZATIONS.values(), ids=AUTHORIZATIONS.keys())
def test_userinfo_refuses_bad_authorization(signed_in, authorization):
    response = requests.get(signed_in.metadata["userinfo_endpoint"], timeout=30,
                            headers={"Authorization": authorization})

    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_userinfo_without_a_token_is_challenged(signed_in):
    response = requests.get(signed_in.metadata["userinfo_endpoint"], timeout=30)

    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_userinfo_with_a_token_in_a_json_body_is_not_accepted(signed_in, shared_client):
    tokens = signed_in.exchange(_code(signed_in))

    response = requests.post(signed_in.metadata["userinfo_endpoint"], timeout=30,
                             json={"access_token": tokens["access_token"]})

    assert_json_error(response, 401)


# -- revocation and introspection ---------------------------------------------------------

@pytest.fixture(scope="module")
def access_token(signed_in):
    return signed_in.exchange(_code(signed_in))["access_token"]


@pytest.mark.parametrize("endpoint", ["revocation_endpoint", "introspection_endpoint"])
def test_revoke_and_introspect_require_client_authentication(signed_in, access_token,
                                                             endpoint):
    url = signed_in.metadata[endpoint]

    anonymous = requests.post(url, data={"token": access_token}, timeout=30)
    wrong = requests.post(url, data={"token": access_token}, timeout=30,
                          auth=(signed_in.client.client_id, "wrong"))

    assert_json_error(anonymous, 401, "invalid_client")
    assert_json_error(wrong, 401, "invalid_client")
    check = requests.post(signed_in.metadata["introspection_endpoint"], timeout=30,
                          data={"token": access_token}, auth=_basic(signed_in.client))
    assert check.json()["active"] is True, "the token survived"


def test_introspection_refuses_public_clients(signed_in, shared_directory, access_token):
    public = shared_directory.add_client(public=True)

    response = requests.post(signed_in.metadata["introspection_endpoint"], timeout=30,
                             data={"token": access_token, "client_id": public.client_id})

    assert_json_error(response, 401, "invalid_client")
    assert "active" not in response.json()


@pytest.mark.parametrize("endpoint", ["revocation_endpoint", "introspection_endpoint"])
@pytest.mark.parametrize("body", [{"json": {"token": "x"}}, {}, {"data": {"token": "x" * 70_000}}],
                         ids=["json", "no body", "huge"])
def test_revoke_and_introspect_refuse_bad_bodies(signed_in, endpoint, body):
    response = requests.post(signed_in.metadata[endpoint], auth=_basic(signed_in.client),
                             timeout=30, **body)

    assert_json_error(response, 413 if "data" in body else 400)


@pytest.mark.parametrize("token", ["garbage", "x" * 5000, "a\x00b"], ids=["garbage", "long", "nul"])
def test_introspecting_garbage_says_inactive(signed_in, token):
    response = requests.post(signed_in.metadata["introspection_endpoint"], timeout=30,
                             data={"token": token}, auth=_basic(signed_in.client))

    assert_sane(response)
    assert response.status_code == 200
    assert response.json() == {"active": False}


@pytest.mark.parametrize("token", ["garbage", "x" * 5000, "a\x00b"], ids=["garbage", "long", "nul"])
def test_revoking_garbage_is_not_an_error_or_is_a_json_one(signed_in, token):
    response = requests.post(signed_in.metadata["revocation_endpoint"], timeout=30,
                             data={"token": token}, auth=_basic(signed_in.client))

    assert_sane(response)
    if response.status_code != 200:
        assert_json_error(response, 400)


# -- directories that do not exist --------------------------------------------------------

SLUGS = {
    "unknown": "no-such-directory",
    "upper case": "DEFAULT",
    "dot dot": "..",
    "encoded dot dot": "%2e%2e",
    "encoded traversal": "..%2f..%2fetc",
    "leading hyphen": "-x",
    "trailing hyphen": "x-",
    "very long": "a" * 300,
    "nul": "a%00b",
    "unicode": "d%C3%A9faut",
    "not utf-8": "%FF%FE",
    "sql-ish": "x'%20OR%20'1'='1",
}
API_PATHS = ["jwks", ".well-known/openid-configuration", "token", "userinfo", "revoke",
             "introspect"]


@pytest.mark.parametrize("slug", SLUGS.values(), ids=SLUGS.keys())
@pytest.mark.parametrize("path", API_PATHS)
def test_an_unknown_directory_is_a_json_404_for_apis(live, slug, path):
    method = requests.post if path in {"token", "revoke", "introspect"} else requests.get

    response = method(f"{live.url}/d/{slug}/{path}", timeout=30)

    assert_sane(response)
    assert response.status_code == 404
    if "/" not in slug.replace("%2f", "/") and slug != "..":
        assert_json_error(response, 404, "not_found")


@pytest.mark.parametrize("slug", SLUGS.values(), ids=SLUGS.keys())
def test_an_unknown_directory_is_a_page_for_browsers(live, slug):
    response = requests.get(f"{live.url}/d/{slug}/authorize?client_id=x", timeout=30,
                            allow_redirects=False)

    assert_error_page(response, 404)


def test_an_unknown_path_is_a_page(live):
    assert_error_page(requests.get(f"{live.url}/nothing/here", timeout=30), 404, "not_found")
