"""Where SMS codes may go: numbers SMS pumping uses are refused when typed (login enrolment,
profile, the admin's Users page) and never texted when stored; the admin sees the policy
in words, previews whom a change costs, and changes it with CSRF protection."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent
from idp.tenants.directories import get_directory, sms_policy
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.support.live import new_mobile
from tests.web.helpers import assert_sane, set_up_page, step_up_page

PUMPING_TARGETS = [
    ("+447011234567", "kind of number (personal number"),  # UK 070
    ("+881612345678", "satellite phones"),  # Iridium
    ("+5352123456", "numbers in Cuba"),
    ("+3197012345678", "range of numbers"),  # Dutch M2M
    ("+31900123456", "kind of number (premium rate)"),
]


def received_by(gateway, number: str) -> int:
    return sum(1 for r in gateway.received if r.body and r.body.get("to") == number)


def error_of(page: Page) -> str:
    found = page.soup.find(id="form-error") or page.soup.find(class_="error")
    assert found is not None, page.text[:500]
    return found.get_text(" ", strip=True)


def settings_page(directory):
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, "/admin/settings")
    assert page.title == "Authentication settings", page.text[:300]
    return admin, agent, page


def sms_fields(page: Page, **changes: str) -> dict[str, str]:
    """The destination form's fields as shown, with `changes` typed over them."""
    form = page.soup.find("form", action=lambda a: a and a.endswith("/admin/settings/sms"))
    values = {tag["name"]: tag.get("value", "") for tag in form.find_all("input")
              if tag.get("type") not in ("checkbox",)}
    values.update(changes)
    return values


def post_sms(agent, page: Page, action: str, types=("mobile", "fixed_line_or_mobile"),
             **changes: str):
    data = {**sms_fields(page, **changes), "action": action, "sms_types": list(types)}
    url = page.url.split("/admin/settings")[0] + "/admin/settings/sms"
    return agent.follow(agent.http.post(url, data=data, allow_redirects=False, timeout=30))


# --- typing a number ----------------------------------------------------------------------

@pytest.mark.parametrize(("number", "says"), PUMPING_TARGETS)
def test_a_pumping_number_typed_at_enrolment_is_refused_with_the_reason(
        rp, directory, gateway, number, says):
    user = directory.add_user(phone=None)
    page = Page(rp.agent.get(set_up_page(rp, user).link("Set up text message code")))

    response = rp.agent.submit(page, "Send the code", by_label={"Mobile number": number})

    assert response.status_code == 400
    assert says in error_of(Page(response))
    assert received_by(gateway, number) == 0


@pytest.mark.parametrize("number", ["+447400123456", "+12015550123", "+2348031234567",
                                    "+919812345678"])
def test_ordinary_mobiles_of_any_country_still_get_a_code(rp, directory, gateway, number):
    user = directory.add_user(phone=None)
    page = Page(rp.agent.get(set_up_page(rp, user).link("Set up text message code")))

    sent = Page(rp.agent.submit(page, "Send the code", by_label={"Mobile number": number}))

    assert sent.soup.find(id="code") is not None, sent.text[:300]
    assert gateway.wait_for(number)["to"] == number


def test_the_profile_refuses_a_pumping_number_as_the_new_phone(directory, gateway):
    directory.set_levels(20)
    user = directory.add_user()
    agent, _ = open_account_page(directory, user, "/account/phone")
    page = Page(agent.get(f"{directory.issuer}/account/phone"))

    response = agent.submit(page, "Send", fields={"value": "+447011234567"})

    assert response.status_code == 400
    assert "personal number" in Page(response).text
    assert received_by(gateway, "+447011234567") == 0


def test_the_admin_cannot_type_a_number_the_policy_refuses(directory):
    admin = directory.add_user(totp=True, admin=True)
    user = directory.add_user()
    agent, page = open_account_page(directory, admin, "/admin/users")
    edit = Page(agent.get(page.link(user.username)))

    response = agent.submit(edit, "Save", by_label={"Mobile number": "+881612345678"})

    assert response.status_code == 400
    assert "satellite phones" in Page(response).text


# --- a stored number ----------------------------------------------------------------------

def test_a_stored_number_the_policy_refuses_is_not_texted_and_the_login_says_why(
        rp, directory, gateway):
    user = directory.add_user(phone="+447011234567")  # proven before the policy

    page = set_up_page(rp, user)

    assert not [b for b in page.soup.find_all("button") if "Text a code" in b.get_text()]
    notice = " ".join(n.get_text(" ", strip=True) for n in page.soup.select("[role=status]"))
    assert "no longer sent by text message" in notice and "personal number" in notice
    assert page.link("Set up an authenticator app")  # other ways are offered
    # Asking for a code anyway sends nothing.
    token = page.soup.find("input", {"name": "csrf_token"})["value"]
    rp.agent.http.post(page.url + "/method/sms/send", data={"csrf_token": token},
                       allow_redirects=False, timeout=30)
    assert received_by(gateway, "+447011234567") == 0


