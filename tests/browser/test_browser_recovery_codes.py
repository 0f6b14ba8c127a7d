"""New recovery codes in Chromium: the list never overlaps or breaks a code, on a desktop
and on a phone-wide page, and the codes can be copied and downloaded as a text file."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import expect

from idp.clock import now
from tests.browser.a11y import assert_accessible
from tests.browser.steps import give_password, laid_out
from tests.support.recovery import issue_codes

pytestmark = pytest.mark.browser

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def new_codes_at_login(page, directory, user) -> list[str]:
    """Log in with the password, set up an authenticator app, and land on the codes."""
    page.goto(directory.issuer + "/account/")
    give_password(page, user)
    page.get_by_role("link", name="Set up an authenticator app").click()
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).at(now()))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(CODE.match(code) for code in codes), codes
    return codes


def overlaps(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def assert_laid_out_apart(page) -> None:
    """No two codes (with their numbers) share a pixel, each stays on one line, and all
    stay inside the card."""
    laid_out(page)
    items = [page.locator("#recovery-codes li").nth(i) for i in range(10)]
    boxes = [item.bounding_box() for item in items]
    codes = [page.locator("#recovery-codes code").nth(i).bounding_box() for i in range(10)]
    card = page.locator("main").bounding_box()
    line = page.evaluate("() => parseFloat(getComputedStyle("
                         "document.querySelector('#recovery-codes code')).lineHeight) || 0")
    for i, box in enumerate(boxes):
        for other in boxes[i + 1:]:
            assert not overlaps(box, other), (box, other)
    for code in codes:
        assert code["height"] < 1.6 * (line or codes[0]["height"]), code  # never broken
        assert card["x"] <= code["x"] and code["x"] + code["width"] <= card["x"] + card["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_the_codes_never_overlap_or_break_on_a_desktop_or_a_phone(page, directory):
    user = directory.add_user()
    page.set_viewport_size({"width": 1280, "height": 900})
    new_codes_at_login(page, directory, user)

    assert_laid_out_apart(page)
    assert_accessible(page, "the recovery codes")
    page.set_viewport_size({"width": 360, "height": 740})
    assert_laid_out_apart(page)


def test_the_codes_are_copied_and_downloaded_as_a_text_file(page, directory):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=directory.live.url)
    user = directory.add_user()
    codes = new_codes_at_login(page, directory, user)

    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("The codes are copied.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download").click()
    download = info.value
    with open(download.path(), encoding="utf-8") as file:
        saved = file.read()

    assert all(code in copied for code in codes), copied
    day = datetime.fromtimestamp(now(), UTC).date().isoformat()
    assert download.suggested_filename == f"Test-{directory.slug}-recovery-codes-{day}.txt"
    assert [line.split(". ", 1)[1] for line in saved.splitlines() if ". " in line
            and CODE.match(line.split(". ", 1)[1])] == codes
    assert f"Test {directory.slug}" in saved and user.username in saved
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    page.get_by_role("button", name="Continue: I saved my codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


def test_at_a_level_only_a_code_reaches_setting_up_comes_first_then_few_left_new_codes(
        page, directory):
    directory.set_levels(required_level=40)
    user = directory.add_user(totp=True)
    codes = issue_codes(directory, user, left=3)
    page.goto(directory.issuer + "/account/")
    give_password(page, user)
    page.get_by_role("link", name="Continue with authenticator app").click()
    page.get_by_label("Code", exact=True).fill(user.totp())
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose how to verify")
    set_up = page.get_by_role("link", name="Set up a passkey")
    fallback = page.get_by_role("link", name="Continue with recovery code")
    expect(set_up).to_be_visible()
    laid_out(page)
    assert set_up.bounding_box()["y"] < fallback.bounding_box()["y"]  # offered first
    assert page.get_by_role("heading", name="Or use a recovery code").is_visible()
    assert_accessible(page, "the step-up page that puts setting up first")

    fallback.click()
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You used a recovery code")
    expect(page.locator("#codes-left")).to_have_text("You have 2 recovery codes left.")
    assert_accessible(page, "the page after a recovery code")
    page.get_by_role("button", name="Make new recovery codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    fresh = page.locator("#recovery-codes code").all_inner_texts()
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    page.get_by_role("button", name="Continue: I saved my codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
