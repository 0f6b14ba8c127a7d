"""A voice-call code appears wherever a method does: the profile (listed, removed, told by
email, audited), the admin's user list and user page, the census and the lock-out preview."""

from __future__ import annotations

from urllib.parse import urljoin

from sqlalchemy import select

from idp.admin.census import take_census
from idp.clock import now
from idp.methods.voice.storage import VoiceNumber, set_voice_number
from idp.services import services
from idp.storage import db
from idp.storage.models import AuditEvent, User
from idp.tenants.directories import get_directory
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.web.test_web_profile_methods import remove_confirmed
from tests.web.test_web_voice_code import new_landline, spoken_code

DOT4 = "\u2022" * 4


def give_voice_number(directory, user, phone: str) -> None:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        set_voice_number(row, phone, now())
        db.session.commit()


def voice_row(directory, user) -> VoiceNumber | None:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        found = db.session.get(VoiceNumber, row.id)
        if found is not None:
            db.session.expunge(found)
        return found


def audited(directory, user, event: str) -> list[dict]:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return [e.detail for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.user_id == row.id, AuditEvent.event == event).order_by(AuditEvent.id))]


def method_rows(page: Page) -> list[str]:
    return [tr.get_text(" ", strip=True) for tr in page.soup.select("#methods tbody tr")]


def test_the_profile_lists_the_voice_number_and_removing_it_is_told_and_audited(
        directory, mail):
    directory.set_levels(voice=10)
    user = directory.add_user(totp=True)
    landline = new_landline()
    give_voice_number(directory, user, landline)
    agent, page = open_account_page(directory, user)
    assert any(row.startswith(f"Voice call code {landline}") for row in method_rows(page)), \
        method_rows(page)

    page = Page(remove_confirmed(agent, page, "Voice call code"))

    assert page.title == "Your account", page.text[:300]
    assert not any("Voice call code" in row for row in method_rows(page))
    assert voice_row(directory, user) is None
    assert audited(directory, user, "method.removed") == [{"method": "voice", "name": None}]
    assert mail.wait_for(user.email)["Subject"] == (
        "Voice call codes were turned off for your account")


def test_a_landline_is_set_up_from_the_profile_told_and_audited(directory, mail, voice_gateway):
    directory.set_levels(voice=10)
    user = directory.add_user(totp=True)
    landline = new_landline()
    agent, page = open_account_page(directory, user)
    page = Page(agent.get(page.link("Turn on voice call codes")))
    assert page.title == "Set up voice call codes", page.text[:300]

    sent = Page(agent.submit(page, "Call me", by_label={"Phone number": landline}))
    assert f"We are calling +31 20 {DOT4} {landline[-4:]} to read out a code." in sent.text
    right = spoken_code(voice_gateway, landline)
    wrong = Page(agent.submit(sent, "Verify and turn on",
                              by_label={"Code": f"{(int(right) + 1) % 10**6:06d}"}))
    assert wrong.status == 400 and voice_row(directory, user) is None
    done = Page(agent.submit(wrong, "Verify and turn on", by_label={"Code": right}))

    assert done.title == "Your account", done.text[:300]
    assert "Voice call codes were turned on for your account" in done.text
    assert voice_row(directory, user).phone == landline
    assert any(row.startswith("Voice call code") for row in method_rows(done))
    assert audited(directory, user, "method.enrolled") == [{"method": "voice"}]
    assert mail.wait_for(user.email)["Subject"] == (
        "Voice call codes were turned on for your account")


def test_a_second_call_from_the_profile_within_the_wait_is_refused_with_retry_after(
        directory, voice_gateway):
    directory.set_levels(voice=10)
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    page = Page(agent.get(page.link("Turn on voice call codes")))
    landline = new_landline()
    sent = Page(agent.submit(page, "Call me", by_label={"Phone number": landline}))

    again = agent.submit(sent, "Call again with a new code", by_label={"Phone number": landline})

    assert again.status_code == 429, again.text[:300]
    assert int(again.headers["Retry-After"]) > 0
    assert Page(again).title == "Set up voice call codes"