def test_a_number_a_new_policy_forbids_gets_no_more_codes(rp, directory, gateway):
    phone = "+447400123456"
    user = directory.add_user(phone=phone)
    assert [b for b in step_up_page(rp, user).soup.find_all("button")
            if "Text a code" in b.get_text()]
    _admin, agent, page = settings_page(directory)
    saved = Page(post_sms(agent, page, "save", sms_blocked="AZ, CU, ST, United Kingdom"))
    assert "1 user no longer receives codes by text message" in saved.text

    later = set_up_page(rp.__class__(directory, rp.client), user)

    assert not [b for b in later.soup.find_all("button") if "Text a code" in b.get_text()]
    assert "numbers in United Kingdom are not texted" in later.text
    assert received_by(gateway, phone) == 0


# --- the admin's page ---------------------------------------------------------------------

def test_the_settings_page_shows_the_default_policy_in_words(directory):
    _admin, _agent, page = settings_page(directory)

    words = page.soup.find(id="sms-policy-words").get_text(" ", strip=True)
    assert "Cuba (CU)" in words and "+3197" in words and "This is the default policy" in words
    assert page.field_name("Blocked countries") == "sms_blocked"
    assert page.soup.find(id="sms-type-mobile").has_attr("checked")
    assert not page.soup.find(id="sms-type-voip").has_attr("checked")


def test_previewing_a_policy_names_who_would_lose_sms_and_saves_nothing(directory):
    directory.add_user("nina", phone="+2348031234567")
    directory.add_user("otto", phone=new_mobile())
    _admin, agent, page = settings_page(directory)

    preview = Page(post_sms(agent, page, "preview", sms_blocked="Cuba, NG"))

    assert preview.status == 200
    losing = [li.get_text(" ", strip=True) for li in preview.soup.select("#sms-losing li")]
    assert losing == ["Nina (nina)"], losing
    assert "Nigeria (NG)" in preview.soup.find(id="sms-policy-words").get_text(" ", strip=True)
    assert "nina" in preview.soup.find(id="sms-can-enrol").get_text(" ", strip=True)
    with directory.live.app.app_context():
        assert sms_policy(get_directory(directory.slug)).is_default


def test_saving_and_resetting_the_policy_is_audited(directory):
    _admin, agent, page = settings_page(directory)

    saved = Page(post_sms(agent, page, "save", types=("mobile",), sms_blocked="cu, Nigeria",
                          sms_prefixes="+3197, +44 70"))

    assert "The text message destinations were saved." in saved.text
    with directory.live.app.app_context():
        policy = sms_policy(get_directory(directory.slug))
        assert policy.blocked_regions == {"CU", "NG"}
        assert policy.allowed_types == {"mobile"}
        assert policy.blocked_prefixes == ("+3197", "+4470")
    Page(post_sms(agent, saved, "reset"))
    with directory.live.app.app_context():
        assert sms_policy(get_directory(directory.slug)).is_default
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.event == "settings.changed",
            AuditEvent.directory_id == get_directory(directory.slug).id)).all()
        assert [e.detail["after"]["sms_destinations"]["blocked_regions"] for e in events] == [
            ["CU", "NG"], ["AZ", "CU", "ST"]]


def test_changing_the_policy_needs_the_forms_csrf_token(directory):
    _admin, agent, page = settings_page(directory)
    data = {**sms_fields(page, sms_blocked="NL"), "action": "save", "sms_types": ["mobile"]}
    del data["csrf_token"]

    response = agent.http.post(f"{directory.issuer}/admin/settings/sms", data=data,
                               allow_redirects=False, timeout=30)

    assert response.status_code == 400
    with directory.live.app.app_context():
        assert sms_policy(get_directory(directory.slug)).is_default


@pytest.mark.parametrize(("changes", "types", "field"), [
    ({"sms_blocked": "Atlantis"}, ("mobile",), "sms_blocked-error"),
    ({"sms_allowed": "C1"}, ("mobile",), "sms_allowed-error"),
    ({"sms_prefixes": "3197"}, ("mobile",), "sms_prefixes-error"),
    ({"sms_prefixes": "+" + "1" * 30}, ("mobile",), "sms_prefixes-error"),
    ({"sms_blocked": "x" * 5000}, ("mobile",), "sms_blocked-error"),
    ({}, (), "sms_types-error"),
    ({}, ("satellite",), "sms_types-error"),
], ids=["unknown-country", "bad-code", "no-plus", "long-range", "oversized", "no-type",
        "unknown-type"])
def test_a_wrong_policy_is_refused_field_by_field(directory, changes, types, field):
    _admin, agent, page = settings_page(directory)

    response = post_sms(agent, page, "save", types=types, **changes)

    assert_sane(response)
    assert response.status_code == 400
    assert Page(response).soup.find(id=field) is not None
    with directory.live.app.app_context():
        assert sms_policy(get_directory(directory.slug)).is_default
