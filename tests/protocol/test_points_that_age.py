"""A method that counts for a limited time: once it has aged, the next login that needs the
level asks for that method again, and for nothing else; an aged password brings back the
login form."""

from __future__ import annotations

from tests.protocol._helpers import signed_in
from tests.support.agent import Page

MINUTES = 60


def test_an_aged_app_code_is_asked_for_again_without_the_password(directory, rp, user,
                                                                   provider_clock):
    directory.set_levels(counts_for={"totp": 10 * MINUTES})
    first = signed_in(rp, user)["claims"]
    assert first["acr"] == "30"

    provider_clock(5 * MINUTES)  # within its time: the session still reaches 30
    assert rp.start().is_redirect

    provider_clock(6 * MINUTES)  # the app's code is 11 minutes old now
    page = Page(rp.start())
    assert page.title == "Choose how to verify", page.text[:300]
    assert "20 of the 30 points" in page.soup.find(id="level").get_text()
    assert page.soup.find("input", attrs={"name": "password"}) is None
    again = rp.exchange(rp.response_params(rp.verify_totp(page.response, user))["code"])
    assert again["claims"]["acr"] == "30"
    assert again["claims"]["auth_time"] > first["auth_time"]  # the new step's, as always


def test_an_aged_password_brings_back_the_login_form(directory, rp, user, provider_clock):
    directory.set_levels(counts_for={"password": 10 * MINUTES})
    signed_in(rp, user)
    provider_clock(11 * MINUTES)
    page = Page(rp.start())
    assert page.title == "Log in", page.text[:300]


def test_methods_without_a_limit_count_for_the_whole_session(directory, rp, user,
                                                            provider_clock):
    directory.set_levels(counts_for={"sms": 10 * MINUTES})
    signed_in(rp, user)
    provider_clock(11 * MINUTES)
    assert rp.start().is_redirect