def test_a_method_whose_profile_page_sends_nothing_has_no_send_step(directory):
    directory.set_levels(token=10, voice=10)
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    token_page = Page(agent.get(page.url.rstrip("/") + "/methods/token/add"))
    form, _ = token_page.form_with_button("")
    csrf = form.find("input", attrs={"name": "csrf_token"})["value"]

    send = agent.http.post(page.url.rstrip("/") + "/methods/token/send",
                           data={"csrf_token": csrf}, allow_redirects=False, timeout=30)

    assert send.status_code == 404


def test_the_profile_does_not_offer_voice_calls_while_they_are_off(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)

    assert "voice call" not in page.text.lower()
    off = Page(agent.get(page.url.rstrip("/") + "/methods/voice/add"))
    assert off.title == "Your account"
    assert "This sign-in method is not used in this directory." in off.text


def admin_agent(directory, path: str):
    admin = directory.add_user(totp=True, admin=True)
    return open_account_page(directory, admin, path)


def test_the_admins_user_list_and_user_page_show_the_voice_code_and_can_remove_it(directory):
    user = directory.add_user()
    give_voice_number(directory, user, new_landline())
    agent, page = admin_agent(directory, "/admin/users")
    rows = {row.find("td").get_text(strip=True): row.find_all("td")[-1].get_text(" ", strip=True)
            for row in page.soup.select("table.users tbody tr")}
    assert rows[user.username] == "Password, Voice call code"

    link = page.soup.find("a", string=user.username)
    page = Page(agent.get(urljoin(page.url, link["href"])))
    keys = [i["value"] for i in page.soup.find_all("input", attrs={"name": "item"})]
    assert "voice" in keys, keys
    form = page.soup.find("input", attrs={"name": "item", "value": "voice"}).find_parent("form")
    data = {tag["name"]: tag.get("value", "") for tag in form.find_all("input")}
    agent.follow(agent.http.post(urljoin(page.url, form.get("action") or page.url),
                                 data={**data, "action": "remove"}, allow_redirects=False,
                                 timeout=30))

    assert voice_row(directory, user) is None
    assert audited(directory, user, "admin.method_removed")[-1]["method"] == "voice"


def test_the_assurance_table_says_a_voice_call_combination_rests_on_phone_codes(directory):
    directory.set_levels(voice=10, sms=0)
    _agent, page = admin_agent(directory, "/admin/settings")
    rows = {tr.find("th").get_text(" ", strip=True): [td.get_text(strip=True)
                                                      for td in tr.find_all("td")]
            for tr in page.soup.select("#current-combinations tbody tr")}

    assert rows["Password + Voice call code"] == ["30", "Yes", "No", "Phone codes only"]
    assert "SMS only" not in page.text


def test_the_census_counts_a_voice_number_as_the_method_itself_does(directory):
    landline, premium = directory.add_user(), directory.add_user()
    give_voice_number(directory, landline, new_landline())
    give_voice_number(directory, premium, "+31900123456")  # stored before a policy forbade it
    with directory.live.app.app_context():
        row = get_directory(directory.slug)
        census = {m.username: m.enrolled for m in take_census(row, services().methods)}
        method = services().methods["voice"]
        holders = method.holders(row)
        for user in db.session.scalars(select(User).where(User.directory_id == row.id)):
            assert ("voice" in census[user.username]) == method.is_enrolled(user)
            assert (user.id in holders) == method.is_enrolled(user)

    assert census[landline.username] == {"password", "voice"}
    assert census[premium.username] == {"password"}


def test_a_level_only_phone_codes_reach_names_those_with_neither_sms_nor_voice(directory):
    caller = directory.add_user("caller")
    directory.add_user("plain")
    give_voice_number(directory, caller, new_landline())
    agent, page = admin_agent(directory, "/admin/settings")
    values = {"required_level": "30", **{f"points_{m}": "0" for m in services_methods(directory)},
              "points_password": "20", "points_voice": "10"}

    preview = Page(agent.submit(page, "Preview", fields=values))

    excluded = [li.get_text(" ", strip=True)
                for li in preview.soup.find(id="sms-excluded").find_all("li")]
    assert any(p.startswith("Plain (plain)") for p in excluded), excluded
    assert not any("caller" in p for p in excluded), excluded


def services_methods(directory) -> list[str]:
    with directory.live.app.app_context():
        return list(services().methods)
