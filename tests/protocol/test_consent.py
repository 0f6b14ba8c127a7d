"""Consent for clients that are not first-party (OIDC Core 3.1.2.4, prompt=consent 3.1.2.1)."""

from __future__ import annotations

import pytest

from tests.protocol._helpers import authorization_error, title
from tests.support.agent import Page
from tests.support.rp import StrictRP


@pytest.fixture
def third_party(directory):
    return directory.add_client(first_party=False)


def consent_page(rp: StrictRP, user, **params):
    response = rp.verify_totp(rp.log_in(rp.start(**params), user), user)
    assert title(response).startswith("Share your details with"), title(response)
    return response


def test_third_party_client_gets_a_code_after_the_user_allows(directory, third_party, user):
    rp = StrictRP(directory, third_party)
    response = rp.agent.submit(Page(consent_page(rp, user)), "Continue and allow")
    tokens = rp.exchange(rp.response_params(response)["code"])
    assert tokens["claims"]["sub"] == user.subject


def test_denied_consent_is_access_denied(directory, third_party, user):
    rp = StrictRP(directory, third_party)
    response = rp.agent.submit(Page(consent_page(rp, user)), "Deny")
    assert authorization_error(rp, response)["error"] == "access_denied"


def test_consent_is_remembered_for_the_same_scopes(directory, third_party, user):
    rp = StrictRP(directory, third_party)
    rp.agent.submit(Page(consent_page(rp, user)), "Continue and allow")
    again = StrictRP(directory, third_party, rp.agent)
    assert "code" in again.response_params(again.start(prompt="none"))


def test_prompt_consent_asks_again(directory, third_party, user):
    rp = StrictRP(directory, third_party)
    rp.agent.submit(Page(consent_page(rp, user)), "Continue and allow")
    again = StrictRP(directory, third_party, rp.agent)
    response = again.start(prompt="consent")
    assert title(response).startswith("Share your details with")
    response = again.agent.submit(Page(response), "Continue and allow")
    assert "code" in again.response_params(response)


def test_prompt_none_with_prompt_consent_is_refused(directory, third_party, user):
    rp = StrictRP(directory, third_party)
    rp.agent.submit(Page(consent_page(rp, user)), "Continue and allow")
    again = StrictRP(directory, third_party, rp.agent)
    assert authorization_error(again, again.start(prompt="none consent"))["error"] == \
        "invalid_request"


def test_a_wider_scope_needs_consent_again(directory, third_party, user):
    rp = StrictRP(directory, third_party)
    rp.agent.submit(Page(consent_page(rp, user, scope="openid")), "Continue and allow")
    again = StrictRP(directory, third_party, rp.agent)
    params = authorization_error(again, again.start(prompt="none", scope="openid email"))
    assert params["error"] == "consent_required"
