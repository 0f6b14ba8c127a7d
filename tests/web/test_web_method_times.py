"""When the password, text message codes and email codes were added and last used: the
profile and the admin's user page show both, as they do for apps and passkeys."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from idp.clock import now
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.live import new_mobile
from tests.support.rp import StrictRP
from tests.web.helpers import enter_code, set_up_page, step_up_page

DAY = 86400.0
CODE = re.compile(r"\b(\d{6})\b")


def times(page: Page, title: str) -> tuple[float | None, float | None]:
    """Return the Added and Last used times of the method row titled `title`."""
    for row in page.soup.select("table#methods tbody tr, table.methods tbody tr"):
        cells = row.find_all(["th", "td"])
        if cells and cells[0].get_text(strip=True) == title:
            headers = [th.get_text(strip=True) for th in row.find_parent("table")
                       .select("thead th")]
            added = cells[headers.index("Added")].find("time")
            used = cells[headers.index("Last used")].find("time")
            return tuple(datetime.fromisoformat(t["datetime"]).replace(tzinfo=UTC).timestamp()
                         if t else None for t in (added, used))  # type: ignore[return-value]
    raise AssertionError(f"no row {title!r}: {page.text[:400]}")


def near(at: float | None, expected: float) -> bool:
    return at is not None and abs(at - expected) < 60


def admin_user_page(directory, user) -> Page:
    """Open the admin's page of `user` as a new admin of the directory."""
    with directory.live.app.app_context():
        user_id = find_user(get_directory(directory.slug), user.username).id
    admin = directory.add_user(totp=True, admin=True)
    _agent, page = open_account_page(directory, admin, f"/admin/users/{user_id}")
    assert page.status == 200, page.text[:300]
    return page


def test_the_password_shows_when_it_was_set_and_last_used_to_log_in(directory,
                                                                    provider_clock):
    set_at = now()
    user = directory.add_user(totp=True)
    provider_clock(2 * DAY)
    used_at = now()

    _agent, profile = open_account_page(directory, user)

    added, used = times(profile, "Password")
    assert near(added, set_at) and near(used, used_at), (added, used, set_at, used_at)
    admin_added, admin_used = times(admin_user_page(directory, user), "Password")
    assert near(admin_added, set_at) and near(admin_used, used_at)


def test_text_message_codes_show_when_the_number_was_proven_and_a_code_last_accepted(
        directory, gateway, provider_clock):
    phone = new_mobile()
    user = directory.add_user(phone=phone, phone_verified=False)
    rp = StrictRP(directory, directory.add_client())
    enrol = Page(rp.agent.get(set_up_page(rp, user).link("Set up text message codes")))
    sent = Page(rp.agent.submit(enrol, "Send the code"))
    proven_at = now()
    codes = Page(enter_code(rp, sent, gateway.last_code(phone), button="Verify and turn on"))
    assert codes.title == "Save your recovery codes", codes.text[:300]

    provider_clock(3 * DAY)
    agent = Agent(directory.live.url)
    page = step_up_page(StrictRP(directory, directory.add_client(), agent), user)
    sent = Page(agent.submit(page, "Text a code to"))
    used_at = now()
    agent.submit(sent, "Verify", by_label={"Code": gateway.last_code(phone)})
    profile = Page(agent.get(f"{directory.issuer}/account/"))

    added, used = times(profile, "Text message code")
    assert near(added, proven_at) and near(used, used_at), (added, used)
    admin_added, admin_used = times(admin_user_page(directory, user), "Text message code")
    assert near(admin_added, proven_at) and near(admin_used, used_at)


def test_email_codes_show_when_the_address_was_proven_and_a_code_last_accepted(
        directory, mail, provider_clock):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/email")
    page = Page(agent.submit(page, "Send the code", by_label={"Email address": user.email}))
    code = CODE.search(mail.wait_for(user.email).get_body(("plain",)).get_content()).group(1)
    proven_at = now()
    profile = Page(agent.submit(page, "Verify and save", by_label={"Code": code}))
    assert profile.title == "Your account", profile.text[:300]
    added, used = times(profile, "Email code")
    assert near(added, proven_at) and used is None, (added, used)
    mail.wait_for(user.email)  # the notice that email codes were turned on

    provider_clock(3 * DAY)
    fresh = Agent(directory.live.url)
    page = step_up_page(StrictRP(directory, directory.add_client(), fresh), user)
    sent = Page(fresh.submit(page, "Email a code to"))
    code = CODE.search(mail.wait_for(user.email).get_body(("plain",)).get_content()).group(1)
    used_at = now()
    fresh.submit(sent, "Verify", by_label={"Code": code})
    profile = Page(fresh.get(f"{directory.issuer}/account/"))

    added, used = times(profile, "Email code")
    assert near(added, proven_at) and near(used, used_at), (added, used)
    admin_added, admin_used = times(admin_user_page(directory, user), "Email code")
    assert near(admin_added, proven_at) and near(admin_used, used_at)
