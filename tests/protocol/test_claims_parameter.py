"""oidcc-claims-essential and the essential acr claim (OIDC Core 5.5, 5.5.1.1).

An essential acr request is always answered with one of its values, or the login fails:
never a token with a lower acr.
"""

from __future__ import annotations

import json

from tests.protocol._helpers import (
    authorization_error,
    cancel_to_app,
    issue_recovery_codes,
    signed_in,
    title,
    use_recovery_code,
)
from tests.support.rp import StrictRP


def essential_acr(*values: str) -> str:
    return json.dumps({"id_token": {"acr": {"essential": True, "values": list(values)}}})


def test_essential_acr_is_answered_with_one_of_its_values(rp, user):
    claims = signed_in(rp, user, claims=essential_acr("30", "40"))["claims"]
    assert claims["acr"] in ("30", "40")


def test_essential_acr_single_value(rp, user):
    claims_request = json.dumps({"id_token": {"acr": {"essential": True, "value": "30"}}})
    assert signed_in(rp, user, claims=claims_request)["claims"]["acr"] == "30"


def test_essential_acr_above_the_session_with_prompt_none_is_an_error(rp, directory, client,
                                                                      user):
    signed_in(rp, user)  # a session at 30
    again = StrictRP(directory, client, rp.agent)
    params = authorization_error(again, again.start(prompt="none", claims=essential_acr("40")))
    assert params["error"] in ("interaction_required", "login_required",
                               "unmet_authentication_requirements")


def test_essential_acr_the_user_cannot_reach_fails_the_login(rp, directory, user):
    directory.set_levels(sms=0, email=0, passkey=0, app=0)  # nothing more to enrol
    response = rp.log_in(rp.start(claims=essential_acr("40", "50")), user)
    assert title(response) == "You cannot log in here yet"
    params = authorization_error(rp, cancel_to_app(rp, response))
    assert params["error"] == "unmet_authentication_requirements"


def test_essential_acr_reached_by_step_up(rp, directory, user):
    codes = issue_recovery_codes(directory, user)
    response = rp.verify_totp(rp.log_in(rp.start(claims=essential_acr("40")), user), user)
    response = use_recovery_code(rp, response, codes[0])
    assert rp.exchange(rp.response_params(response)["code"])["claims"]["acr"] == "40"


def test_essential_acr_of_unsupported_values_is_unmet(rp):
    params = authorization_error(rp, rp.start(claims=essential_acr("urn:example:loa:high")))
    assert params["error"] == "unmet_authentication_requirements"


def test_claims_request_values_take_precedence_over_acr_values(rp, user):
    claims = signed_in(rp, user, acr_values="10", claims=essential_acr("30"))["claims"]
    assert claims["acr"] == "30"


def test_voluntary_acr_claim_request_gets_an_acr(rp, user):
    claims_request = json.dumps({"id_token": {"acr": None}})
    assert signed_in(rp, user, claims=claims_request)["claims"]["acr"] == "30"


def test_claims_parameter_that_is_not_json_is_invalid_request(rp):
    params = authorization_error(rp, rp.start(claims="{not json"))
    assert params["error"] == "invalid_request"


def test_claims_parameter_that_is_not_an_object_is_invalid_request(rp):
    params = authorization_error(rp, rp.start(claims='["acr"]'))
    assert params["error"] == "invalid_request"


def test_malformed_acr_claim_request_is_invalid_request(rp):
    claims_request = json.dumps({"id_token": {"acr": {"essential": "yes", "values": ["30"]}}})
    params = authorization_error(rp, rp.start(claims=claims_request))
    assert params["error"] == "invalid_request"
