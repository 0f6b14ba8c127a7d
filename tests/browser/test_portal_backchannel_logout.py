"""The sample portal's end of Back-Channel Logout 1.0: a session ended at the provider ends
the portal's too, and a logout token the portal must not act on is refused."""

from __future__ import annotations

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from playwright.sync_api import expect

from idp.clock import now
from idp.oidc.backchannel import EVENT
from idp.services import services
from idp.tenants.clients import get_client
from idp.tenants.directories import get_directory
from idp.tenants.keys import signing_key
from tests.browser.steps import give_app_code, log_in_to_billing
from tests.web.admin_api import service_api
from tests.web.test_web_admin_api_users import user_id


def signed_in(page, portal) -> bool:
    page.goto(portal.url + "/")
    return page.locator("#signed-in").inner_text().startswith("Signed in as")


@pytest.mark.browser
def test_a_session_ended_at_the_provider_ends_the_portals(page, portal):
    user = portal.directory.add_user(totp=True)
    log_in_to_billing(page, portal, user)
    give_app_code(page, user)
    expect(page).to_have_url(portal.url + "/billing")
    assert signed_in(page, portal)

    api = service_api(portal.directory, scopes="admin:users")
    api.post(f"/users/{user_id(portal.directory, user.username)}/sessions/end")

    # The logout token is posted in the background: the portal drops the session at the
    # first request after it arrived.
    for _ in range(100):
        if not signed_in(page, portal):
            break
        page.wait_for_timeout(100)
    assert not signed_in(page, portal)
    page.get_by_role("link", name="Billing (30)").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def token(portal, key=None, header=None, **claims) -> str:
    """A logout token for the portal signed with the directory's key (or `key`), with
    `claims` replacing or (None) dropping the usual ones."""
    moment = int(now())
    payload = {"iss": portal.directory.issuer, "aud": portal.client.client_id,
               "iat": moment, "exp": moment + 120, "jti": f"jti-{moment}-{id(claims)}",
               "events": {EVENT: {}}, "sid": "a-session"}
    payload.update(claims)
    with portal.directory.live.app.app_context():
        directory = get_directory(portal.directory.slug)
        alg = get_client(directory, portal.client.client_id).id_token_alg
        signer = key or signing_key(directory.id, alg, services().sealer, now())
    head = {"alg": alg, "kid": signer.kid, "typ": "logout+jwt", **(header or {})}
    return jwt.encode({k: v for k, v in head.items() if v is not None},
                      {k: v for k, v in payload.items() if v is not None}, signer)


def post(portal, logout_token: str) -> requests.Response:
    return requests.post(portal.url + "/backchannel-logout",
                         data={"logout_token": logout_token}, timeout=30)


def test_a_valid_logout_token_is_taken_once(portal):
    valid = token(portal)
    assert post(portal, valid).status_code == 200
    replayed = post(portal, valid)
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_request"


@pytest.mark.parametrize("changes", [
    {"aud": "another-app"},
    {"iss": "https://another-provider.example"},
    {"events": None},
    {"events": {"http://schemas.openid.net/event/other": {}}},
    {"nonce": "n-0S6_WzA2Mj"},
    {"sid": None},
    {"jti": None},
    {"iat": 1},
], ids=["another-audience", "another-issuer", "no-events", "another-event", "a-nonce",
        "neither-sid-nor-sub", "no-jti", "old"])
def test_a_logout_token_the_portal_must_not_act_on_is_refused(portal, changes):
    response = post(portal, token(portal, **changes))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


def test_a_logout_token_signed_by_another_key_or_untyped_is_refused(portal):
    forged = token(portal, key=RSAKey.generate_key(2048, auto_kid=True))
    assert post(portal, forged).status_code == 400
    assert post(portal, token(portal, header={"typ": None})).status_code == 400
    assert post(portal, "not-a-jwt").status_code == 400
    assert post(portal, "").status_code == 400
