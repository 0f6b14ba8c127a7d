"""App approval end to end: activation, number matching with a PIN, denial, and every refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clients.authenticator.api import ApiError, AuthenticatorApp
from clients.authenticator.keys import DeviceKey
from idp.storage import db
from idp.storage.models import AuditEvent, User
from idp.tenants.directories import get_directory
from tests.protocol._helpers import issue_recovery_codes
from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.web.helpers import interaction_url, set_up_page, step_up_page

PIN = "58213"


def activation_page(rp: StrictRP, user) -> Page:
    """Open the app's set-up during login and ask for an activation code; return the page."""
    page = Page(rp.agent.get(set_up_page(rp, user).link("Set up app approval")))
    assert page.title == "Set up the app", page.text[:300]
    page = Page(rp.agent.submit(page, "Get an activation code"))
    assert page.soup.find(id="activation-code") is not None, page.text[:300]
    return page


def activate(rp: StrictRP, user, name: str = "Test phone") -> tuple[AuthenticatorApp, Page]:
    """Activate an app for the user during login; return it and the page after activation."""
    page = activation_page(rp, user)
    code = page.soup.find(id="activation-code").get_text()
    app = AuthenticatorApp()
    app.activate(rp.directory.issuer, code, name, PIN)
    return app, page


def shown_number(page: Page) -> int:
    return int(page.soup.select_one(".match-number").get_text())


def approve_in_app(app: AuthenticatorApp, number: int, pin: str = PIN) -> dict:
    [pending] = app.pending()
    return app.approve(pending["id"], number, pin)


@pytest.fixture
def rp(directory):
    return StrictRP(directory, directory.add_client())


def set_up_app(rp: StrictRP, user) -> AuthenticatorApp:
    """Activate the app during the user's login and approve it once; return the app."""
    app, page = activate(rp, user)
    waiting = Page(rp.agent.submit(page, "I activated the app"))
    approve_in_app(app, shown_number(waiting))
    codes = Page(rp.agent.submit(waiting, "Continue"))
    rp.response_params(rp.agent.submit(codes, "Continue"))
    return app


@pytest.fixture
def with_app(directory, rp):
    """A user who activated the app and approved once during login; (user, app)."""
    user = directory.add_user()
    return user, set_up_app(rp, user)


def ask_app(rp: StrictRP, user, **params) -> Page:
    page = Page(rp.agent.submit(step_up_page(rp, user, **params), "Approve in the app"))
    assert page.title == "Approve in the app", page.text[:300]
    return page


def test_activating_the_app_during_login_and_approving_reaches_level_30(directory, rp):
    user = directory.add_user()
    app, page = activate(rp, user)
    assert app.state.username == user.username

    waiting = Page(rp.agent.submit(page, "I activated the app"))
    [pending] = app.pending()
    assert shown_number(waiting) in pending["choices"] and len(pending["choices"]) == 3
    app.approve(pending["id"], shown_number(waiting), PIN)
    codes = Page(rp.agent.submit(waiting, "Continue"))
    response = rp.agent.submit(codes, "Continue")

    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["acr"] == "30"
    assert set(claims["amr"]) == {"pwd", "pop", "pin", "mfa"}


def test_the_activation_page_offers_a_qr_code_a_link_and_a_typed_code(directory, rp):
    page = activation_page(rp, directory.add_user())

    assert page.soup.select_one(".qr svg") is not None
    assert "/app/activate?code=" in page.soup.find(id="activation-link")["href"]
    assert len(page.soup.find(id="activation-code").get_text().replace("-", "")) == 10


def test_the_app_shows_what_is_being_approved(directory, rp, with_app):
    user, app = with_app
    browser = StrictRP(directory, rp.client)
    browser.agent.http.headers["User-Agent"] = "Firefox/128"
    ask_app(browser, user)

    [pending] = app.pending()

    assert pending["directory"] == f"Test {directory.slug}"
    assert pending["accent"] == "#1a56a6" and "logo" not in pending
    assert pending["client"] and pending["ip"] == "127.0.0.1"
    assert pending["user_agent"] == "Firefox/128"
    assert pending["expires_at"] - pending["created_at"] == 120


def test_an_approved_login_with_the_app_completes(directory, rp, with_app):
    user, app = with_app
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, user)
    approve_in_app(app, shown_number(page))

    response = browser.agent.submit(Page(browser.agent.get(page.url)), "Continue")

    assert browser.response_params(response)["code"]


