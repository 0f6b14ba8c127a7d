"""Recovery codes are a fallback: when only a code would reach the level, the login offers
to set up a method first; after a code is used it says how many are left, and offers new
codes when few are."""

from __future__ import annotations

import re

from sqlalchemy import select

from idp.services import services
from idp.storage import db
from idp.storage.models import User
from tests.support.agent import Agent, Page
from tests.support.recovery import issue_codes
from tests.support.rp import StrictRP
from tests.web.helpers import enter_code, step_up_page

CODE = re.compile(r"\b(\d{6})\b")
DUTCH = "nl-NL,nl;q=0.9"


def remaining(directory, user) -> int:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return services().methods["recovery"].remaining(row)


def at_forty(directory, agent: Agent | None = None):
    """A user at 30 (password and app) with recovery codes, in a directory asking 40."""
    directory.set_levels(required_level=40)
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, directory.add_client(), agent or Agent(directory.live.url))
    return user, rp


def after_the_app(rp: StrictRP, user) -> Page:
    """Log in with the password and the app; return the step-up page that follows."""
    form = Page(rp.agent.get(step_up_page(rp, user).link("Continue with authenticator app")))
    return Page(enter_code(rp, form, user.totp()))


def links(page: Page) -> list[str]:
    return [a.get_text(strip=True) for a in page.soup.select("main a.button")]


def use_code(rp: StrictRP, page: Page, code: str) -> Page:
    form = Page(rp.agent.get(page.link("Continue with recovery code")))
    return Page(rp.agent.submit(form, "Verify", by_label={"Code": code}))


def test_setting_up_a_method_is_offered_before_a_recovery_code(directory):
    user, rp = at_forty(directory)
    issue_codes(directory, user)

    page = after_the_app(rp, user)

    assert page.title == "Choose how to verify", page.text[:300]
    assert page.soup.find(id="enrol-first") is not None
    offered = links(page)
    assert offered[0] == "Set up a passkey", offered
    assert "Set up email codes" in offered and "Set up text message codes" in offered
    assert offered[-1] == "Continue with recovery code"  # last, and second in look
    fallback = page.soup.find(id="fallback").find("a")
    assert "secondary-button" in fallback["class"]
    headings = [h.get_text(strip=True) for h in page.soup.select("main h2")]
    assert headings == ["Set up a way to verify", "Or use a recovery code"]


def test_a_method_set_up_instead_reaches_the_level_and_keeps_every_code(directory, mail):
    user, rp = at_forty(directory)
    issue_codes(directory, user)
    page = after_the_app(rp, user)

    enrol = Page(rp.agent.get(page.link("Set up email codes")))
    sent = Page(rp.agent.submit(enrol, "Send the code"))
    code = CODE.search(mail.wait_for(user.email).get_body(("plain",)).get_content()).group(1)
    response = enter_code(rp, sent, code, button="Verify and turn on")

    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["acr"] == "40"
    assert remaining(directory, user) == 10


def test_a_password_alone_is_not_enough_to_set_up_a_method_for_a_user_with_codes(directory):
    # No app: the password is all this login proved, and the codes are the user's second
    # factor; a stolen password must not add a method.
    user = directory.add_user()
    issue_codes(directory, user)
    rp = StrictRP(directory, directory.add_client())

    page = step_up_page(rp, user)

    assert links(page) == ["Continue with recovery code"]
    assert page.soup.find(id="enrol-first") is None


def test_after_a_code_the_login_says_how_many_are_left_and_goes_on(directory):
    user, rp = at_forty(directory)
    codes = issue_codes(directory, user)

    left = use_code(rp, after_the_app(rp, user), codes[0])

    assert left.title == "You used a recovery code", left.text[:300]
    assert left.soup.find(id="codes-left").get_text(strip=True) == \
        "You have 9 recovery codes left."
    assert "Make new recovery codes" not in left.text  # nine are plenty
    response = rp.agent.submit(left, "Continue")
    assert rp.exchange(rp.response_params(response)["code"])["claims"]["acr"] == "40"


def test_when_few_codes_are_left_new_ones_are_offered_and_replace_them(directory):
    user, rp = at_forty(directory)
    codes = issue_codes(directory, user, left=4)

    left = use_code(rp, after_the_app(rp, user), codes[0])

    assert left.soup.find(id="codes-left").get_text(strip=True) == \
        "You have 3 recovery codes left."
    new = Page(rp.agent.submit(left, "Make new recovery codes"))
    assert new.title == "Save your recovery codes", new.text[:300]
    fresh = [li.get_text(strip=True) for li in new.soup.select("#recovery-codes li")]
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert remaining(directory, user) == 10
    response = rp.agent.submit(new, "Continue")
    assert rp.exchange(rp.response_params(response)["code"])["claims"]["acr"] == "40"


def test_the_last_code_used_says_none_are_left_and_offers_new_ones(directory):
    user, rp = at_forty(directory)
    codes = issue_codes(directory, user, left=1)

    left = use_code(rp, after_the_app(rp, user), codes[0])

    assert left.soup.find(id="codes-left").get_text(strip=True) == \
        "You have no recovery codes left."
    assert left.form_with_button("Make new recovery codes")
    response = rp.agent.submit(left, "Continue without new codes")
    assert rp.response_params(response)["code"]
    assert remaining(directory, user) == 0


def test_new_codes_are_made_only_when_the_page_offered_them(directory):
    user, rp = at_forty(directory)
    issue_codes(directory, user, left=2)
    page = after_the_app(rp, user)  # no code used yet: nothing was offered
    form = page.form_with_button("Cancel")[0]
    renew = page.url.split("?")[0] + "/recovery-codes"
    token = form.find("input", attrs={"name": "csrf_token"})["value"]

    response = rp.agent.http.post(renew, data={"csrf_token": token}, allow_redirects=False,
                                  timeout=30)

    assert response.status_code == 302
    assert remaining(directory, user) == 2
    again = Page(rp.agent.get(page.url))
    assert again.title == "Choose how to verify"


def test_the_fallback_pages_are_in_dutch(directory):
    agent = Agent(directory.live.url)
    agent.http.headers["Accept-Language"] = DUTCH
    user, rp = at_forty(directory, agent)
    codes = issue_codes(directory, user, left=3)
    login = Page(rp.start())
    step_up = Page(agent.submit(login, "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": user.username, "Wachtwoord": user.password}))
    form = Page(agent.get(step_up.link("Doorgaan met authenticator-app")))
    page = Page(enter_code(rp, form, user.totp(), button="Verifiëren"))

    assert page.soup.find("html")["lang"] == "nl"
    headings = [h.get_text(strip=True) for h in page.soup.select("main h2")]
    assert headings == ["Een manier van verifiëren instellen", "Of gebruik een herstelcode"]
    assert "Een passkey instellen" in links(page)
    form = Page(agent.get(page.link("Doorgaan met herstelcode")))
    left = Page(agent.submit(form, "Verifiëren", by_label={"Code": codes[0]}))
    assert left.title == "U hebt een herstelcode gebruikt", left.text[:300]
    assert left.soup.find(id="codes-left").get_text(strip=True) == \
        "U hebt nog 2 herstelcodes."
    assert left.form_with_button("Nieuwe herstelcodes maken")
