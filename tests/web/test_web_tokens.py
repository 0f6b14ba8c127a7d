"""Hardware OATH tokens over HTTP: binding one during login or from the profile by its
serial and two codes, logging in with a code, each code once, bringing a drifted HOTP token
back in step, and the token as one of the person's methods on the profile, the admin's
user page and the lock-out preview."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pyotp
import pytest
from sqlalchemy import select

from idp.admin.census import take_census
from idp.clock import now
from idp.methods.token.inventory import assign_token, find_token, import_tokens
from idp.methods.token.otp import TokenKey
from idp.methods.token.parsers import TokenRecord
from idp.services import services
from idp.storage import db
from idp.storage.models import AuditEvent
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory
from tests.conftest import delivery_settings
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.live import build_live, new_directory
from tests.support.rp import StrictRP
from tests.web.helpers import new_rp, password_step
from tests.web.test_web_admin_settings import admin_page, fields, listed, press
from tests.web.test_web_admin_users import admin_agent, audit_events, user_page
from tests.web.test_web_admin_users import press as press_on_user_page
from tests.web.test_web_dutch import log_in_in_dutch
from tests.web.test_web_profile_methods import (
    audited,
    method_rows,
    notice_of,
    remove_confirmed,
)

if TYPE_CHECKING:  # imported here only: pytest would try to collect a Test* class
    from tests.support.live import TestDirectory, TestUser

SEED = b"12345678901234567890"
HOTP = pyotp.HOTP(base64.b32encode(SEED).decode())


def _stock(directory: TestDirectory, serial: str, kind: str = "hotp",
           user: TestUser | None = None) -> None:
    """Put a token in the directory's inventory, assigned to `user` when given."""
    with directory.live.app.app_context():
        row = get_directory(directory.slug)
        [token] = import_tokens(row, [TokenRecord(serial, TokenKey(SEED, kind))],
                                services().sealer, now())
        if user is not None:
            assert assign_token(token, find_user(row, user.username), now())
        db.session.commit()


def _holder(directory: TestDirectory, serial: str) -> int | None:
    with directory.live.app.app_context():
        return find_token(get_directory(directory.slug), serial).user_id


def _token_page(rp: StrictRP, user: TestUser) -> Page:
    step_up = Page(password_step(rp, user))
    assert step_up.title == "Choose how to verify", step_up.text[:300]
    page = Page(rp.agent.get(step_up.link("Continue with security token")))
    assert page.title == "Enter the code from your security token", page.text[:300]
    return page


def _claims(rp: StrictRP, response) -> dict:
    return rp.exchange(rp.response_params(response)["code"])["claims"]


def test_the_token_is_off_until_the_directory_gives_it_points(directory):
    user = directory.add_user()
    _stock(directory, "H-1", user=user)
    rp = StrictRP(directory, directory.add_client())

    step_up = Page(password_step(rp, user))

    assert "security token" not in step_up.text.lower()


def test_a_token_is_bound_during_login_with_its_serial_and_two_codes(directory):
    directory.set_levels(token=10, recovery=0)
    user = directory.add_user()
    _stock(directory, "H-1")
    rp = StrictRP(directory, directory.add_client())
    step_up = Page(password_step(rp, user))
    enrol = Page(rp.agent.get(step_up.link("Set up a security token")))
    assert enrol.title == "Add a security token", enrol.text[:300]

    wrong = rp.agent.submit(enrol, "Add this token", by_label={
        "Serial number": "H-1", "First code": HOTP.at(0), "Next code": HOTP.at(2)})
    assert wrong.status_code == 400 and _holder(directory, "H-1") is None
    again = Page(wrong)
    assert again.soup.find(id="serial")["value"] == "H-1"
    response = rp.agent.submit(again, "Add this token", by_label={
        "First code": HOTP.at(0), "Next code": HOTP.at(1)})

    claims = _claims(rp, response)
    assert claims["acr"] == "30"
    assert set(claims["amr"]) == {"pwd", "otp", "mfa"}
    assert _holder(directory, "H-1") is not None
    # The two codes are spent: the next login needs the token's next code.
    other = new_rp(directory, rp.client)
    refused = other.agent.submit(_token_page(other, user), "Verify",
                                 by_label={"Code": HOTP.at(1)})
    assert refused.status_code == 400
    ok = other.agent.submit(Page(refused), "Verify", by_label={"Code": HOTP.at(2)})
    assert _claims(other, ok)["acr"] == "30"


