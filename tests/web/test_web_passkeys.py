"""Passkeys over HTTP with a software authenticator: register, log in, step up, and forgeries."""

from __future__ import annotations

import json
from urllib.parse import urljoin

import pytest

from idp.storage import db
from idp.storage.models import AuditEvent, Passkey
from tests.support.agent import Agent, Page
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.support.soft_authenticator import SoftAuthenticator, b64url, malformed_variants


@pytest.fixture
def pk_directory(localhost_live):
    return new_directory(localhost_live)


@pytest.fixture
def client(pk_directory):
    return pk_directory.add_client()


def browser(directory, client) -> StrictRP:
    return StrictRP(directory, client, Agent(directory.live.url))


def passkey_form(page: Page):
    form = page.soup.find("form", attrs={"data-passkey": True})
    assert form is not None, page.text[:300]
    return form, json.loads(form["data-options"])


def post_credential(rp: StrictRP, page: Page, credential, **fields):
    form, _ = passkey_form(page)
    data = {"csrf_token": form.find("input", {"name": "csrf_token"})["value"],
            "challenge": form.find("input", {"name": "challenge"})["value"],
            "credential": credential if isinstance(credential, str) else json.dumps(credential),
            **fields}
    return rp.agent.follow(rp.agent.http.post(urljoin(page.url, form["action"]), data=data,
                                              allow_redirects=False, timeout=30))


def enrol(rp: StrictRP, user, authenticator: SoftAuthenticator, name: str = "My key") -> dict:
    """Log in with the password, create a passkey during login; return the ID token claims."""
    step = Page(rp.log_in(rp.start(), user))
    page = Page(rp.agent.get(step.link("Set up a passkey")))
    _, options = passkey_form(page)
    response = post_credential(rp, page, authenticator.register(options, rp.directory.live.url),
                               name=name)
    codes = Page(response)
    assert codes.title == "Save your recovery codes", codes.text[:300]
    response = rp.agent.submit(codes, "Continue")
    return rp.exchange(rp.response_params(response)["code"])["claims"]


def login_with_passkey(rp: StrictRP, authenticator: SoftAuthenticator, **forge):
    page = Page(rp.start())
    _, options = passkey_form(page)
    assert options["allowCredentials"] == []  # discoverable: no username asked
    return page, post_credential(rp, page, authenticator.assert_(options, rp.directory.live.url,
                                                                  **forge))


def refused(response) -> str:
    assert response.status_code == 400, response.text[:300]
    assert "Traceback" not in response.text
    return Page(response).soup.find(id="form-error").get_text(" ", strip=True)


@pytest.fixture
def enrolled(pk_directory, client):
    """A user who registered a passkey on a security key during login; (user, authenticator)."""
    user = pk_directory.add_user()
    authenticator = SoftAuthenticator("ES256")
    enrol(browser(pk_directory, client), user, authenticator)
    return user, authenticator


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_a_passkey_registered_during_login_counts_at_once(pk_directory, client, alg):
    user = pk_directory.add_user()

    claims = enrol(browser(pk_directory, client), user, SoftAuthenticator(alg))

    assert claims["acr"] == "50"  # password 20 + passkey 30: no acr asked, the level reached
    assert set(claims["amr"]) == {"pwd", "hwk", "user", "mfa"}


def test_a_passkey_alone_logs_in_without_a_username(pk_directory, client, enrolled):
    user, authenticator = enrolled
    rp = browser(pk_directory, client)

    _, response = login_with_passkey(rp, authenticator)

    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["sub"] == user.subject
    assert claims["acr"] == "30"
    assert set(claims["amr"]) == {"hwk", "user", "mfa"}


def test_a_synced_passkey_says_swk(pk_directory, client):
    user = pk_directory.add_user()
    authenticator = SoftAuthenticator("ES256", backup_eligible=True, backed_up=True,
                                      counter=False, attachment="platform")
    enrol(browser(pk_directory, client), user, authenticator)
    rp = browser(pk_directory, client)

    _, response = login_with_passkey(rp, authenticator)

    assert "swk" in rp.exchange(rp.response_params(response)["code"])["claims"]["amr"]


def test_a_passkey_on_top_of_a_password_reaches_50(pk_directory, client, enrolled):
    user, authenticator = enrolled
    rp = browser(pk_directory, client)
    step = Page(rp.log_in(rp.start(acr_values="50"), user))
    page = Page(rp.agent.get(step.link("Use a passkey or security key")))
    _, options = passkey_form(page)

    response = post_credential(rp, page, authenticator.assert_(options, pk_directory.live.url))

    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["acr"] == "50"
    assert [c["id"] for c in options["allowCredentials"]] == [authenticator.credentials[0].id_b64]


