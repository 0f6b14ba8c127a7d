"""Discovery and JWKS from memory: ETags, 304s, and no stale document after a change.

RFC 9110 8.8.3 and 13.1.2 (ETag, If-None-Match). What this process commits (a rotation,
a disabled directory) is served at once; a retired key leaves the JWKS when its
publication ends. Changes made by other processes: tests/production/test_production_kept.py.
"""

from __future__ import annotations

import pytest
import requests

from tests.protocol._helpers import rotate_signing_keys
from tests.protocol.test_directory_disabled import set_disabled

DOCUMENTS = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server",
             "/jwks")


def fetch(directory, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{directory.issuer}{path}", headers=headers, timeout=30)


def kids(directory) -> set[str]:
    return {key["kid"] for key in fetch(directory, "/jwks").json()["keys"]}


@pytest.mark.parametrize("path", DOCUMENTS)
def test_a_document_carries_a_strong_etag_that_stays_while_nothing_changes(directory, path):
    first, second = fetch(directory, path), fetch(directory, path)
    assert first.status_code == second.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert second.headers["ETag"] == etag and second.content == first.content
    assert int(first.headers["Content-Length"]) == len(first.content)
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in first.headers


@pytest.mark.parametrize("path", DOCUMENTS)
def test_if_none_match_with_the_current_etag_is_a_304_without_a_body(directory, path):
    etag = fetch(directory, path).headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = fetch(directory, path, **{"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"].startswith("public, max-age=")


def test_if_none_match_with_another_etag_gets_the_document(directory):
    response = fetch(directory, "/jwks", **{"If-None-Match": '"not-this-one"'})
    assert response.status_code == 200 and response.json()["keys"]


def test_head_answers_the_headers_without_the_body(directory):
    get = fetch(directory, "/jwks")
    head = requests.head(f"{directory.issuer}/jwks", timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_a_rotation_committed_here_is_published_at_once_with_a_new_etag(directory):
    before = fetch(directory, "/jwks")
    old = {key["kid"] for key in before.json()["keys"]}

    rotate_signing_keys(directory)

    after = fetch(directory, "/jwks")
    new = {key["kid"] for key in after.json()["keys"]}
    assert old < new, "the new keys are published beside the current ones"
    assert after.headers["ETag"] != before.headers["ETag"]
    stale = fetch(directory, "/jwks", **{"If-None-Match": before.headers["ETag"]})
    assert stale.status_code == 200, "an old ETag no longer matches"


def test_a_retired_key_leaves_the_jwks_when_its_publication_ends(directory, provider_clock):
    old = kids(directory)
    ahead = rotate_signing_keys(directory)
    assert old < kids(directory)  # served from memory from here on

    with directory.live.app.app_context():
        from idp.services import services
        from idp.tenants.directories import get_directory, session_lifetimes
        policy = services().key_rotation(
            session_lifetimes(get_directory(directory.slug)).absolute_seconds)
    provider_clock(ahead + policy.publish_for + 1)

    assert not old & kids(directory), "the old keys' publication has ended"


def test_a_directory_disabled_here_stops_serving_its_documents_at_once(directory):
    assert fetch(directory, "/.well-known/openid-configuration").status_code == 200
    assert fetch(directory, "/jwks").status_code == 200

    set_disabled(directory, True)

    for path in DOCUMENTS:
        response = fetch(directory, path)
        assert response.status_code == 403, path
        assert "ETag" not in response.headers
    set_disabled(directory, False)
    assert fetch(directory, "/jwks").status_code == 200


def test_an_unknown_directory_is_never_kept(live):
    for _ in range(2):
        response = requests.get(f"{live.url}/d/no-such-one/jwks", timeout=30)
        assert response.status_code == 404 and "ETag" not in response.headers


def test_other_methods_reach_the_app(directory):
    response = requests.post(f"{directory.issuer}/jwks", timeout=30)
    assert response.status_code == 405
