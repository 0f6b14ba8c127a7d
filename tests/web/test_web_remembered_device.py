"""Remember this device: a signed HttpOnly cookie bound to a revocable record that adds points."""

from __future__ import annotations

import time

import pytest

from idp.services import services
from idp.storage import db
from idp.storage.models import RememberedDevice
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory
from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import enter_code, step_up_page

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def rp(directory):
    directory.set_levels(device=10)
    rp = StrictRP(directory, directory.add_client())
    rp.agent.http.headers["User-Agent"] = FIREFOX
    return rp


@pytest.fixture
def user(directory):
    return directory.add_user(totp=True)


def device_cookie(rp, directory):
    return next((c for c in rp.agent.http.cookies if c.name == f"idp-device-{directory.slug}"),
                None)


def log_in_remembering(rp, user, remember: bool = True):
    page = Page(rp.agent.get(step_up_page(rp, user).link("Continue with authenticator app")))
    return enter_code(rp, page, user.totp(), remember=remember)


def new_login(rp, directory):
    """Forget the browser session (as after closing the browser) but keep the device cookie."""
    rp.agent.http.cookies.clear(domain="127.0.0.1", path="/", name=f"idp-{directory.slug}")


def devices(app, directory, user) -> list[RememberedDevice]:
    with app.app_context():
        row = find_user(get_directory(directory.slug), user.username)
        found = db.session.query(RememberedDevice).filter_by(user_id=row.id).all()
        db.session.expunge_all()
        return found


def test_ticking_remember_sets_a_long_lived_httponly_cookie_and_a_named_record(
        rp, app, directory, user):
    response = log_in_remembering(rp, user)

    assert rp.response_params(response)["code"]
    cookie = device_cookie(rp, directory)
    assert cookie is not None and cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.expires - time.time() > 89 * 86400
    [record] = devices(app, directory, user)
    assert record.name == "Firefox on Linux"
    assert record.revoked_at is None and record.last_used_at


def test_a_remembered_device_counts_its_points_at_the_next_login(rp, directory, user):
    log_in_remembering(rp, user)
    new_login(rp, directory)

    response = rp.log_in(rp.start(), user)

    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["acr"] == "30"  # password 20 + this device 10, no second step
    assert claims["amr"] == ["pwd"]


def test_without_the_tick_nothing_is_remembered(rp, app, directory, user):
    log_in_remembering(rp, user, remember=False)

    assert device_cookie(rp, directory) is None
    assert devices(app, directory, user) == []


def test_remember_is_not_offered_while_the_device_method_is_off(directory, user):
    rp = StrictRP(directory, directory.add_client())
    page = Page(rp.agent.get(step_up_page(rp, user).link("Continue with authenticator app")))

    assert "Remember this device" not in page.text


def test_the_device_never_counts_alone(rp, directory, user):
    directory.set_levels(device=30)
    log_in_remembering(rp, user)
    new_login(rp, directory)

    response = rp.start(prompt="none")

    assert rp.response_params(response)["error"] == "login_required"


def test_a_revoked_device_counts_no_more(rp, app, directory, user):
    log_in_remembering(rp, user)
    [record] = devices(app, directory, user)
    with app.app_context():
        row = find_user(get_directory(directory.slug), user.username)
        assert services().methods["device"].revoke(row, record.id, time.time())
        db.session.commit()
    new_login(rp, directory)

    page = Page(rp.log_in(rp.start(), user))

    assert page.title == "Choose how to verify"


def test_another_users_device_cookie_counts_nothing(rp, directory, user):
    log_in_remembering(rp, user)
    new_login(rp, directory)
    other = directory.add_user(totp=True)

    page = Page(rp.log_in(rp.start(), other))

    assert page.title == "Choose how to verify"


@pytest.mark.parametrize("value", ["", "x", "a" * 4000, "eyJhbGciOiJub25lIn0.e30.",
                                   "\"'<script>", "Ik5PUEUi.forged-signature"])
def test_a_forged_device_cookie_counts_nothing_and_breaks_nothing(rp, directory, user, value):
    rp.agent.http.cookies.set(f"idp-device-{directory.slug}", value, domain="127.0.0.1",
                              path="/")

    response = rp.log_in(rp.start(), user)

    assert response.status_code == 200 and "Traceback" not in response.text
    assert Page(response).title == "Choose how to verify"


def test_the_cookie_is_bound_to_the_server_record_not_just_signed(rp, app, directory, user):
    log_in_remembering(rp, user)
    value = device_cookie(rp, directory).value
    with app.app_context():
        db.session.query(RememberedDevice).delete()
        db.session.commit()
    browser = StrictRP(directory, rp.client, Agent(directory.live.url))
    browser.agent.http.cookies.set(f"idp-device-{directory.slug}", value, domain="127.0.0.1",
                                   path="/")

    page = Page(browser.log_in(browser.start(), user))

    assert page.title == "Choose how to verify"