def test_a_passkey_login_that_needs_the_password_too_shows_the_login_form(pk_directory,
                                                                         client, enrolled):
    # passkey 30 + recovery code 10 cannot make 50: the password must come first, and the
    # step-up page has no password step (its link would answer 404).
    user, authenticator = enrolled
    rp = browser(pk_directory, client)
    page = Page(rp.start(acr_values="50"))
    _, options = passkey_form(page)
    response = post_credential(rp, page, authenticator.assert_(options, pk_directory.live.url))

    login = Page(response)
    assert login.title == "Log in", login.text[:300]
    assert not [a for a in login.soup.find_all("a", href=True) if "/method/" in a["href"]]
    claims = rp.exchange(rp.response_params(rp.log_in(response, user))["code"])["claims"]
    assert claims["acr"] == "50"
    assert {"pwd", "hwk"} <= set(claims["amr"])


def test_the_login_page_offers_passkey_autofill(pk_directory, client):
    page = Page(browser(pk_directory, client).start())

    assert page.soup.find(id="username")["autocomplete"] == "username webauthn"
    form, options = passkey_form(page)
    assert form.has_attr("data-conditional")
    assert options["rpId"] == "localhost" and options["userVerification"] == "required"


def test_registration_asks_for_a_discoverable_verified_key_of_the_accepted_algorithms(
        pk_directory, client):
    user = pk_directory.add_user()
    rp = browser(pk_directory, client)
    step = Page(rp.log_in(rp.start(), user))

    _, options = passkey_form(Page(rp.agent.get(step.link("Set up a passkey"))))

    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required" and selection["userVerification"] == "required"
    assert {p["alg"] for p in options["pubKeyCredParams"]} == {-7, -8, -257}
    assert options["attestation"] == "none"
    assert options["rp"]["id"] == "localhost"


# Forged and replayed responses: each refused with a message, no points.

LOGIN_FORGERIES = {
    "wrong origin": {"origin_override": "http://evil.example"},
    "wrong RP ID": {"rp_id_override": "evil.example", "skip_client_checks": True},
    "user not present": {"user_present": False},
    "user not verified": {"user_verified": False},
    "foreign challenge": {"challenge_override": b64url(b"\x01" * 32)},
    "bad signature": {"bad_signature": True},
    "registration type": {"type_override": "webauthn.create"},
    "cross-origin frame": {"client_data_extra": {"crossOrigin": True}},
    "another user's handle": {"user_handle_override": b"\x02" * 32},
    "no user handle": {"user_handle_override": None},
    "backup eligibility changed": {"backup_eligible": True},
}


@pytest.mark.parametrize("forge", LOGIN_FORGERIES.values(), ids=LOGIN_FORGERIES.keys())
def test_a_forged_assertion_logs_nobody_in(pk_directory, client, enrolled, forge):
    _, authenticator = enrolled
    rp = browser(pk_directory, client)

    _, response = login_with_passkey(rp, authenticator, **forge)

    assert refused(response)
    assert Page(response).title == "Log in"


def test_a_replayed_assertion_is_refused(pk_directory, client, enrolled):
    _, authenticator = enrolled
    rp = browser(pk_directory, client)
    page = Page(rp.start())
    _, options = passkey_form(page)
    assertion = authenticator.assert_(options, pk_directory.live.url)
    assert rp.response_params(post_credential(rp, page, assertion))["code"]
    again = Page(rp.start(prompt="login"))

    response = post_credential(rp, again, assertion)

    assert refused(response) == "This passkey could not be verified. Try again."


def test_a_challenge_of_another_browser_is_refused(pk_directory, client, enrolled):
    _, authenticator = enrolled
    victim, attacker = browser(pk_directory, client), browser(pk_directory, client)
    _, options = passkey_form(Page(victim.start()))
    page = Page(attacker.start())

    response = post_credential(attacker, page,
                               authenticator.assert_(options, pk_directory.live.url))

    assert refused(response)


