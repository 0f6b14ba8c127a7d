"""The pages of a pending login under attack: unknown, expired and foreign interactions,
missing CSRF tokens, methods that do not exist, oversized and odd form values."""

from __future__ import annotations

import pytest

from idp.clock import now
from idp.storage import db
from idp.storage.models import Interaction
from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import assert_error_page, assert_sane, interaction_url, login_page


@pytest.fixture
def rp(shared_directory, shared_client):
    return StrictRP(shared_directory, shared_client)


def _csrf(page: Page) -> str:
    return page.soup.find("input", {"name": "csrf_token"})["value"]


def _post(agent: Agent, url: str, data: dict):
    response = agent.http.post(url, data=data, allow_redirects=False, timeout=30)
    assert_sane(response)
    return response


UIDS = {
    "unknown": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "very long": "x" * 5000,
    "nul": "a%00b",
    "dots": "..",
    "encoded slash": "..%2F..%2Fjwks",
    "unicode": "%C3%A9",
    "not utf-8": "%FF",
    "sql-ish": "x'%20OR%20'1'='1",
}


@pytest.mark.parametrize("uid", UIDS.values(), ids=UIDS.keys())
def test_an_unknown_interaction_is_an_error_page(shared_directory, uid):
    agent = Agent(shared_directory.live.url)

    response = agent.get(f"{shared_directory.issuer}/i/{uid}")

    assert_sane(response)
    assert response.status_code in {400, 404}
    assert_error_page(response, response.status_code)


@pytest.mark.parametrize("uid", ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "a%00b", "x" * 500])
def test_posting_to_an_unknown_interaction_is_an_error_page(rp, uid):
    page = login_page(rp)

    response = _post(rp.agent, f"{rp.directory.issuer}/i/{uid}/login",
                     {"csrf_token": _csrf(page), "username": "a\x00b", "password": "x" * 10})

    assert_error_page(response, 400, "interaction_expired")


def test_an_expired_interaction_is_an_error_page(rp, shared_user):
    page = login_page(rp)
    url = interaction_url(page)
    with rp.directory.live.app.app_context():
        row = db.session.get(Interaction, url.rsplit("/", 1)[-1])
        row.expires_at = now() - 1
        db.session.commit()

    assert_error_page(rp.agent.get(url), 400, "interaction_expired")
    response = rp.agent.submit(page, "Log in", by_label={
        "Username or email": shared_user.username, "Password": shared_user.password})
    assert_error_page(response, 400, "interaction_expired")


@pytest.mark.parametrize("token", [None, "", "garbage", "x" * 5000])
def test_posting_without_a_valid_csrf_token_is_refused(rp, shared_user, token):
    page = login_page(rp)
    data = {"username": shared_user.username, "password": shared_user.password}
    if token is not None:
        data["csrf_token"] = token

    response = _post(rp.agent, f"{interaction_url(page)}/login", data)

    assert_error_page(response, 400)
    assert "expired" in Page(response).text
    again = Page(rp.agent.get(interaction_url(page)))
    assert again.title == "Log in", "the refused post logged nobody in"


def test_a_csrf_token_of_another_browser_is_refused(rp, shared_user):
    page = login_page(rp)
    stranger = Agent(rp.directory.live.url)

    response = _post(stranger, f"{interaction_url(page)}/login", {
        "csrf_token": _csrf(page), "username": shared_user.username,
        "password": shared_user.password})

    assert_error_page(response, 400)


def test_an_interaction_is_bound_to_the_browser_that_started_it(rp, shared_directory,
                                                                shared_client, shared_user):
    victim_page = login_page(rp)
    attacker = StrictRP(shared_directory, shared_client)
    attacker_page = login_page(attacker)
    url = interaction_url(victim_page)

    seen = attacker.agent.get(url)
    posted = _post(attacker.agent, f"{url}/login", {
        "csrf_token": _csrf(attacker_page), "username": shared_user.username,
        "password": shared_user.password})
    cancelled = _post(attacker.agent, f"{url}/cancel", {"csrf_token": _csrf(attacker_page)})

    assert_error_page(seen, 400, "interaction_expired")
    assert_error_page(posted, 400, "interaction_expired")
    assert_error_page(cancelled, 400, "interaction_expired")
    # The victim's login is untouched and goes on.
    response = rp.log_in(rp.agent.get(url), shared_user)
    assert Page(response).title == "Choose how to verify"