def test_a_code_is_accepted_once(directory):
    directory.set_levels(token=10)
    user = directory.add_user()
    _stock(directory, "H-1", user=user)
    client = directory.add_client()

    first = new_rp(directory, client)
    accepted = first.agent.submit(_token_page(first, user), "Verify",
                                  by_label={"Code": HOTP.at(0)})
    second = new_rp(directory, client)
    refused = second.agent.submit(_token_page(second, user), "Verify",
                                  by_label={"Code": HOTP.at(0)})

    assert set(_claims(first, accepted)["amr"]) == {"pwd", "otp", "mfa"}
    assert refused.status_code == 400
    assert "already used" in Page(refused).soup.find(id="form-error").get_text()


def test_a_drifted_hotp_token_is_brought_back_in_step_with_two_codes(directory):
    directory.set_levels(token=10)
    user = directory.add_user()
    _stock(directory, "H-1", user=user)
    rp = StrictRP(directory, directory.add_client())
    page = _token_page(rp, user)

    # Pressed 30 times since: beyond the look-ahead window.
    drifted = rp.agent.submit(page, "Verify", by_label={"Code": HOTP.at(30)})
    assert drifted.status_code == 400
    response = rp.agent.submit(Page(drifted), "Verify both codes", by_label={
        "First code": HOTP.at(31), "Next code": HOTP.at(32)})

    assert _claims(rp, response)["acr"] == "30"
    later = new_rp(directory, rp.client)
    ok = later.agent.submit(_token_page(later, user), "Verify", by_label={"Code": HOTP.at(33)})
    assert _claims(later, ok)["acr"] == "30"


def test_a_totp_token_signs_in_with_the_current_code(directory):
    directory.set_levels(token=10)
    user = directory.add_user()
    _stock(directory, "T-1", kind="totp", user=user)
    rp = StrictRP(directory, directory.add_client())
    page = _token_page(rp, user)

    response = rp.agent.submit(page, "Verify", by_label={
        "Code": pyotp.TOTP(base64.b32encode(SEED).decode()).at(now())})

    assert _claims(rp, response)["acr"] == "30"
    assert page.soup.find("details") is None  # no resynchronisation for a TOTP token


@pytest.fixture(scope="module")
def strict(backend, database_url_factory, sms_gateway, mailbox):
    """A provider of its own that allows 3 wrong answers per account a minute."""
    live = build_live(database_url_factory(backend), IDP_ACCOUNT_FAILURE_LIMIT="3 per minute",
                      **delivery_settings(sms_gateway, mailbox))
    yield live
    live.stop()


def test_wrong_codes_use_the_accounts_failure_budget_and_are_audited(strict):
    directory = new_directory(strict)
    directory.set_levels(token=10)
    user = directory.add_user()
    _stock(directory, "H-1", user=user)
    rp = StrictRP(directory, directory.add_client())
    page = _token_page(rp, user)

    statuses = []
    for wrong in ("000000", "111111", "222222"):
        response = rp.agent.submit(page, "Verify", by_label={"Code": wrong})
        statuses.append(response.status_code)
        page = Page(response)
    right = rp.agent.submit(page, "Verify", by_label={"Code": HOTP.at(0)})

    assert statuses == [400, 400, 400]
    assert right.status_code == 429 and "Too many attempts" in Page(right).text
    with strict.app.app_context():
        row = get_directory(directory.slug)
        failed = db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == row.id, AuditEvent.event == "method.failed")).all()
    assert len(failed) == 3 and all(e.detail.get("method") == "token" for e in failed)


def test_the_census_counts_a_token_holder_as_the_method_does(directory):
    holder, other = directory.add_user(), directory.add_user()
    _stock(directory, "H-1", user=holder)
    _stock(directory, "H-2")  # on the shelf: nobody's

    with directory.live.app.app_context():
        row = get_directory(directory.slug)
        census = {m.username: m.enrolled for m in take_census(row, services().methods)}
        method = services().methods["token"]
        assert method.is_enrolled(find_user(row, holder.username))
        assert not method.is_enrolled(find_user(row, other.username))
    assert "token" in census[holder.username]
    assert "token" not in census[other.username]


