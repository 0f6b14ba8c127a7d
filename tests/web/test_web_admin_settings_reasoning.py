"""What the settings page tells the admin: remembered-device combinations, everyone who
falls short named, and who reaches the level only by spending recovery codes."""

from __future__ import annotations

from sqlalchemy import select

from idp.clock import now
from idp.services import services
from idp.storage import db
from idp.storage.models import User
from idp.tenants.directories import get_directory
from tests.support.agent import Page
from tests.support.live import new_mobile
from tests.web.test_web_admin_settings import admin_page, fields, listed, press


def give_recovery_codes(directory, username: str) -> None:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(
            User.directory_id == get_directory(directory.slug).id,
            User.username == username)).one()
        services().methods["recovery"].issue(row, now())
        db.session.commit()


def rows_of(page, table_id: str) -> dict[str, list[str]]:
    return {tr.find("th").get_text(" ", strip=True): [
        td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in page.soup.select(f"#{table_id} tbody tr")}


def test_the_table_lists_password_and_remembered_device_as_not_a_second_factor(directory):
    directory.set_levels(device=10)
    _admin, agent, page = admin_page(directory)
    rows = rows_of(page, "current-combinations")
    device = "Password + Remembered device *"
    assert device in rows, list(rows)
    assert rows[device][:2] == ["30", "No"]  # 30 points, not multi-factor
    assert list(rows)[-1] == device  # after every way of a first login
    note = page.soup.find(id="current-combinations-device-note").get_text(" ", strip=True)
    assert "not a second factor" in note and "10 points" in note
    # The preview's reasoning lists it too, for the candidate settings.
    preview = press(agent, page, "Preview", fields(device=10))
    assert device in rows_of(preview, "preview-combinations")
    assert "not a second factor" in preview.soup.find(
        id="preview-combinations-device-note").get_text()


def test_without_device_points_no_device_combination_is_listed(directory):
    directory.set_levels(device=0)
    _admin, _agent, page = admin_page(directory)
    assert not any("Remembered device" in r for r in rows_of(page, "current-combinations"))
    assert page.soup.find(id="current-combinations-device-note") is None


def test_the_preview_names_those_who_cannot_reach_the_current_level_either(directory):
    directory.add_user("carl")  # a password only: 20 of 30 today, 20 of 40 then
    directory.add_user("dana")
    _admin, agent, page = admin_page(directory, phone=new_mobile())
    preview = press(agent, page, "Preview", fields(40))
    assert "2 users cannot reach the current level either" in preview.text
    people = listed(preview, "still-short-people")
    assert [p.split(":")[0] for p in people] == ["Carl (carl)", "Dana (dana)"]
    assert "passkey" in people[0]  # 20 + 30: what they could enrol


def test_the_preview_names_who_reaches_the_level_only_by_spending_recovery_codes(directory):
    directory.add_user("rita")
    give_recovery_codes(directory, "rita")  # password + a code: 30, every login spends one
    directory.add_user("tom", totp=True)
    give_recovery_codes(directory, "tom")  # password + app: 30 without a code
    _admin, agent, page = admin_page(directory)
    preview = press(agent, page, "Preview", fields())
    box = preview.soup.find(id="at-risk")
    assert box is not None, preview.text[:800]
    assert "1 would reach level 30 only by spending recovery codes" in box.get_text(" ")
    people = listed(preview, "at-risk-people")
    assert len(people) == 1 and people[0].startswith("Rita (rita)")
    assert "authenticator app" in people[0]  # what would spare the codes
    # At 40, tom (password + app + codes) needs a code on top every time, and is named.
    higher = press(agent, preview, "Preview", fields(40))
    assert [p.split(":")[0] for p in listed(higher, "at-risk-people")] == ["Tom (tom)"]


def test_the_preview_in_dutch_names_the_people_at_risk(directory):
    directory.add_user("rita")
    give_recovery_codes(directory, "rita")
    _admin, agent, page = admin_page(directory)
    dutch = Page(agent.get(f"{directory.issuer}/admin/settings?lang=nl"))
    preview = press(agent, dutch, "Voorbeeld", fields())
    assert preview.soup.find(id="at-risk") is not None
    assert "herstelcodes" in preview.soup.find(id="at-risk").get_text()
