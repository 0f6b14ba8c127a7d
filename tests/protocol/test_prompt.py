"""oidcc-prompt-none-not-logged-in, oidcc-prompt-none-logged-in, oidcc-prompt-login.

OIDC Core 3.1.2.1 (prompt) and 3.1.2.6 (login_required, interaction_required,
consent_required): prompt=none never shows a page.
"""

from __future__ import annotations

from tests.protocol._helpers import authorization_error, reauthenticate, signed_in, title
from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.web.helpers import verify_by_email, verify_by_text


def test_prompt_none_without_a_session_is_login_required(rp):
    response = rp.start(prompt="none")
    params = authorization_error(rp, response)  # checks iss (RFC 9207) and state
    assert params["error"] == "login_required"


def test_prompt_none_with_a_session_at_the_level_issues_a_code_without_a_page(
        rp, directory, client, user):
    first = signed_in(rp, user)
    again = StrictRP(directory, client, rp.agent)
    response = again.start(prompt="none")
    params = again.response_params(response)  # a redirect straight back: no page
    tokens = again.exchange(params["code"])
    assert tokens["claims"]["sub"] == user.subject
    assert tokens["claims"]["acr"] == "30"
    assert tokens["claims"]["auth_time"] == first["claims"]["auth_time"]


def test_prompt_none_below_the_requested_acr_is_interaction_required(rp, user):
    signed_in(rp, user)  # a session at 30
    params = authorization_error(rp, rp.start(prompt="none", acr_values="40"))
    assert params["error"] in ("interaction_required", "login_required")


def test_prompt_none_below_the_required_level_is_interaction_required(rp, user):
    # The user gave the password (20 points) and left before the second step.
    response = rp.log_in(rp.start(), user)
    assert title(response) == "Choose how to verify"
    params = authorization_error(rp, rp.start(prompt="none"))
    assert params["error"] in ("interaction_required", "login_required")


def test_prompt_none_for_a_client_without_consent_is_consent_required(directory, user):
    third_party = directory.add_client(first_party=False)
    first_party_rp = StrictRP(directory, directory.add_client())
    signed_in(first_party_rp, user)
    rp = StrictRP(directory, third_party, first_party_rp.agent)
    params = authorization_error(rp, rp.start(prompt="none"))
    assert params["error"] == "consent_required"


def test_prompt_none_with_another_value_is_invalid_request(rp, user):
    # 3.1.2.1: "If this parameter contains none with any other value, an error is returned."
    signed_in(rp, user)
    params = authorization_error(rp, rp.start(prompt="none login"))
    assert params["error"] == "invalid_request"


def test_prompt_login_asks_a_signed_in_user_to_log_in_again(rp, directory, client, user,
                                                            provider_clock):
    first = signed_in(rp, user)
    provider_clock(5)
    again = StrictRP(directory, client, rp.agent)
    response = again.start(prompt="login")
    assert title(response).startswith("Log in"), "the password is asked for again"
    tokens = again.exchange(reauthenticate(again, response, user)["code"])
    assert tokens["claims"]["sub"] == user.subject
    assert tokens["claims"]["auth_time"] > first["claims"]["auth_time"]
    assert tokens["claims"]["acr"] == "30"


def test_prompt_login_then_prompt_none_reuses_the_fresh_session(rp, directory, client, user,
                                                                provider_clock):
    signed_in(rp, user)
    provider_clock(5)
    fresh = StrictRP(directory, client, rp.agent)
    second = fresh.exchange(reauthenticate(fresh, fresh.start(prompt="login"), user)["code"])
    quiet = StrictRP(directory, client, rp.agent)
    third = quiet.exchange(quiet.response_params(quiet.start(prompt="none"))["code"])
    assert third["claims"]["auth_time"] == second["claims"]["auth_time"]


def test_codes_entered_after_a_prompt_login_began_do_not_replace_the_login(
        rp, directory, client, coded_user, gateway, mail, provider_clock):
    # 3.1.2.1 prompt=login: the user is re-authenticated, not merely stepped up elsewhere.
    signed_in(rp, coded_user)
    provider_clock(5)
    fresh = StrictRP(directory, client, rp.agent)
    login_page = Page(fresh.start(prompt="login"))
    assert login_page.title.startswith("Log in")
    # Meanwhile, in another tab of the same browser, an SMS and an email code (30 points).
    other = StrictRP(directory, client, rp.agent)
    page = Page(other.start(acr_values="60"))
    response = verify_by_text(other.agent, page, coded_user.phone, gateway)
    other.response_params(verify_by_email(other.agent, Page(response), coded_user.email, mail))

    back = rp.agent.get(login_page.url)
    assert title(back).startswith("Log in"), "the password is still asked for"
    params = fresh.response_params(fresh.log_in(back, coded_user))
    assert "pwd" in fresh.exchange(params["code"])["claims"]["amr"]
