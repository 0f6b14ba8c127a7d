"""Checks every answer of the provider must pass, and small steps the web tests share."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlparse

import requests

from tests.support.agent import Agent, Page
from tests.support.live import TestClient, TestDirectory, TestUser
from tests.support.rp import StrictRP


def assert_sane(response: requests.Response, *redirect_uris: str) -> None:
    """No server error, no stack trace, and a redirect only within the provider or to a
    registered redirect URI (given) with a query."""
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    assert "Traceback" not in response.text
    if response.is_redirect:
        target = urljoin(response.url, response.headers["Location"])
        provider = "{0.scheme}://{0.netloc}/".format(urlparse(response.url))
        assert target.startswith(provider) or any(
            target.startswith(uri + "?") for uri in redirect_uris), target


def assert_json_error(response: requests.Response, status: int,
                      *errors: str) -> dict:
    """A JSON error body with `error` (one of `errors` when given) and the status."""
    assert_sane(response)
    assert response.status_code == status, f"{response.status_code}: {response.text[:300]}"
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    if errors:
        assert body["error"] in errors, body
    return body


#: The headlines of error pages by their code (any other code: "Something is not right").
ERROR_HEADLINES = {
    "not_found": "Page not found",
    "interaction_expired": "This login has ended",
    "slow_down": "Too many attempts",
    "access_denied": "Not allowed",
    "temporarily_unavailable": "Temporarily unavailable",
    "server_error": "Something went wrong",
    "invalid_client": "Unknown app",
    "unauthorized_client": "This app may not sign you in",
}


def assert_error_page(response: requests.Response, status: int, error: str | None = None) -> Page:
    """An HTML error page for people, with the status and (when given) the error code."""
    assert_sane(response)
    assert not response.is_redirect, response.headers.get("Location")
    assert response.status_code == status, f"{response.status_code}: {response.text[:300]}"
    assert response.headers["Content-Type"].startswith("text/html")
    page = Page(response)
    code = page.soup.find(id="error-code")
    assert code is not None, page.text[:300]
    # The headline says in words what the code is (never the code itself).
    assert page.title == ERROR_HEADLINES.get(code.get_text(strip=True),
                                             "Something is not right"), page.text[:300]
    assert page.soup.find(id="way-back") is not None, page.text[:300]
    if error is not None:
        code = page.soup.find(id="error-code")
        assert code is not None and code.get_text(strip=True) == error, page.text[:300]
    return page


def redirect_query(response: requests.Response) -> dict[str, str]:
    """Return the query of a redirect's target."""
    assert response.is_redirect, f"{response.status_code}: {response.text[:300]}"
    query = parse_qs(urlparse(response.headers["Location"]).query, keep_blank_values=True)
    return {key: values[0] for key, values in query.items()}


def login_page(rp: StrictRP, **params: str | None) -> Page:
    """Start an authorization request and return the login page it shows."""
    response = rp.start(**params)
    page = Page(response)
    assert response.status_code == 200 and page.title.startswith("Log in"), page.text[:300]
    return page


def interaction_url(page: Page) -> str:
    """Return the URL of the pending login a page belongs to (/d/SLUG/i/UID)."""
    path = urlparse(page.url).path.split("/")
    index = path.index("i")
    return "{0.scheme}://{0.netloc}".format(urlparse(page.url)) + "/".join(path[:index + 2])


def password_step(rp: StrictRP, user: TestUser, **params: str | None) -> requests.Response:
    """Log in with the password; return where the browser stops."""
    return rp.log_in(rp.start(**params), user)


def session_cookie(agent: Agent, directory: TestDirectory) -> str | None:
    """Return the browser's session cookie of a directory."""
    return agent.http.cookies.get(f"idp-{directory.slug}")


def new_rp(directory: TestDirectory, client: TestClient) -> StrictRP:
    """A relying party driving a fresh browser."""
    return StrictRP(directory, client, Agent(directory.live.url))


def step_up_page(rp: StrictRP, user: TestUser, **params: str | None) -> Page:
    """Log in with the password and return the "Choose how to verify" page."""
    page = Page(password_step(rp, user, **params))
    assert page.title == "Choose how to verify", page.text[:300]
    return page


def set_up_page(rp: StrictRP, user: TestUser, **params: str | None) -> Page:
    """Log in with the password and return the "Set up a way to verify" page.

    It is the step-up page of a user with nothing left to choose (a password-only user):
    only ways to set up a method, no way to verify with one they have.
    """
    page = Page(password_step(rp, user, **params))
    assert page.title == "Set up a way to verify", page.text[:300]
    assert page.soup.find(attrs={"aria-label": "Ways to verify"}) is None, page.text[:300]
    return page


def enter_code(rp: StrictRP, page: Page, code: str, *, remember: bool = False,
               button: str = "Verify") -> requests.Response:
    """Type a one-time code (ticking "Remember this device" if asked) and press Verify."""
    fields = {page.field_name("Remember this device"): "yes"} if remember else None
    return rp.agent.submit(page, button, by_label={"Code": code}, fields=fields)


def masked_phone(phone: str) -> str:
    """Return a Dutch mobile number as pages show it: +31 6 •••• 5678."""
    return f"+31 6 \u2022\u2022\u2022\u2022 {phone[-4:]}"


def verify_by_text(agent: Agent, page: Page, phone: str, gateway) -> requests.Response:
    """On the step-up page, have a code texted to `phone` and enter it."""
    sent = Page(agent.submit(page, f"Text a code to {masked_phone(phone)}"))
    assert sent.title == "Enter the code we texted you", sent.text[:300]
    return agent.submit(sent, "Verify", by_label={"Code": gateway.last_code(phone)})


def verify_by_email(agent: Agent, page: Page, address: str, mail) -> requests.Response:
    """On the step-up page, have a code emailed to `address` and enter it."""
    sent = Page(agent.submit(page, "Email a code to"))
    assert sent.title == "Enter the code we emailed you", sent.text[:300]
    text = mail.wait_for(address).get_body(("plain",)).get_content()
    code = re.search(r"\b(\d{6})\b", text)
    assert code is not None, text
    return agent.submit(sent, "Verify", by_label={"Code": code.group(1)})