def test_another_users_passkey_does_not_step_up_this_user(pk_directory, client, enrolled):
    _, other_key = enrolled
    user = pk_directory.add_user()
    mine = SoftAuthenticator()
    enrol(browser(pk_directory, client), user, mine)
    rp = browser(pk_directory, client)
    step = Page(rp.log_in(rp.start(acr_values="50"), user))
    page = Page(rp.agent.get(step.link("Use a passkey or security key")))
    _, options = passkey_form(page)
    theirs = other_key.credentials[0].id_b64

    response = post_credential(rp, page, other_key.assert_(
        {**options, "allowCredentials": [{"type": "public-key", "id": theirs}]},
        pk_directory.live.url))

    assert refused(response) == "This passkey does not belong to this account."


def test_a_counter_that_goes_back_is_refused_and_flagged_for_the_admin(
        pk_directory, client, enrolled, localhost_live):
    _, authenticator = enrolled
    copy = authenticator.clone()
    rp = browser(pk_directory, client)
    _, first = login_with_passkey(rp, authenticator)
    assert rp.response_params(first)["code"]

    _, response = login_with_passkey(browser(pk_directory, client), copy)

    assert "counter went back" in refused(response)
    with localhost_live.app.app_context():
        row = db.session.query(Passkey).filter_by(
            credential_id=authenticator.credentials[0].id_b64).one()
        assert row.clone_warning_at is not None
        assert db.session.query(AuditEvent).filter_by(
            event="passkey.clone_warning", user_id=row.user_id).count() == 1


def test_a_credential_id_registered_already_is_refused(pk_directory, client, enrolled):
    _, authenticator = enrolled
    user = pk_directory.add_user()
    rp = browser(pk_directory, client)
    page = Page(rp.agent.get(Page(rp.log_in(rp.start(), user)).link("Set up a passkey")))
    _, options = passkey_form(page)
    forged = SoftAuthenticator().register(
        options, pk_directory.live.url, credential_id_override=authenticator.credentials[0].id)

    response = post_credential(rp, page, forged, name="Copy")

    assert refused(response) == "This passkey is already registered."


REGISTRATION_FORGERIES = {
    "wrong origin": {"origin_override": "http://evil.example"},
    "wrong RP ID": {"rp_id_override": "evil.example", "skip_client_checks": True},
    "user not verified": {"user_verified": False},
    "user not present": {"user_present": False},
    "assertion type": {"type_override": "webauthn.get"},
    "foreign challenge": {"challenge_override": b64url(b"\x03" * 32)},
    "posted id is not the signed id": {"raw_id_override": b"\x04" * 16},
    "unusable key": {"cose_key_override": b"\xa1\x01\x02"},
}


@pytest.mark.parametrize("forge", REGISTRATION_FORGERIES.values(),
                         ids=REGISTRATION_FORGERIES.keys())
def test_a_forged_registration_adds_no_passkey(pk_directory, client, localhost_live, forge):
    user = pk_directory.add_user()
    rp = browser(pk_directory, client)
    page = Page(rp.agent.get(Page(rp.log_in(rp.start(), user)).link("Set up a passkey")))
    _, options = passkey_form(page)

    response = post_credential(rp, page, SoftAuthenticator().register(
        options, pk_directory.live.url, **forge))

    assert refused(response)
    with localhost_live.app.app_context():
        assert db.session.query(Passkey).filter_by(name="forged").count() == 0


def _variants():
    authenticator = SoftAuthenticator()
    options = {"challenge": b64url(b"\0" * 32), "rp": {"id": "localhost", "name": "x"},
               "user": {"id": b64url(b"u" * 32), "name": "u", "displayName": "u"},
               "pubKeyCredParams": [{"type": "public-key", "alg": -7}]}
    authenticator.register(options, "http://localhost:1")
    assertion = authenticator.assert_({"challenge": b64url(b"\0" * 32), "rpId": "localhost",
                                       "allowCredentials": []}, "http://localhost:1")
    return malformed_variants(assertion) + [
        ("not json", "{not json"), ("a list", "[]"), ("a number", "7"), ("empty", ""),
        ("huge", "x" * 20_000)]


@pytest.mark.parametrize(("name", "variant"), _variants(), ids=[n for n, _ in _variants()])
def test_malformed_passkey_answers_are_refused_with_a_message(pk_directory, client, name,
                                                              variant):
    rp = browser(pk_directory, client)
    page = Page(rp.start())

    response = post_credential(rp, page, variant if isinstance(variant, str)
                               else json.dumps(variant))

    if response.status_code == 413:  # beyond IDP_MAX_BODY_BYTES: refused before any parsing
        assert "Traceback" not in response.text
        return
    assert refused(response)