def test_a_wrong_number_stops_the_approval(directory, rp, with_app):
    user, app = with_app
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, user)
    [pending] = app.pending()
    wrong = next(c for c in pending["choices"] if c != shown_number(page))

    with pytest.raises(ApiError) as info:
        app.approve(pending["id"], wrong, PIN)
    response = browser.agent.submit(page, "Continue")

    assert (info.value.status, info.value.error) == (400, "wrong_number")
    assert "not the one shown here" in Page(response).text
    with directory.live.app.app_context():
        subject = db.session.scalars(select(User.id).where(User.subject == user.subject)).one()
        refused = db.session.query(AuditEvent).filter_by(event="app.refused",
                                                         user_id=subject).all()
    assert [e.detail.get("device") for e in refused] == ["Test phone"]


def test_ten_wrong_pins_in_a_row_block_the_app(directory, rp, with_app):
    user, app = with_app
    page = ask_app(StrictRP(directory, rp.client), user)
    [pending] = app.pending()
    left = []
    for _ in range(9):
        with pytest.raises(ApiError) as info:
            app.approve(pending["id"], shown_number(page), "90417")
        left.append((info.value.error, info.value.body["attempts_left"]))

    with pytest.raises(ApiError) as tenth:
        app.approve(pending["id"], shown_number(page), "90417")

    assert left == [("wrong_pin", n) for n in range(9, 0, -1)]
    assert (tenth.value.status, tenth.value.error) == (403, "device_blocked")
    with pytest.raises(ApiError) as info:
        app.pending()
    assert info.value.error == "device_blocked"
    assert "Approve in the app" not in step_up_page(StrictRP(directory, rp.client), user).text


def test_the_right_pin_resets_the_count_of_wrong_ones(directory, rp, with_app):
    user, app = with_app
    page = ask_app(StrictRP(directory, rp.client), user)
    [pending] = app.pending()
    for _ in range(5):
        with pytest.raises(ApiError):
            app.approve(pending["id"], shown_number(page), "90417")
    app.approve(pending["id"], shown_number(page), PIN)
    page = ask_app(StrictRP(directory, rp.client), user)
    [pending] = app.pending()

    with pytest.raises(ApiError) as info:
        app.approve(pending["id"], shown_number(page), "90417")

    assert info.value.body["attempts_left"] == 9


def test_a_replayed_signed_request_is_refused(with_app):
    _, app = with_app
    nonce = app.nonce()
    assert app.signed("GET", "/app/approvals", nonce=nonce).status_code == 200

    again = app.signed("GET", "/app/approvals", nonce=nonce)

    assert (again.status_code, again.json()["error"]) == (401, "invalid_signature")


def test_a_request_signed_with_another_key_is_refused(with_app):
    _, app = with_app

    response = app.signed("GET", "/app/approvals", key=DeviceKey.generate())

    assert (response.status_code, response.json()["error"]) == (401, "invalid_signature")


def test_an_unsigned_request_is_refused(with_app):
    _, app = with_app

    response = app.signed("GET", "/app/approvals", headers={"X-Signature": None})

    assert (response.status_code, response.json()["error"]) == (401, "invalid_signature")


def test_a_removed_app_can_do_nothing(with_app):
    _, app = with_app
    state = app.state
    app.remove()
    app.state = state

    with pytest.raises(ApiError) as info:
        app.pending()

    assert (info.value.status, info.value.error) == (404, "unknown_device")


def test_malformed_json_is_refused_with_a_clear_error(with_app):
    _, app = with_app

    response = app.signed("POST", "/app/approvals/whatever", body=b"{not json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_another_users_app_cannot_approve_this_login(directory, rp, with_app):
    user, _ = with_app
    other_user = directory.add_user()
    other_app, page = activate(StrictRP(directory, rp.client), other_user, "Other phone")
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, user)
    approval_id = with_app[1].pending()[0]["id"]

    with pytest.raises(ApiError) as info:
        other_app.approve(approval_id, shown_number(page), PIN)

    assert (info.value.status, info.value.error) == (404, "not_found")
    assert other_app.pending() == []


def test_an_expired_approval_cannot_be_answered(directory, rp, with_app, provider_clock):
    user, app = with_app
    page = ask_app(StrictRP(directory, rp.client), user)
    [pending] = app.pending()
    provider_clock(121)

    response = app.signed("POST", f"/app/approvals/{pending['id']}",
                          body={"decision": "approve", "number": shown_number(page), "pin": PIN})

    assert (response.status_code, response.json()["error"]) == (410, "expired")


def test_an_approval_is_answered_once(directory, rp, with_app):
    user, app = with_app
    page = ask_app(StrictRP(directory, rp.client), user)
    [pending] = app.pending()
    app.approve(pending["id"], shown_number(page), PIN)

    with pytest.raises(ApiError) as info:
        app.approve(pending["id"], shown_number(page), PIN)

    assert (info.value.status, info.value.error) == (409, "already_decided")


