"""An unfinished set-up belongs to the browser that started it: another browser of the same
person sees none of its secrets (the app's activation code, the authenticator app's key)
and starts its own, and neither voids the other's."""

from __future__ import annotations

from clients.authenticator.api import AuthenticatorApp
from tests.support.account import open_account_page
from tests.support.agent import Page

PIN = "58213"


def activation_code(page: Page) -> str | None:
    found = page.soup.find(id="activation-code")
    return found.get_text() if found is not None else None


def test_an_activation_code_asked_for_in_one_browser_is_not_shown_in_another(directory):
    directory.set_levels(20)
    user = directory.add_user()
    first, _page = open_account_page(directory, user, "/account/methods/app")
    second, _page = open_account_page(directory, user, "/account/methods/app")
    url = f"{directory.issuer}/account/methods/app"

    asked = Page(first.submit(Page(first.get(url)), "Get an activation code"))
    code = activation_code(asked)
    other = Page(second.get(url))

    assert code is not None
    assert activation_code(other) is None and code not in other.text
    assert other.form_with_button("Get an activation code")
    own = activation_code(Page(second.submit(other, "Get an activation code")))
    assert own is not None and own != code
    assert activation_code(Page(first.get(url))) == code  # the first browser's stays
    AuthenticatorApp().activate(directory.issuer, code, "Phone", PIN)


def test_an_authenticator_app_key_shown_in_one_browser_is_not_shown_in_another(directory):
    directory.set_levels(20)
    user = directory.add_user()
    first, _page = open_account_page(directory, user, "/account/methods/totp")
    second, _page = open_account_page(directory, user, "/account/methods/totp")
    url = f"{directory.issuer}/account/methods/totp"

    key = Page(first.get(url)).soup.find(id="totp-secret")["data-secret"]
    other = Page(second.get(url)).soup.find(id="totp-secret")["data-secret"]

    assert key != other
