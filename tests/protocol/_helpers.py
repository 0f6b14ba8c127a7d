"""Small steps shared by the protocol tests: whole logins and reading error answers."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlparse

import requests
from sqlalchemy import select

from idp.clock import now
from idp.services import services
from idp.storage import db
from idp.storage.models import User
from idp.tenants.directories import get_directory, session_lifetimes
from idp.tenants.keys import rotate_keys
from tests.support.agent import Page, past_codes_left
from tests.support.live import TestDirectory, TestUser
from tests.support.rp import StrictRP

TOTP_STEP = 30


def signed_in(rp: StrictRP, user: TestUser, **params: str | None) -> dict:
    """Sign the user in through the front channel and exchange the code; return the tokens."""
    response = rp.sign_in(user, **params)
    assert "code" in response, response
    return rp.exchange(response["code"])


def authorization_error(rp: StrictRP, response: requests.Response) -> dict[str, str]:
    """Check an error redirect to the RP (RFC 6749 4.1.2.1, RFC 9207) and return its query."""
    params = rp.response_params(response)
    assert "code" not in params, params
    assert "error" in params, params
    return params


def error_page(response: requests.Response, status: int = 400) -> str:
    """Check that the provider answered with an error page, not a redirect; return the code."""
    assert not response.is_redirect, response.headers.get("Location")
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/html")
    code = Page(response).soup.find(id="error-code")
    assert code is not None, response.text[:300]
    return code.get_text(strip=True)


def title(response: requests.Response) -> str:
    """Return the heading of the page the browser stopped at."""
    assert not response.is_redirect, response.headers.get("Location")
    return Page(response).title


def query(url: str) -> dict[str, str]:
    """Return the single-valued query parameters of a URL."""
    return {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}


def verify_totp_again(rp: StrictRP, response: requests.Response, user: TestUser,
                      window: int = 1) -> requests.Response:
    """Enter a code of a later TOTP window: a code already used is refused (RFC 6238 5.2)."""
    page = Page(response)
    assert page.title == "Choose how to verify", page.text[:300]
    form_page = Page(rp.agent.get(page.link("Continue with authenticator app")))
    return rp.agent.submit(form_page, "Verify",
                           by_label={"Code": user.totp(now() + window * TOTP_STEP)})


def reauthenticate(rp: StrictRP, response: requests.Response, user: TestUser) -> dict[str, str]:
    """Log in again with the password and a fresh TOTP code; return the authorization response."""
    assert title(response).startswith("Log in")
    response = rp.log_in(response, user)
    if not response.is_redirect:
        response = verify_totp_again(rp, response, user)
    return rp.response_params(response)


def jose_header(token: str) -> dict:
    """Return the decoded JOSE header of a compact JWS (RFC 7515 7.1)."""
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def issue_recovery_codes(directory: TestDirectory, user: TestUser) -> list[str]:
    """Give the user ten recovery codes, as enrolment does; return them."""
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        codes = services().methods["recovery"].issue(row, now())
        db.session.commit()
    return codes


def use_recovery_code(rp: StrictRP, response: requests.Response,
                      code: str) -> requests.Response:
    """Choose a recovery code on the step-up page and enter it."""
    page = Page(response)
    assert page.title == "Choose how to verify", page.text[:300]
    form_page = Page(rp.agent.get(page.link("Continue with recovery code")))
    return past_codes_left(rp.agent, rp.agent.submit(form_page, "Verify", by_label={"Code": code}))


def cancel_to_app(rp: StrictRP, response: requests.Response) -> requests.Response:
    """Press the page's way back to the app (cancel or "Continue back to the app")."""
    page = Page(response)
    for label in ("Continue back to the app", "Cancel"):
        try:
            return rp.agent.submit(page, label)
        except AssertionError:
            continue
    raise AssertionError(f"no way back to the app on {page.url}: {page.text[:300]}")


def rotate_signing_keys(directory: TestDirectory) -> float:
    """Do what `idp keys rotate --directory SLUG` does; return when the new keys sign."""
    with directory.live.app.app_context():
        svc = services()
        found = get_directory(directory.slug)
        policy = svc.key_rotation(session_lifetimes(found).absolute_seconds)
        rotate_keys(found.id, svc.sealer, now(), ahead=policy.ahead,
                    publish_for=policy.publish_for)
        db.session.commit()
        return policy.ahead
