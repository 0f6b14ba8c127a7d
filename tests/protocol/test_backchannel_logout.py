"""OpenID Connect Back-Channel Logout 1.0: when a session ends (a logout, an admin ending a
person's sessions, a disabled account), each app that got tokens in it and registered a
back-channel logout URI is posted a signed logout token naming the session's sid and the
person's sub as the app knows them; retried while the app fails, never keeping the person
waiting."""

from __future__ import annotations

import pytest
from joserfc import jwt

from idp.oidc import backchannel
from idp.tenants.logout_notices import LogoutNotice
from tests.protocol._helpers import signed_in
from tests.protocol.test_logout import logout
from tests.support.logout_receiver import LogoutReceiver
from tests.support.rp import StrictRP
from tests.unit.test_observability import sample
from tests.web.admin_api import service_api
from tests.web.test_web_admin_api_users import user_id

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def receiver():
    app_side = LogoutReceiver()
    yield app_side
    app_side.close()


def told_rp(directory, receiver, **options) -> StrictRP:
    return StrictRP(directory, directory.add_client(backchannel_logout_uri=receiver.uri,
                                                    **options))


def checked(rp: StrictRP, token: str) -> dict:
    """Check a logout token as Back-Channel Logout 1.0 section 2.6 says an app must."""
    decoded = jwt.decode(token, rp.jwks(), algorithms=["RS256", "ES256"])
    assert decoded.header["typ"] == "logout+jwt"
    claims = decoded.claims
    assert claims["iss"] == rp.directory.issuer
    assert claims["aud"] == rp.client.client_id
    assert claims["events"] == {EVENT: {}}
    assert claims["jti"] and claims["iat"] <= claims["exp"]
    assert "nonce" not in claims
    return claims


def test_a_logout_tells_the_app_with_the_sid_and_sub_of_its_id_token(directory, receiver,
                                                                     user):
    rp = told_rp(directory, receiver)
    tokens = signed_in(rp, user)
    response = logout(rp, id_token_hint=tokens["id_token"],
                      post_logout_redirect_uri=rp.client.post_logout_redirect_uri)
    assert response.is_redirect
    claims = checked(rp, receiver.next_token())
    assert claims["sid"] == tokens["claims"]["sid"]
    assert claims["sub"] == tokens["claims"]["sub"] == user.subject


def test_a_pairwise_app_is_told_its_own_sub(directory, receiver, user):
    rp = told_rp(directory, receiver, pairwise_subject=True)
    tokens = signed_in(rp, user)
    logout(rp, id_token_hint=tokens["id_token"],
           post_logout_redirect_uri=rp.client.post_logout_redirect_uri)
    assert checked(rp, receiver.next_token())["sub"] == tokens["claims"]["sub"] != user.subject


def test_only_the_apps_of_the_ended_session_are_told(directory, user):
    first, second = LogoutReceiver(), LogoutReceiver()
    try:
        in_one = told_rp(directory, first)
        in_other = told_rp(directory, second)  # its own browser: another session, person
        one = signed_in(in_one, user)
        other = signed_in(in_other, directory.add_user(totp=True))
        logout(in_one, id_token_hint=one["id_token"],
               post_logout_redirect_uri=in_one.client.post_logout_redirect_uri)
        assert checked(in_one, first.next_token())["sid"] == one["claims"]["sid"]
        logout(in_other, id_token_hint=other["id_token"],
               post_logout_redirect_uri=in_other.client.post_logout_redirect_uri)
        # The other app's first token is of its own session: it was not told of the first.
        assert checked(in_other, second.next_token())["sid"] == other["claims"]["sid"]
        assert one["claims"]["sid"] != other["claims"]["sid"]
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("action", ["sessions/end", "disable"])
def test_an_admin_ending_the_sessions_or_disabling_the_account_tells_the_app(
        directory, receiver, user, action):
    rp = told_rp(directory, receiver)
    tokens = signed_in(rp, user)
    api = service_api(directory, scopes="admin:users")
    assert api.post(f"/users/{user_id(directory, user.username)}/{action}").status_code == 200
    assert checked(rp, receiver.next_token())["sid"] == tokens["claims"]["sid"]


def test_an_app_that_fails_is_tried_again(directory, receiver, user):
    rp = told_rp(directory, receiver)
    tokens = signed_in(rp, user)
    receiver.statuses = [503]
    logout(rp, id_token_hint=tokens["id_token"],
           post_logout_redirect_uri=rp.client.post_logout_redirect_uri)
    first = receiver.next_token()
    assert receiver.next_token() == first  # the same token, posted again


def test_the_logout_does_not_wait_for_the_app(directory, receiver, user):
    rp = told_rp(directory, receiver)
    tokens = signed_in(rp, user)
    receiver.held.clear()  # the app does not answer until released
    response = logout(rp, id_token_hint=tokens["id_token"],
                      post_logout_redirect_uri=rp.client.post_logout_redirect_uri)
    assert response.is_redirect
    assert not receiver.tokens  # still held, yet the person has their answer
    receiver.held.set()
    assert checked(rp, receiver.next_token())["sid"] == tokens["claims"]["sid"]


def test_an_app_without_a_logout_uri_is_not_told_and_discovery_says_so(rp, user):
    tokens = signed_in(rp, user)
    assert tokens["claims"]["sid"]
    assert rp.metadata["backchannel_logout_supported"] is True
    assert rp.metadata["backchannel_logout_session_supported"] is True


def test_refusals_and_failures_are_counted(receiver, monkeypatch):
    """A refusal ends the tries; an app that fails every time is given up on; each is
    counted in the metrics."""
    monkeypatch.setattr(backchannel, "ATTEMPT_DELAYS", (0.0, 0.0, 0.0))
    notice = LogoutNotice(directory_id=1, client_pk=1, user_id=1, session_id=None)
    before = {outcome: sample("idp_backchannel_logouts_total", outcome=outcome)
              for outcome in ("refused", "failed")}
    receiver.statuses = [503, 400]  # a server error, then a refusal
    backchannel._post(receiver.uri, "token-1", notice)
    receiver.statuses = [500, 502, 503]
    backchannel._post(receiver.uri, "token-2", notice)
    backchannel._post(receiver.uri, "token-3", notice)
    assert receiver.tokens == ["token-1", "token-1", "token-2", "token-2", "token-2",
                               "token-3"]
    after = {outcome: sample("idp_backchannel_logouts_total", outcome=outcome) - count
             for outcome, count in before.items()}
    # (Other tests' logouts may still be delivered in the background: none is refused.)
    assert (after["refused"], after["failed"]) == (1, 1)