def test_the_token_pages_speak_dutch_from_the_packages_own_catalogue(directory):
    directory.set_levels(token=10)
    user = directory.add_user()
    _stock(directory, "H-1", user=user)
    _stock(directory, "H-2")
    rp = StrictRP(directory, directory.add_client(), Agent(directory.live.url))
    step_up = log_in_in_dutch(rp, user, ui_locales="nl")

    page = Page(rp.agent.get(step_up.link("Doorgaan met beveiligingstoken")))
    refused = Page(rp.agent.submit(page, "Verifiëren", by_label={"Code": "000000"}))

    assert page.title == "Vul de code van uw beveiligingstoken in"
    assert "Druk op de knop van uw token" in page.text
    assert "Worden codes niet geaccepteerd?" in page.text
    assert refused.soup.find(id="form-error").get_text(strip=True) == (
        "Deze code klopt niet. Druk op de knop van uw token en vul de nieuwe code in.")


# --- The token as one of the person's methods: profile, admin, preview -----------------------

def test_a_token_is_bound_from_the_profile_and_the_person_is_told(directory, mail):
    directory.set_levels(token=10)
    user = directory.add_user(totp=True)
    _stock(directory, "H-1")
    agent, page = open_account_page(directory, user)

    form = Page(agent.get(page.link("Add a security token")))
    assert form.title == "Add a security token", form.text[:300]
    wrong = agent.submit(form, "Add this token", by_label={
        "Serial number": "H-1", "First code": HOTP.at(0), "Next code": HOTP.at(5)})
    assert wrong.status_code == 400 and _holder(directory, "H-1") is None
    page = Page(agent.submit(Page(wrong), "Add this token", by_label={
        "Serial number": "H-1", "First code": HOTP.at(0), "Next code": HOTP.at(1)}))

    assert page.title == "Your account", page.text[:300]
    assert "A security token was added to your account" in notice_of(page)
    assert any(r.startswith("Security token") for r in method_rows(page)), method_rows(page)
    assert _holder(directory, "H-1") is not None
    assert audited(directory, user, "method.enrolled")[-1]["method"] == "token"
    assert mail.wait_for(user.email)["Subject"] == "A security token was added to your account"


def test_a_token_removed_from_the_profile_goes_back_to_the_inventory(directory, mail):
    directory.set_levels(token=10)
    user = directory.add_user(totp=True)
    _stock(directory, "H-1", user=user)
    agent, page = open_account_page(directory, user)
    # The serial tells the person's tokens apart.
    assert any(r.startswith("Security token H-1") for r in method_rows(page)), method_rows(page)

    page = Page(remove_confirmed(agent, page, "Security token"))  # the app stays

    assert page.title == "Your account", page.text[:300]
    assert not any("Security token" in r for r in method_rows(page))
    with directory.live.app.app_context():
        token = find_token(get_directory(directory.slug), "H-1")
        assert token is not None and token.user_id is None and token.assigned_at is None
    assert audited(directory, user, "method.removed") == [{"method": "token", "name": None}]
    assert mail.wait_for(user.email)["Subject"] == (
        "A security token was removed from your account")


def test_the_admins_user_pages_list_a_token_and_take_it_back(directory):
    directory.set_levels(token=10)
    user = directory.add_user()
    _stock(directory, "H-1", user=user)
    _admin, agent, listing = admin_agent(directory)
    rows = {row.find("td").get_text(strip=True): row.find_all("td")[-1].get_text(" ", strip=True)
            for row in listing.soup.select("table.users tbody tr")}
    assert rows[user.username] == "Password, Security token"

    page = user_page(agent, directory, user.username)
    keys = [i["value"] for i in page.soup.find_all("input", attrs={"name": "item"})]
    assert [k for k in keys if k.startswith("token:")], keys
    assert "H-1" in page.text  # the token's serial tells it apart
    key = next(k for k in keys if k.startswith("token:"))
    page = Page(press_on_user_page(agent, page, "remove", item=key))

    assert "The sign-in method was removed." in page.text
    assert _holder(directory, "H-1") is None
    assert audit_events(directory, "admin.method_removed")[-1].detail["method"] == "token"


def test_the_lock_out_preview_counts_a_token_holder(directory):
    directory.set_levels(token=10)
    tina = directory.add_user("tina")
    _stock(directory, "H-1", user=tina)  # password 20 + token 10: level 30 today
    _admin, agent, page = admin_page(directory)

    preview = press(agent, page, "Preview", fields(token=5))

    people = listed(preview, "can-enrol")
    assert any(p.startswith("Tina (tina)") for p in people), people
    assert "cannot reach the current level either" not in preview.text
