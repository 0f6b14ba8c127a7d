"""Steps the browser tests share: open a portal page at the provider, log in, move by Tab."""

from __future__ import annotations

from playwright.sync_api import expect


def open_billing(page, portal) -> None:
    """Open the portal's Billing page (needs 30); expect the provider's login page."""
    page.goto(portal.url + "/")
    page.get_by_role("link", name="Billing (30)").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert page.url.startswith(portal.directory.issuer + "/i/"), page.url


def give_password(page, user) -> None:
    """Fill in the login form by its labels and press Log in."""
    page.get_by_label("Username or email", exact=True).fill(user.username)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Log in").click()


def give_app_code(page, user) -> None:
    """Choose the authenticator app on the step-up page and enter its current code."""
    page.get_by_role("link", name="Continue with authenticator app").click()
    page.get_by_label("Code", exact=True).fill(user.totp())
    page.get_by_role("button", name="Verify", exact=True).click()


def log_in_to_billing(page, portal, user) -> None:
    """Open the portal's Billing page and give the password at the provider."""
    open_billing(page, portal)
    give_password(page, user)


def laid_out(page):
    """Wait until the page has loaded, its style sheets included, and return it: sizes,
    places and colours are read from the page as laid out, never from the bare HTML that
    is already there while a style sheet is still on its way."""
    page.wait_for_load_state("load")
    return page


def active(page) -> dict:
    """Return the id, tag, type and text of the element that has the keyboard focus."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {id: el.id, tag: el.tagName.toLowerCase(), type: el.type || "",
                text: (el.innerText || "").trim()};
    }""")


def tab_to(page, predicate, limit: int = 15) -> dict:
    """Press Tab until the focused element satisfies predicate; return it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = active(page)
        if predicate(element):
            return element
    raise AssertionError(f"Tab never reached the element; focus is on {active(page)}")
