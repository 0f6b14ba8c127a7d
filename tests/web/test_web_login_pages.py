"""The login page as people and screen readers meet it, and the browser session behind it."""

from __future__ import annotations

import requests

from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import interaction_url, login_page, session_cookie

WRONG = "The username or password is not right."


def _record(agent: Agent) -> list[requests.Response]:
    """Keep every response the browser receives, redirects included."""
    seen: list[requests.Response] = []
    agent.http.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response))
    return seen


def _set_cookies(responses: list[requests.Response], name: str) -> list[dict[str, str]]:
    """Return the Set-Cookie headers for `name`, as {attribute (lower case): value}."""
    found = []
    for response in responses:
        for header in response.raw.headers.getlist("Set-Cookie"):
            first, *attributes = [part.strip() for part in header.split(";")]
            cookie_name, _, value = first.partition("=")
            if cookie_name == name:
                parsed = {"value": value}
                for attribute in attributes:
                    key, _, attr_value = attribute.partition("=")
                    parsed[key.lower()] = attr_value
                found.append(parsed)
    return found


def test_the_login_form_is_labelled_for_people_and_screen_readers(directory):
    rp = StrictRP(directory, directory.add_client())

    page = login_page(rp)

    assert page.title == "Log in"
    assert page.field_name("Username or email") == "username"
    assert page.field_name("Password") == "password"
    password = page.soup.find(id=page.soup.find("label", string="Password")["for"])
    assert password["type"] == "password"
    assert password["autocomplete"] == "current-password"
    form, button = page.form_with_button("Log in")
    assert form["method"] == "post"
    assert form.find("input", {"name": "csrf_token"})["value"]
    for field in form.find_all("input"):
        if field.get("type") not in {"hidden", "submit"}:
            assert page.soup.find("label", attrs={"for": field["id"]}) is not None, field


def test_pages_cannot_be_framed_or_cached(directory):
    client = directory.add_client()
    user = directory.add_user()
    rp = StrictRP(directory, client)

    login = rp.start()
    step_up = rp.log_in(login, user)
    error = rp.agent.get(f"{directory.issuer}/i/unknown")

    for response in (login, step_up, error):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert [Page(r).title for r in (login, step_up, error)] == [
        "Log in", "Set up a way to verify", "This login has ended"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_clear_message(directory):
    client = directory.add_client()
    user = directory.add_user()
    rp = StrictRP(directory, client)

    answers = []
    for username, password in [(user.username, "not the password"),
                               ("nobody-" + user.username, "not the password"),
                               ("nobody@example.org", user.password)]:
        page = login_page(rp)
        answers.append(rp.agent.submit(page, "Log in", by_label={
            "Username or email": username, "Password": password}))

    for response in answers:
        assert response.status_code == 400
        page = Page(response)
        assert page.title == "Log in"
        assert page.soup.find(id="form-error").get_text(strip=True) == WRONG
        assert page.soup.find(id="password").get("value") in (None, "")
    assert len({Page(r).soup.find("form").get_text(" ", strip=True) for r in answers[1:]}) == 1


def test_logging_in_with_the_email_address_works_like_the_username(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client)
    page = login_page(rp)

    response = rp.agent.submit(page, "Log in", by_label={
        "Username or email": f"  {user.username.upper()}@Example.ORG ",
        "Password": user.password})
    params = rp.response_params(rp.verify_totp(response, user))

    assert rp.exchange(params["code"])["claims"]["sub"] == user.subject


def test_the_session_cookie_is_httponly_and_samesite_lax(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client)
    seen = _record(rp.agent)

    rp.sign_in(user)

    cookies = _set_cookies(seen, f"idp-{directory.slug}")
    assert len(cookies) >= 3, "set at the start and after each method"
    for cookie in cookies:
        assert "httponly" in cookie
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/"
        assert "domain" not in cookie
    csrf = _set_cookies(seen, "idp-csrf")
    assert csrf, "the CSRF cookie is set with the login form"
    for cookie in csrf:
        assert "httponly" in cookie and cookie["samesite"] == "Lax"


def test_the_session_cookie_changes_with_every_completed_method(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client)

    login = rp.start()
    anonymous = session_cookie(rp.agent, directory)
    step_up = rp.log_in(login, user)
    after_password = session_cookie(rp.agent, directory)
    rp.response_params(rp.verify_totp(step_up, user))
    after_totp = session_cookie(rp.agent, directory)

    assert anonymous and after_password and after_totp
    assert len({anonymous, after_password, after_totp}) == 3

    def silent_login(cookie: str) -> dict[str, str]:
        other = StrictRP(directory, client, Agent(directory.live.url))
        other.agent.http.cookies.set(f"idp-{directory.slug}", cookie)
        return other.response_params(other.start(prompt="none"))

    # A cookie seen before a step-up is worthless after it (no session fixation).
    assert silent_login(anonymous)["error"] == "login_required"
    assert silent_login(after_password)["error"] == "login_required"
    assert "code" in silent_login(after_totp)


def test_a_failed_attempt_changes_nothing_in_the_session(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client)
    page = login_page(rp)
    before = session_cookie(rp.agent, directory)

    rp.agent.submit(page, "Log in", by_label={"Username or email": user.username,
                                                 "Password": "wrong password"})

    assert session_cookie(rp.agent, directory) == before
    assert Page(rp.agent.get(interaction_url(page))).title == "Log in"
