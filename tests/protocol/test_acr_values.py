"""oidcc-ensure-request-with-acr-values-succeeds and the points-based acr rules.

acr_values (OIDC Core 3.1.2.1) are minimum levels; the directory's required level is a
floor; a level no combination of enabled methods reaches is refused with
unmet_authentication_requirements (OpenID Connect Unmet Authentication Requirements 1.0).
The acr asserted is the highest requested value the session meets (see PRODUCT.md).
"""

from __future__ import annotations

import json

import pytest

from tests.protocol._helpers import (
    authorization_error,
    cancel_to_app,
    issue_recovery_codes,
    signed_in,
    title,
    use_recovery_code,
)
from tests.support.rp import StrictRP

LEVELS = [str(level) for level in range(10, 101, 10)]
REACHABLE_WITH_PASSWORD_AND_TOTP = 30
REACHABLE_IN_DIRECTORY = 40  # password, TOTP, recovery code


@pytest.mark.parametrize("value", LEVELS)
def test_every_supported_acr_value_is_met_or_refused_as_unmet(rp, directory, user, value):
    # Nothing enrollable during login is on: the user has password and TOTP and cannot add
    # more; the directory's enabled methods (password, TOTP, recovery code) reach 40.
    directory.set_levels(sms=0, email=0, passkey=0, app=0)
    response = rp.start(acr_values=value)
    if int(value) > REACHABLE_IN_DIRECTORY:
        assert authorization_error(rp, response)["error"] == "unmet_authentication_requirements"
        return
    response = rp.log_in(response, user)
    if int(value) <= REACHABLE_WITH_PASSWORD_AND_TOTP:
        response = rp.verify_totp(response, user)
        tokens = rp.exchange(rp.response_params(response)["code"])
        assert tokens["claims"]["acr"] == value
        assert int(tokens["claims"]["acr"]) >= int(value)
        return
    # 20 + 10 points are all this user has: the page says so, and the RP is told.
    assert title(response) == "You cannot log in here yet"
    params = authorization_error(rp, cancel_to_app(rp, response))
    assert params["error"] == "unmet_authentication_requirements"


def test_acr_value_no_enabled_methods_can_reach_is_unmet_without_a_page(rp):
    # Default points add up to 100; 110 is out of reach for anyone.
    params = authorization_error(rp, rp.start(acr_values="110"))
    assert params["error"] == "unmet_authentication_requirements"


def test_acr_value_above_what_the_directorys_enabled_methods_reach_is_unmet(directory, rp):
    directory.set_levels(passkey=0, app=0, sms=0, email=0)  # password+totp+recovery: 40
    params = authorization_error(rp, rp.start(acr_values="50"))
    assert params["error"] == "unmet_authentication_requirements"


def test_required_level_is_a_floor_that_acr_values_cannot_lower(rp, user):
    response = rp.log_in(rp.start(acr_values="10"), user)
    assert title(response) == "Choose how to verify", "the password alone is not enough"
    tokens = rp.exchange(rp.response_params(rp.verify_totp(response, user))["code"])
    assert "otp" in tokens["claims"]["amr"] and "mfa" in tokens["claims"]["amr"]
    # The answer is the requested value the session meets (level 30 meets 10).
    assert tokens["claims"]["acr"] == "10"


def test_without_acr_values_the_acr_is_the_session_level(rp, user):
    assert signed_in(rp, user)["claims"]["acr"] == "30"


def test_acr_values_are_answered_with_the_highest_value_met(rp, user):
    assert signed_in(rp, user, acr_values="30 20 10")["claims"]["acr"] == "30"


def test_acr_values_that_are_not_levels_are_ignored(rp, user):
    # Voluntary values the OP does not support do not fail the request (3.1.2.1).
    assert signed_in(rp, user, acr_values="urn:example:loa:high")["claims"]["acr"] == "30"


def test_client_min_acr_raises_the_minimum(directory, user):
    codes = issue_recovery_codes(directory, user)
    rp = StrictRP(directory, directory.add_client(min_acr=40))
    response = rp.verify_totp(rp.log_in(rp.start(), user), user)
    assert title(response) == "Choose how to verify", "30 points are below the client's 40"
    tokens = rp.exchange(rp.response_params(use_recovery_code(rp, response, codes[0]))["code"])
    assert tokens["claims"]["acr"] == "40"
    assert set(tokens["claims"]["amr"]) == {"pwd", "otp", "mfa"}


def test_client_min_acr_beats_a_lower_acr_value(directory, user):
    rp = StrictRP(directory, directory.add_client(min_acr=40))
    signed_in(StrictRP(directory, directory.add_client(), rp.agent), user)  # a session at 30
    params = authorization_error(rp, rp.start(acr_values="30", prompt="none"))
    assert params["error"] in ("interaction_required", "login_required")