@pytest.fixture
def at_step_up(rp, shared_user):
    """A browser that has given the password and stands on the step-up page."""
    response = rp.log_in(rp.start(), shared_user)
    page = Page(response)
    assert page.title == "Choose how to verify", page.text[:300]
    return rp, page


@pytest.mark.parametrize("path", ["method/nope", "method/password", "method/device",
                                  "method/fax", "method/..", "enrol/nope", "enrol/recovery",
                                  "enrol/password", "method/" + "m" * 3000])
def test_a_method_that_does_not_exist_is_a_404(at_step_up, path):
    rp, page = at_step_up

    response = rp.agent.get(f"{interaction_url(page)}/{path}")

    assert_sane(response)
    assert response.status_code == 404, response.text[:300]


@pytest.mark.parametrize("name", ["nope", "password"])
def test_posting_to_a_method_that_does_not_exist_is_a_404(at_step_up, name):
    rp, page = at_step_up

    response = _post(rp.agent, f"{interaction_url(page)}/method/{name}",
                     {"csrf_token": _csrf(page), "code": "123456"})

    assert response.status_code == 404


def test_a_method_page_before_the_password_is_refused(rp):
    page = login_page(rp)

    response = rp.agent.get(f"{interaction_url(page)}/method/totp")

    assert_error_page(response, 400, "interaction_expired")


CODES = {
    "letters": "abcdef",
    "arabic digits": "١٢٣٤٥٦",
    "too long": "1" * 70,
    "nul": "\x00" * 6,
    "html": "<script>alert(1)</script>",
    "empty": "",
}


@pytest.mark.parametrize("code", CODES.values(), ids=CODES.keys())
def test_odd_totp_codes_get_the_form_again_with_a_message(at_step_up, code):
    rp, page = at_step_up
    form = Page(rp.agent.get(page.link("Continue with authenticator app")))

    response = rp.agent.submit(form, "Verify", by_label={"Code": code})

    assert_sane(response)
    assert response.status_code == 400
    again = Page(response)
    assert again.title == "Enter the code from your authenticator app"
    assert again.soup.find(id="form-error") is not None
    assert "<script>alert(1)</script>" not in response.text


def test_a_form_over_64_kib_gets_413(at_step_up):
    rp, page = at_step_up

    response = _post(rp.agent, f"{interaction_url(page)}/method/totp",
                     {"csrf_token": _csrf(page), "code": "1" * (65 * 1024)})

    assert_error_page(response, 413)


LOGINS = {
    "very long username": ("u" * 300, "p" * 20),
    "very long password": ("someone", "p" * 2000),
    "nul in username": ("a\x00b", "p" * 20),
    "nul in password": ("someone", "p\x00" * 10),
    "unicode": ("ünïcødé", "pässwörd€€"),
    "whitespace": ("   ", "   "),
    "empty": ("", ""),
}


@pytest.mark.parametrize("login", LOGINS.values(), ids=LOGINS.keys())
def test_odd_logins_get_the_login_form_again(rp, login):
    page = login_page(rp)

    response = rp.agent.submit(page, "Log in", by_label={
        "Username or email": login[0], "Password": login[1]})

    assert_sane(response)
    assert response.status_code == 400
    again = Page(response)
    assert again.title.startswith("Log in")
    assert again.soup.find(id="form-error") is not None


def test_a_login_posted_as_json_is_refused(rp, shared_user):
    page = login_page(rp)

    response = rp.agent.http.post(f"{interaction_url(page)}/login", timeout=30,
                                  allow_redirects=False,
                                  json={"username": shared_user.username,
                                        "password": shared_user.password})

    assert_error_page(response, 400)


def test_a_finished_interaction_answers_only_its_own_browser_and_never_the_same_code(
        rp, shared_directory, shared_client, shared_user):
    page = login_page(rp)
    url = interaction_url(page)
    first = rp.response_params(rp.verify_totp(rp.log_in(rp.agent.get(url), shared_user),
                                              shared_user))["code"]

    # The same browser (another tab) is answered as a new request would be: a new code.
    again = rp.response_params(rp.agent.get(url))["code"]
    assert again != first
    assert rp.exchange(first)["claims"]["sub"] == rp.exchange(again)["claims"]["sub"]
    # Another browser is refused, as before.
    stranger = StrictRP(shared_directory, shared_client)
    login_page(stranger)
    assert_error_page(stranger.agent.get(url), 400, "interaction_expired")
