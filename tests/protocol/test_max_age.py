"""oidcc-max-age-1 and oidcc-max-age-10000 (OIDC Core 3.1.2.1 max_age, 2 auth_time)."""

from __future__ import annotations

import time

from tests.protocol._helpers import authorization_error, reauthenticate, signed_in, title
from tests.support.rp import StrictRP


def test_max_age_1_makes_the_user_log_in_again_and_advances_auth_time(rp, directory, client,
                                                                      user):
    first = signed_in(rp, user)
    time.sleep(2)
    again = StrictRP(directory, client, rp.agent)
    response = again.start(max_age="1")
    assert title(response).startswith("Log in"), "the login is older than max_age"
    tokens = again.exchange(reauthenticate(again, response, user)["code"])
    assert tokens["claims"]["auth_time"] > first["claims"]["auth_time"]
    assert tokens["claims"]["auth_time"] >= int(time.time()) - 5
    assert tokens["claims"]["sub"] == user.subject


def test_max_age_10000_reuses_the_session_and_its_auth_time(rp, directory, client, user):
    first = signed_in(rp, user)
    again = StrictRP(directory, client, rp.agent)
    params = again.response_params(again.start(max_age="10000"))  # no login page
    tokens = again.exchange(params["code"])
    # 3.1.2.1: with max_age, auth_time is REQUIRED (check_id_token checks it is there).
    assert tokens["claims"]["auth_time"] == first["claims"]["auth_time"]


def test_max_age_exceeded_with_prompt_none_is_login_required(rp, directory, client, user,
                                                             provider_clock):
    signed_in(rp, user)
    provider_clock(120)
    again = StrictRP(directory, client, rp.agent)
    params = authorization_error(again, again.start(max_age="60", prompt="none"))
    assert params["error"] == "login_required"


def test_max_age_0_is_like_prompt_login(rp, directory, client, user, provider_clock):
    first = signed_in(rp, user)
    provider_clock(2)
    again = StrictRP(directory, client, rp.agent)
    response = again.start(max_age="0")
    assert title(response).startswith("Log in")
    tokens = again.exchange(reauthenticate(again, response, user)["code"])
    assert tokens["claims"]["auth_time"] > first["claims"]["auth_time"]


def test_max_age_that_is_not_a_number_is_invalid_request(rp):
    params = authorization_error(rp, rp.start(max_age="soon"))
    assert params["error"] == "invalid_request"