def test_step_up_from_30_to_40_asks_only_for_more(rp, directory, client, user):
    codes = issue_recovery_codes(directory, user)
    first = signed_in(rp, user)
    assert first["claims"]["acr"] == "30"
    again = StrictRP(directory, client, rp.agent)
    response = again.start(acr_values="40")
    assert title(response) == "Choose how to verify", "no new password, a step-up"
    tokens = again.exchange(again.response_params(
        use_recovery_code(again, response, codes[0]))["code"])
    assert tokens["claims"]["acr"] == "40"
    assert tokens["claims"]["sub"] == user.subject
    assert tokens["claims"]["auth_time"] >= first["claims"]["auth_time"]


def test_after_a_step_up_the_higher_level_needs_no_page(rp, directory, client, user):
    codes = issue_recovery_codes(directory, user)
    signed_in(rp, user)
    up = StrictRP(directory, client, rp.agent)
    up.exchange(up.response_params(use_recovery_code(up, up.start(acr_values="40"),
                                                     codes[0]))["code"])
    quiet = StrictRP(directory, client, rp.agent)
    params = quiet.response_params(quiet.start(acr_values="40", prompt="none"))
    assert quiet.exchange(params["code"])["claims"]["acr"] == "40"


def test_a_used_recovery_code_does_not_step_up_again(rp, directory, client, user):
    codes = issue_recovery_codes(directory, user)
    signed_in(rp, user)
    up = StrictRP(directory, client, rp.agent)
    up.response_params(use_recovery_code(up, up.start(acr_values="40"), codes[0]))
    second_browser = StrictRP(directory, client)
    response = second_browser.log_in(second_browser.start(acr_values="40"), user)
    assert title(response) == "Choose how to verify"
    refused = use_recovery_code(second_browser, response, codes[0])
    assert not refused.is_redirect and refused.status_code == 400


# Every value is treated the same way (OIDC Core 3.1.2.1 and 5.5.1.1, OpenID Connect Unmet
# Authentication Requirements 1.0): a value of ASCII digits is a level whatever its size or
# leading zeros; a level no combination of enabled methods reaches is refused, never dropped.

BEYOND_REACH = ["110", "200", "1001", "99999", "9" * 40, "0200", "000110"]


def acr_claims(value: str, *, essential: bool) -> str:
    return json.dumps({"id_token": {"acr": {"essential": essential, "values": [value]}}})


@pytest.mark.parametrize("value", BEYOND_REACH)
@pytest.mark.parametrize("how", ["acr_values", "voluntary claim", "essential claim"])
def test_a_level_beyond_reach_is_unmet_however_large_or_written(rp, value, how):
    # Default points add up to 100: none of these levels can be reached.
    params = {"acr_values": {"acr_values": value},
              "voluntary claim": {"claims": acr_claims(value, essential=False)},
              "essential claim": {"claims": acr_claims(value, essential=True)}}[how]
    error = authorization_error(rp, rp.start(**params))
    assert error["error"] == "unmet_authentication_requirements", error


@pytest.mark.parametrize("how", ["acr_values", "essential claim"])
def test_a_level_with_a_leading_zero_is_that_level_and_answered_as_written(
        rp, directory, user, how):
    codes = issue_recovery_codes(directory, user)
    params = {"acr_values": {"acr_values": "040"},
              "essential claim": {"claims": acr_claims("040", essential=True)}}[how]
    response = rp.verify_totp(rp.log_in(rp.start(**params), user), user)
    assert title(response) == "Choose how to verify", "30 points are below 040"
    tokens = rp.exchange(rp.response_params(use_recovery_code(rp, response, codes[0]))["code"])
    assert tokens["claims"]["acr"] == "040"


def test_a_level_written_longer_than_an_acr_is_answered_as_its_decimal(rp, user):
    # Stored and asserted as "30": the written "000000000030" is longer than an acr.
    assert signed_in(rp, user, acr_values="000000000030")["claims"]["acr"] == "30"


def test_the_lowest_level_named_is_the_minimum_beside_one_beyond_reach(rp, user):
    assert signed_in(rp, user, acr_values="30 1001")["claims"]["acr"] == "30"


@pytest.mark.parametrize("value", ["urn:example:loa:high", "1.5", "-30", "+40", "0x28",
                                   "\u0664\u0660", "40a"])
def test_a_value_that_is_not_a_level_is_ignored_and_the_login_holds_the_floor(rp, user,
                                                                              value):
    # Voluntary (3.1.2.1): the login goes on at the directory's level, and says so in acr.
    assert signed_in(rp, user, acr_values=value)["claims"]["acr"] == "30"
