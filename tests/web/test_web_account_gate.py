"""Who reaches the account pages: a session at the directory's level, admins for admin pages."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.live import new_mobile
from tests.support.rp import StrictRP
from tests.web.helpers import assert_error_page, assert_sane, verify_by_email, verify_by_text


def test_the_profile_asks_for_a_login_at_the_required_level_and_returns_to_it(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/")
    assert page.url == f"{directory.issuer}/account/"
    assert page.title == "Your account"
    # The session now counts: the next page needs no login.
    again = Page(agent.get(f"{directory.issuer}/account/"))
    assert again.title == "Your account"


def test_a_password_alone_is_stepped_up_before_the_profile_opens(directory):
    user = directory.add_user(totp=True)
    agent = Agent(directory.live.url)
    page = Page(agent.get(f"{directory.issuer}/account/"))
    page = Page(agent.submit(page, "Log in", by_label={
        "Username or email": user.username, "Password": user.password}))
    assert page.title == "Choose how to verify"


def test_admin_pages_refuse_a_user_without_the_admin_role(directory):
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user)
    response = agent.get(f"{directory.issuer}/admin/settings")
    assert_error_page(response, 403, "access_denied")


def test_an_admin_reaches_the_admin_pages_and_sees_them_in_the_navigation(directory):
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, "/admin/users")
    assert page.title == "Users"
    links = [a.get_text(strip=True) for a in page.soup.select("header nav a")]
    assert {"Authentication", "Users", "Apps", "Audit log"} <= set(links)


def test_a_user_sees_no_admin_links(directory):
    user = directory.add_user(totp=True)
    _agent, page = open_account_page(directory, user)
    links = [a.get_text(strip=True) for a in page.soup.select("header nav a")]
    assert "Users" not in links and "Your account" in links


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/d/other/account/", "/\\evil.example",
    "/d/SLUG/account/\x00", "x" * 600])
def test_the_login_returns_only_to_a_page_of_the_same_directory(directory, target):
    user = directory.add_user(totp=True)
    agent = Agent(directory.live.url)
    page = Page(agent.get(f"{directory.issuer}/account/login",
                          params={"next": target.replace("SLUG", directory.slug)}))
    page = Page(agent.submit(page, "Log in", by_label={
        "Username or email": user.username, "Password": user.password}))
    form = Page(agent.get(page.link("Continue with authenticator app")))
    final = Page(agent.submit(form, "Verify", by_label={"Code": user.totp()}))
    assert_sane(final.response)
    assert urlparse(final.url).path == f"/d/{directory.slug}/account/"
    assert final.title == "Your account"


def test_a_callback_without_a_pending_login_is_refused(directory):
    agent = Agent(directory.live.url)
    response = agent.get(f"{directory.issuer}/account/callback?state=nope&code=x")
    assert_sane(response)
    assert response.status_code == 400
    assert Page(response).title == "Not logged in"


def test_a_cancelled_login_shows_why_and_offers_to_try_again(directory):
    agent = Agent(directory.live.url)
    page = Page(agent.get(f"{directory.issuer}/account/"))
    response = agent.submit(page, "Cancel")
    page = Page(response)
    assert response.status_code == 403 and page.title == "Not logged in"
    assert "You did not log in." in page.text


def test_the_account_client_id_cannot_be_registered(directory):
    from idp.tenants.clients import ClientError

    with pytest.raises(ClientError):
        directory.add_client("idp-account")


def test_changing_settings_needs_a_fresh_login(directory, provider_clock):
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, "/admin/settings")
    assert page.title == "Authentication settings"
    provider_clock(50 * 60)  # within the session's idle timeout, past the fresh-login time
    # Viewing other pages still works; an older login is not fresh enough for settings.
    assert Page(agent.get(f"{directory.issuer}/admin/users")).title == "Users"
    response = agent.get(f"{directory.issuer}/admin/settings")
    page = Page(response)
    assert (response.status_code, page.title) == (403, "Log in again")
    assert "log in again before you change how people sign in to this directory" in page.text
    _agent, page = open_account_page(directory, admin, "/admin/settings", agent=agent)
    assert page.title == "Authentication settings"


@pytest.mark.parametrize("referer, back", [("/admin/settings", "/admin/settings"),
                                           (None, "/account/"),
                                           ("https://elsewhere.example/admin/settings",
                                            "/account/")])
def test_a_form_refused_for_want_of_a_fresh_login_leads_back_to_its_page(
        directory, provider_clock, referer, back):
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, "/admin/settings")
    form, _button = page.form_with_button("Check these destinations")
    csrf = form.find("input", attrs={"name": "csrf_token"})["value"]
    provider_clock(50 * 60)  # past the fresh-login time
    headers = {"Referer": directory.issuer + referer if referer.startswith("/") else referer} \
        if referer else {}

    response = agent.http.post(f"{directory.issuer}/admin/settings/sms", timeout=30,
                               data={"csrf_token": csrf, "action": "preview"}, headers=headers,
                               allow_redirects=False)

    refusal = Page(response)
    assert (response.status_code, refusal.title) == (403, "Log in again")
    assert refusal.soup.find("input", attrs={"name": "next"})["value"] == \
        f"/d/{directory.slug}{back}"


def test_the_fresh_login_for_settings_is_not_met_by_fresh_codes_on_an_old_password(
        directory, gateway, mail, provider_clock):
    directory.set_levels(sms=15, email=15)  # an SMS and an email code alone make 30
    admin = directory.add_user(totp=True, admin=True, phone=new_mobile(), email_verified=True)
    agent, page = open_account_page(directory, admin, "/admin/settings")
    assert page.title == "Authentication settings"
    provider_clock(700)  # the password is older than IDP_FRESH_LOGIN_SECONDS (600)
    rp = StrictRP(directory, directory.add_client(), agent)
    step = Page(rp.start(acr_values="60"))
    response = verify_by_text(agent, step, admin.phone, gateway)
    rp.response_params(verify_by_email(agent, Page(response), admin.email, mail))

    page = Page(agent.get(f"{directory.issuer}/admin/settings"))
    assert page.title != "Authentication settings", "fresh codes do not replace the password"
    assert page.title.startswith("Log in")


@pytest.mark.parametrize("lang, text", [("en", "to continue to your account"),
                                        ("nl", "om verder te gaan naar uw account")])
def test_the_login_page_says_it_leads_to_the_account_in_the_pages_language(directory, lang,
                                                                            text):
    agent = Agent(directory.live.url)
    page = Page(agent.get(f"{directory.issuer}/account/?lang={lang}"))
    assert text in page.text
