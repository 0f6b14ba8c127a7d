"""Two directories side by side in one installation, as a person sees them in the browser:
each with its own name, colour and level, and neither accepting the other's people."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from idp.domain.brand import Brand
from idp.storage import db
from idp.tenants.brand import apply_brand
from idp.tenants.directories import get_directory
from tests.browser.steps import laid_out
from tests.support.live import new_directory

pytestmark = pytest.mark.browser

ACME_ACCENT = "#0b5d1e"  # a dark green: white text on it passes WCAG AA


@pytest.fixture
def acme(live):
    directory = new_directory(live)
    with live.app.app_context():
        apply_brand(get_directory(directory.slug), Brand(name="Acme B.V.", accent=ACME_ACCENT))
        db.session.commit()
    directory.set_levels(20)  # the password alone reaches Acme's level
    return directory


@pytest.fixture
def beta(live):
    directory = new_directory(live)
    with live.app.app_context():
        apply_brand(get_directory(directory.slug), Brand(name="Beta Zorg"))
        db.session.commit()
    return directory  # the default level, 30: a second method is needed


def log_in(page, directory, user) -> None:
    page.goto(directory.issuer + "/account/")
    page.get_by_label("Username or email", exact=True).fill(user.username)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Log in").click()


def test_each_directory_shows_its_own_brand_and_level_and_refuses_the_others_people(
        page, acme, beta):
    ann, bert = acme.add_user(), beta.add_user(totp=True)

    log_in(page, acme, ann)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.locator("header .brand")).to_have_text("Acme B.V.")
    assert page.title().endswith("· Acme B.V.")
    link = laid_out(page).locator("header nav a").first
    colour = link.evaluate("el => getComputedStyle(el).color")
    assert colour == "rgb(11, 93, 30)", colour

    log_in(page, beta, ann)  # Acme's person, at Beta's door, in the same browser

    expect(page.get_by_role("alert")).to_contain_text("The username or password is not right.")
    expect(page.locator("header .brand")).to_have_text("Beta Zorg")
    assert "Acme" not in page.content()

    log_in(page, beta, bert)

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose how to verify")
    expect(page.locator("header .brand")).to_have_text("Beta Zorg")
