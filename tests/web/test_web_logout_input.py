"""Hostile logout requests: an error page or the logged-out page, never a redirect to a URI
the client did not register, never a 500."""

from __future__ import annotations

import pytest
import requests

from tests.web.helpers import assert_error_page, assert_sane

HINTS = {
    "garbage": "garbage",
    "three garbage parts": "a.b.c",
    "too long": "a" * 9000,
    "alg none": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("hint", HINTS.values(), ids=HINTS.keys())
def test_a_bad_id_token_hint_is_an_error_page(shared_directory, method, hint):
    response = requests.request(method, f"{shared_directory.issuer}/logout", timeout=30,
                                allow_redirects=False, **{
                                    "params" if method == "get" else "data":
                                    {"id_token_hint": hint}})

    assert_error_page(response, 400)


REDIRECTS = {
    "unregistered": {"post_logout_redirect_uri": "https://evil.example/"},
    "odd characters": {"post_logout_redirect_uri": 'https://evil.example/"\u00e9'},
    "unknown client": {"client_id": "nobody"},
    "nul in client id": {"client_id": "a\x00b"},
    "javascript": {"post_logout_redirect_uri": "javascript:alert(1)"},
    "odd state": {"state": 'a"\u00e9\x00'},
    "huge ui_locales": {"ui_locales": "x " * 5000},
}


@pytest.mark.parametrize("params", REDIRECTS.values(), ids=REDIRECTS.keys())
def test_logout_never_redirects_to_an_unregistered_uri(shared_directory, shared_client,
                                                       params):
    query = {"client_id": shared_client.client_id, "state": "s", **params}

    response = requests.get(f"{shared_directory.issuer}/logout", params=query, timeout=30,
                            allow_redirects=False)

    assert_sane(response, shared_client.post_logout_redirect_uri)
    assert not response.is_redirect or response.headers["Location"].startswith(
        shared_client.post_logout_redirect_uri + "?")
    assert response.status_code in {200, 302, 303, 400}


def test_confirming_a_logout_without_a_csrf_token_is_refused(shared_directory):
    response = requests.post(f"{shared_directory.issuer}/logout", data={"confirm": "yes"},
                             timeout=30, allow_redirects=False)

    assert_error_page(response, 400)
