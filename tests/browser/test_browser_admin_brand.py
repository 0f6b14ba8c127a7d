"""An admin gives the directory its brand: previews the header, a button in the colour and the
text message, uploads a logo, saves; the pages then carry it, and every step is accessible."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.steps import give_app_code, give_password

pytestmark = pytest.mark.browser


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 32), (0, 90, 50)).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_admin_previews_and_saves_the_brand_and_the_pages_show_it(page, directory):
    admin = directory.add_user("root", totp=True, admin=True)
    page.goto(directory.issuer + "/admin/brand")
    give_password(page, admin)
    give_app_code(page, admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Brand")
    assert_accessible(page, "the brand page")

    # A colour too light for white text is refused, with the reason, at the field.
    page.get_by_label("Accent colour", exact=True).fill("#ffcc00")
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("#ffcc00 is too light")
    expect(page.get_by_label("Accent colour", exact=True)).to_have_attribute(
        "aria-invalid", "true")
    assert_accessible(page, "the brand page refusing a colour")

    page.get_by_label("Name people see", exact=True).fill("Acme B.V.")
    page.get_by_label("Accent colour", exact=True).fill("#005a32")
    page.get_by_label("Sender name", exact=True).fill("ACME")
    page.get_by_label("Support email address", exact=True).fill("help@acme.example")
    page.get_by_role("button", name="Preview", exact=True).click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", level=2)).to_have_text("Preview (not saved yet)")
    expect(page.locator("#preview-name")).to_have_text("Acme B.V.")
    expect(page.locator("#preview-button")).to_have_css("background-color", "rgb(0, 90, 50)")
    expect(page.locator("#preview-sms")).to_contain_text("is your Acme B.V. code")
    expect(page.locator("body > header .brand")).not_to_contain_text("Acme")
    assert_accessible(page, "the brand preview")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.locator("body > header .brand")).to_have_text("Acme B.V.")

    page.get_by_label("Logo file", exact=True).set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png()}])
    page.get_by_role("button", name="Upload the logo", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The new logo is saved.")
    logo = page.locator("body > header .brand img")
    expect(logo).to_be_visible()
    assert page.evaluate("document.querySelector('body > header .brand img').naturalWidth") == 96
    # Buttons on every page take the accent from the directory's style sheet.
    page.goto(directory.issuer + "/account/")
    expect(page.locator("body > header .brand")).to_have_text("Acme B.V.")
    expect(page.locator("header nav a").first).to_have_css("color", "rgb(0, 90, 50)")
    assert_accessible(page, "the profile page with the brand")