def test_this_wasnt_me_ends_the_login_and_is_audited(directory, rp, app, with_app):
    user, phone = with_app
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, user)
    [pending] = phone.pending()
    phone.deny(pending["id"])

    response = browser.agent.submit(Page(browser.agent.get(page.url)), "Back to the app")

    assert browser.response_params(response)["error"] == "access_denied"
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(event="login.denied").count() >= 1


def stored_id(app, user) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.subject == user.subject)).one()


def login_denied_events(app, directory) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.event == "login.denied",
            AuditEvent.directory_id == get_directory(directory.slug).id)))


def test_this_wasnt_me_ends_the_login_at_once_whatever_the_browser_does_next(
        directory, rp, app, with_app):
    user, phone = with_app
    [code, *_] = issue_recovery_codes(directory, user)
    browser = StrictRP(directory, rp.client)  # holds the password: it may be an attacker's
    page = ask_app(browser, user)
    other_way = Page(browser.agent.get(page.url.replace("/method/app", "/method/recovery")))
    assert other_way.title == "Enter a recovery code", other_way.text[:300]
    [pending] = phone.pending()

    phone.deny(pending["id"])

    # Audited when the app answered, with where the browser was, before it does anything.
    [denied] = login_denied_events(app, directory)
    assert denied.user_id == stored_id(app, user) and denied.ip == "127.0.0.1"
    assert denied.detail["method"] == "app"
    # Another method, even with a right answer, gets the end of the login: access_denied.
    response = browser.agent.submit(other_way, "Verify", by_label={"Code": code})
    assert browser.response_params(response)["error"] == "access_denied"
    ended = Page(browser.agent.get(interaction_url(page)))
    assert ended.title == "This login has ended", ended.text[:300]
    assert len(login_denied_events(app, directory)) == 1


def test_after_this_wasnt_me_choosing_another_way_answers_the_app_with_access_denied(
        directory, rp, app, with_app):
    user, phone = with_app
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, user)
    [pending] = phone.pending()
    phone.deny(pending["id"])

    response = browser.agent.get(interaction_url(page))  # "Choose another way"

    assert browser.response_params(response)["error"] == "access_denied"


def test_the_app_page_still_says_why_after_this_wasnt_me(directory, rp, with_app):
    user, phone = with_app
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, user)
    [pending] = phone.pending()
    phone.deny(pending["id"])

    again = Page(browser.agent.get(page.url))

    assert again.status == 200, again.text[:300]
    assert "The app said this login was not you" in again.text
    response = browser.agent.submit(again, "Back to the app")
    assert browser.response_params(response)["error"] == "access_denied"


def test_a_new_login_after_this_wasnt_me_is_not_refused(directory, rp, with_app):
    user, phone = with_app
    browser = StrictRP(directory, rp.client)
    page = ask_app(browser, user)
    [pending] = phone.pending()
    phone.deny(pending["id"])
    browser.response_params(browser.agent.get(interaction_url(page)))

    # It was them after all: they start again from the app, in the same browser (whose
    # session still holds their password).
    again = Page(browser.start())

    assert again.title == "Choose how to verify", again.text[:300]
    assert again.link("Continue with recovery code")


@pytest.mark.parametrize("pin", ["11111", "12345", "54321", "1234", "abcde"])
def test_weak_or_malformed_pins_are_refused_at_activation(directory, rp, pin):
    page = activation_page(rp, directory.add_user())
    code = page.soup.find(id="activation-code").get_text()

    with pytest.raises(ApiError) as info:
        AuthenticatorApp().activate(directory.issuer, code, "Phone", pin)

    assert info.value.error in ("weak_pin", "invalid_request")


def test_an_activation_code_works_once(directory, rp):
    page = activation_page(rp, directory.add_user())
    code = page.soup.find(id="activation-code").get_text()
    AuthenticatorApp().activate(directory.issuer, code, "Phone", PIN)

    with pytest.raises(ApiError) as info:
        AuthenticatorApp().activate(directory.issuer, code, "Second phone", PIN)

    assert info.value.error == "invalid_code"


def test_an_activation_code_expires_after_ten_minutes(directory, rp, provider_clock):
    page = activation_page(rp, directory.add_user())
    code = page.soup.find(id="activation-code").get_text()
    provider_clock(601)

    with pytest.raises(ApiError) as info:
        AuthenticatorApp().activate(directory.issuer, code, "Phone", PIN)

    assert info.value.error == "invalid_code"


def test_pushes_to_the_app_are_throttled(directory, rp, with_app):
    user, _ = with_app
    statuses = []
    for _ in range(5):
        browser = StrictRP(directory, rp.client)
        response = browser.agent.submit(step_up_page(browser, user), "Approve in the app")
        statuses.append(response.status_code)

    # The first login of the app pushed once already: five in ten minutes at most.
    assert statuses == [200, 200, 200, 200, 429]
