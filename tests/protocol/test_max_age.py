"""oidcc-max-age-1 and oidcc-max-age-10000 (OIDC Core 3.1.2.1 max_age, 2 auth_time).

max_age is met only when the method that identified the user is within it.
"""

from __future__ import annotations

import time

from idp.clock import now
from tests.protocol._helpers import authorization_error, reauthenticate, signed_in, title
from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.web.helpers import verify_by_email, verify_by_text


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


# The method that identified the user (the password, or a passkey used to log in) must
# itself be within max_age: fresh codes add points to a user it named, they do not name one.

#: How old the password is when the codes are entered, and the max_age it is beyond
#: (the strict RP allows 60 s of skew between the provider's clock and its own).
AGED, MAX_AGE = 45, "30"


def fresh_codes_on_an_old_password(rp, directory, client, user, gateway, mail, provider_clock,
                                   *, email: bool = True) -> None:
    """Log in (password + app), let the password age past MAX_AGE, then step up with fresh
    SMS (and email) codes in a request without max_age."""
    signed_in(rp, user)
    provider_clock(AGED)
    up = StrictRP(directory, client, rp.agent)
    page = Page(up.start(acr_values="60" if email else "45"))
    assert page.title == "Choose how to verify", page.text[:300]
    response = verify_by_text(up.agent, page, user.phone, gateway)
    if email:
        response = verify_by_email(up.agent, Page(response), user.email, mail)
    up.response_params(response)


def test_fresh_sms_and_email_codes_do_not_meet_max_age_without_the_password(
        rp, directory, client, coded_user, gateway, mail, provider_clock):
    fresh_codes_on_an_old_password(rp, directory, client, coded_user, gateway, mail,
                                   provider_clock)
    again = StrictRP(directory, client, rp.agent)
    response = again.start(max_age=MAX_AGE)
    assert title(response).startswith("Log in"), "the password is older than max_age"
    params = again.response_params(again.log_in(response, coded_user))
    claims = again.exchange(params["code"])["claims"]
    assert "pwd" in claims["amr"] and claims["auth_time"] >= int(now()) - 5


def test_fresh_codes_on_an_old_password_with_prompt_none_are_login_required(
        rp, directory, client, coded_user, gateway, mail, provider_clock):
    fresh_codes_on_an_old_password(rp, directory, client, coded_user, gateway, mail,
                                   provider_clock)
    quiet = StrictRP(directory, client, rp.agent)
    params = authorization_error(quiet, quiet.start(max_age=MAX_AGE, prompt="none"))
    assert params["error"] == "login_required"


def test_an_old_password_is_asked_on_the_login_form_never_offered_as_a_step(
        rp, directory, client, coded_user, gateway, mail, provider_clock):
    fresh_codes_on_an_old_password(rp, directory, client, coded_user, gateway, mail,
                                   provider_clock, email=False)
    again = StrictRP(directory, client, rp.agent)
    page = Page(again.start(max_age=MAX_AGE))
    assert page.title.startswith("Log in"), page.text[:300]
    assert not [a["href"] for a in page.soup.find_all("a", href=True)
                if a["href"].endswith("/method/password")]
