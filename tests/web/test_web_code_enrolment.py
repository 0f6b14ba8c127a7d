"""Enrolling SMS or email codes during login: the destination proves itself before it counts."""

from __future__ import annotations

import re

import pytest

from idp.storage import db
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory
from tests.support.agent import Page
from tests.support.live import new_mobile
from tests.web.helpers import enter_code, masked_phone, set_up_page, step_up_page


def stored(app, directory, user):
    with app.app_context():
        row = find_user(get_directory(directory.slug), user.username)
        db.session.expunge(row)
        return row


def past_recovery_codes(rp, response):
    """Continue past the recovery codes shown after a first second method is set up."""
    page = Page(response)
    assert page.title == "Save your recovery codes", page.text[:300]
    return rp.agent.submit(page, "Continue")


def enrol_page(rp, user, name: str) -> Page:
    page = Page(rp.agent.get(set_up_page(rp, user).link(name)))
    assert page.status == 200, page.text[:300]
    return page


def test_a_password_only_user_confirms_their_number_and_it_counts_at_once(
        rp, app, directory, gateway):
    phone = new_mobile()
    user = directory.add_user(phone=phone, phone_verified=False)
    page = enrol_page(rp, user, "Set up text message code")
    # Before the code is entered the number is the account's, not yet the person's: masked.
    assert masked_phone(phone) in page.text and phone not in page.text
    assert page.soup.find(id="destination").get("value", "") == ""

    sent = Page(rp.agent.submit(page, "Send the code"))
    response = past_recovery_codes(
        rp, enter_code(rp, sent, gateway.last_code(phone), button="Verify and turn on"))

    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["acr"] == "30" and "sms" in claims["amr"]
    row = stored(app, directory, user)
    assert (row.phone, row.phone_verified) == (phone, True)


def test_a_user_may_enter_another_number_of_any_country(rp, app, directory, gateway):
    user = directory.add_user(phone=new_mobile(), phone_verified=False)
    page = enrol_page(rp, user, "Set up text message code")
    uk = "+44 7911 123456"

    sent = Page(rp.agent.submit(page, "Send the code",
                                by_label={"Another mobile number (optional)": uk}))
    enter_code(rp, sent, gateway.last_code("+447911123456"), button="Verify and turn on")

    assert stored(app, directory, user).phone == "+447911123456"


def test_an_unproven_number_does_not_count_until_its_code_is_entered(rp, app, directory,
                                                                      gateway):
    phone = new_mobile()
    user = directory.add_user(phone=phone, phone_verified=False)
    page = enrol_page(rp, user, "Set up text message code")
    Page(rp.agent.submit(page, "Send the code"))

    row = stored(app, directory, user)

    assert row.phone_verified is False


def test_a_code_sent_for_enrolment_does_not_log_in(rp, directory, gateway):
    phone = new_mobile()
    user = directory.add_user(phone=phone, phone_verified=False)
    sent = Page(rp.agent.submit(enrol_page(rp, user, "Set up text message code"), "Send the code"))
    code = gateway.last_code(phone)

    wrong_door = Page(rp.agent.get(sent.url.replace("/enrol/sms", "/method/sms")))

    assert wrong_door.title == "Set up a way to verify"  # not offered: the number is unproven
    done = past_recovery_codes(rp, enter_code(rp, sent, code, button="Verify and turn on"))
    assert rp.response_params(done)["code"]


@pytest.mark.parametrize(("typed", "message"), [
    ("0612345678", "international form"),
    ("<script>alert(1)</script>", "international form"),
    ("+31 900 123 456", "Text messages are not sent to this kind of number (premium rate)"),
    ("+31 20 123 4567", "Text messages are not sent to this kind of number (landline)"),
    ("+999 1234", "international form"),
    ("+31" + "6" * 40, "international form"),
    ("+31612345678\r\nX-Injected: 1", "international form"),
    ("", "international form"),
])
def test_a_hostile_or_unusable_number_is_refused_and_nothing_is_sent(rp, directory, gateway,
                                                                     typed, message):
    user = directory.add_user()
    page = enrol_page(rp, user, "Set up text message code")

    response = rp.agent.submit(page, "Send the code", by_label={"Mobile number": typed})

    assert response.status_code == 400
    error = Page(response).soup.find(id="form-error").get_text(" ", strip=True)
    assert message in error
    assert "Traceback" not in response.text
    assert not gateway.received


def test_an_email_address_proves_itself_with_its_first_code(rp, app, directory, mail):
    user = directory.add_user()
    page = enrol_page(rp, user, "Set up email code")
    assert f"We email a code to {user.email[0]}" in page.text

    sent = Page(rp.agent.submit(page, "Send the code"))
    code = re.search(r"\b(\d{6})\b", mail.wait_for(user.email).get_body(("plain",))
                     .get_content()).group(1)
    response = past_recovery_codes(rp, enter_code(rp, sent, code, button="Verify and turn on"))

    assert rp.response_params(response)["code"]
    assert stored(app, directory, user).email_verified is True


def test_a_user_with_a_second_method_who_falls_short_may_enrol_after_using_it(
        rp, directory, gateway):
    directory.set_levels(required_level=40)
    user = directory.add_user(totp=True, phone=new_mobile(), phone_verified=False)
    page = step_up_page(rp, user)
    assert "Set up" not in page.text  # the authenticator app comes first

    after_totp = Page(rp.agent.submit(Page(rp.agent.get(page.link("Continue with authenticator"))),
                                      "Verify", by_label={"Code": user.totp()}))

    assert after_totp.title == "Set up a way to verify"
    assert after_totp.link("Set up text message code")


def without_email(app, directory, user) -> None:
    with app.app_context():
        row = find_user(get_directory(directory.slug), user.username)
        row.email, row.email_key = None, None
        db.session.commit()


@pytest.mark.parametrize("typed", ["not-an-address", "a@b", "<x@example.org>",
                                   "x@example.org\r\nBcc: all@example.org", "x" * 300 + "@e.org",
                                   ""])
def test_a_hostile_email_address_is_refused_and_nothing_is_sent(rp, app, directory, mail, typed):
    user = directory.add_user()
    without_email(app, directory, user)
    page = enrol_page(rp, user, "Set up email code")

    response = rp.agent.submit(page, "Send the code", by_label={"Email address": typed})

    assert response.status_code == 400 and "Traceback" not in response.text
    error = Page(response).soup.find(id="form-error").get_text(" ", strip=True)
    assert error == "Enter an email address like name@example.com."
    assert not mail.messages


def test_an_address_of_another_account_cannot_be_taken(rp, app, directory, mail):
    other = directory.add_user()
    user = directory.add_user()
    without_email(app, directory, user)
    page = enrol_page(rp, user, "Set up email code")

    response = rp.agent.submit(page, "Send the code", by_label={"Email address": other.email})

    assert response.status_code == 400
    assert "cannot be used" in Page(response).soup.find(id="form-error").get_text()
    assert not mail.messages


def test_a_user_without_an_address_enters_one_and_proves_it(rp, app, directory, mail):
    user = directory.add_user()
    without_email(app, directory, user)
    address = f"new-{user.username}@example.net"
    page = enrol_page(rp, user, "Set up email code")

    sent = Page(rp.agent.submit(page, "Send the code", by_label={"Email address": address}))
    code = re.search(r"\b(\d{6})\b", mail.wait_for(address).get_body(("plain",))
                     .get_content()).group(1)
    past_recovery_codes(rp, enter_code(rp, sent, code, button="Verify and turn on"))

    row = stored(app, directory, user)
    assert (row.email, row.email_verified) == (address, True)
