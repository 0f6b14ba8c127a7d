"""Guessing at an account: one failure budget per account and source, reserved before the check.

A provider of its own trusts one proxy (X-Forwarded-For names the client's address, so
attempts can come from several addresses), allows 3 wrong answers per account and source
a minute, and 6 from all the sources an account never logged in from. It hashes passwords
and PINs at production cost, so a check takes as long as it does in production.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests

from clients.authenticator.api import ApiError, AuthenticatorApp
from idp.storage import db
from idp.storage.models import AppDevice, AttemptBudget, AuditEvent
from tests.conftest import delivery_settings
from tests.support.agent import Agent, Page
from tests.support.live import build_live, new_directory, new_mobile
from tests.support.rp import StrictRP
from tests.web.helpers import masked_phone, step_up_page

OWNER_ADDRESS = "198.51.100.10"
STRANGERS = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]


@pytest.fixture(scope="module")
def server(backend, database_url_factory, sms_gateway, mailbox):
    """A provider of its own behind one trusted proxy, with small failure budgets."""
    live = build_live(database_url_factory(backend), IDP_ACCOUNT_FAILURE_LIMIT="3 per minute",
                      IDP_ACCOUNT_FAILURE_CEILING=6, IDP_PROXY_COUNT=1,
                      IDP_ARGON2_MEMORY_KIB=19456, IDP_ARGON2_TIME_COST=2,
                      **delivery_settings(sms_gateway, mailbox))
    yield live
    live.stop()


@pytest.fixture
def place(server):
    """A fresh directory of that provider."""
    return new_directory(server)


def browser(place, client, address: str = OWNER_ADDRESS) -> StrictRP:
    """A relying party driving a new browser that reaches the provider from `address`."""
    agent = Agent(place.live.url)
    agent.http.headers["X-Forwarded-For"] = address
    return StrictRP(place, client, agent)


def wrong_password(rp: StrictRP, login: str) -> requests.Response:
    page = Page(rp.start(prompt="login"))
    return rp.agent.submit(page, "Log in", by_label={"Username or email": login,
                                                     "Password": "not the password"})


def right_password(rp: StrictRP, user) -> requests.Response:
    return rp.log_in(rp.start(prompt="login"), user)


def totp_form(rp: StrictRP, user) -> Page:
    return Page(rp.agent.get(Page(right_password(rp, user)).link(
        "Continue with authenticator app")))


def wrong_code(user) -> str:
    return f"{(int(user.totp()) + 500_000) % 1_000_000:06d}"


def assert_throttled(response: requests.Response) -> int:
    """A 429 page asking to wait; return the wait in seconds."""
    assert response.status_code == 429, f"{response.status_code}: {response.text[:300]}"
    assert "Too many attempts" in Page(response).text
    return int(response.headers["Retry-After"])


def budget_failures(place, user_key_part: str) -> dict[str, int]:
    with place.live.app.app_context():
        return {row.key: row.failures for row in db.session.query(AttemptBudget).filter(
            AttemptBudget.key.contains(user_key_part))}


def user_id(place, user) -> int:
    from idp.tenants.accounts import find_user
    from idp.tenants.directories import get_directory

    with place.live.app.app_context():
        return find_user(get_directory(place.slug), user.username).id


def audit_events(place, event: str) -> list[AuditEvent]:
    from idp.tenants.directories import get_directory

    with place.live.app.app_context():
        directory = get_directory(place.slug)
        return list(db.session.query(AuditEvent).filter_by(directory_id=directory.id,
                                                           event=event))


# -- the account is the session's user after the password step ------------------------------


def test_a_posted_username_never_moves_a_second_step_guess_to_another_account(place):
    user = place.add_user(totp=True)
    rp = browser(place, place.add_client())
    form = totp_form(rp, user)

    for index in range(3):
        response = rp.agent.submit(form, "Verify", by_label={"Code": wrong_code(user)},
                                   fields={"username": f"someone-else-{index}"})
        assert response.status_code == 400
        form = Page(response)
    right = rp.agent.submit(form, "Verify", by_label={"Code": user.totp()},
                            fields={"username": "someone-else-4"})

    assert_throttled(right)


def test_the_password_and_the_second_step_share_one_budget(place):
    user = place.add_user(totp=True)
    rp = browser(place, place.add_client())

    assert [wrong_password(rp, user.username).status_code for _ in range(2)] == [400, 400]
    form = totp_form(rp, user)  # the right password is no new guess allowance
    third = rp.agent.submit(form, "Verify", by_label={"Code": wrong_code(user)})
    fourth = rp.agent.submit(Page(third), "Verify", by_label={"Code": user.totp()})

    assert third.status_code == 400
    assert_throttled(fourth)


# -- strangers cannot keep the owner out --------------------------------------------------


def test_strangers_guessing_from_many_addresses_cannot_lock_the_owner_out_of_their_browser(
        place):
    place.set_levels(required_level=20)  # the password alone completes a login here
    client = place.add_client()
    owner = place.add_user()
    usual = browser(place, client)
    assert usual.response_params(right_password(usual, owner))["code"]

    answers = {address: [wrong_password(browser(place, client, address), owner.username)
                         .status_code for _ in range(4)] for address in STRANGERS[:2]}
    third = wrong_password(browser(place, client, STRANGERS[2]), owner.username)

    # 3 from each address, then that address waits; after 6 in all every unknown source waits.
    assert answers == {STRANGERS[0]: [400, 400, 400, 429], STRANGERS[1]: [400, 400, 400, 429]}
    assert_throttled(third)
    # A new browser of the owner is an unknown source too and waits with the strangers...
    assert_throttled(right_password(browser(place, client, "192.0.2.50"), owner))
    # ...but the browser the owner logged in with before has its own budget, even from an
    # address the strangers used.
    usual.agent.http.headers["X-Forwarded-For"] = STRANGERS[0]
    assert usual.response_params(right_password(usual, owner))["code"]


def test_a_known_browser_is_locked_out_on_its_own_and_others_go_on(place):
    place.set_levels(required_level=20)
    client = place.add_client()
    owner = place.add_user()
    usual = browser(place, client)
    usual.response_params(right_password(usual, owner))

    assert [wrong_password(usual, owner.username).status_code for _ in range(4)] == \
        [400, 400, 400, 429]
    elsewhere = browser(place, client, "192.0.2.77")
    assert elsewhere.response_params(right_password(elsewhere, owner))["code"]


def test_each_further_lock_out_of_a_source_lasts_twice_as_long(place, provider_clock):
    user = place.add_user()
    rp = browser(place, place.add_client(), STRANGERS[0])

    assert [wrong_password(rp, user.username).status_code for _ in range(3)] == [400] * 3
    first = assert_throttled(wrong_password(rp, user.username))
    provider_clock(first + 1)
    assert [wrong_password(rp, user.username).status_code for _ in range(3)] == [400] * 3
    second = assert_throttled(wrong_password(rp, user.username))

    assert 55 <= first <= 60
    assert 115 <= second <= 120


def test_the_owner_is_emailed_once_a_day_when_someone_guesses(place, mail):
    owner = place.add_user()
    client = place.add_client()

    for address in STRANGERS[:2]:
        for _ in range(3):
            wrong_password(browser(place, client, address), owner.username)

    notice = mail.wait_for(owner.email)
    assert notice["Subject"] == "Someone is trying to log in to your account"
    assert STRANGERS[0] in notice.get_body(("plain",)).get_content()
    with pytest.raises(AssertionError):
        mail.wait_for(owner.email, timeout=0.5)
    locks = [e for e in audit_events(place, "account.locked")
             if e.user_id == user_id(place, owner)]
    assert [e.ip for e in locks][:2] == STRANGERS[:2]
    assert {e.detail["scope"] for e in locks} == {"address", "unknown_sources"}


# -- concurrency: a try is reserved before it is checked ------------------------------------


def _post_all(requests_to_send: list[tuple[requests.Session, str, dict]]) -> list:
    """POST every (session, url, data) at once from its own thread; return the responses."""
    barrier = threading.Barrier(len(requests_to_send))
    answers: list = [None] * len(requests_to_send)

    def send(index: int, session: requests.Session, url: str, data: dict) -> None:
        barrier.wait()
        answers[index] = session.post(url, data=data, allow_redirects=False, timeout=60)

    threads = [threading.Thread(target=send, args=(i, *item))
               for i, item in enumerate(requests_to_send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def _copies(agent: Agent, count: int) -> list[requests.Session]:
    """Return sessions carrying the browser's cookies and headers (one per thread)."""
    sessions = []
    for _ in range(count):
        session = requests.Session()
        session.cookies.update(agent.http.cookies)
        session.headers.update(agent.http.headers)
        sessions.append(session)
    return sessions


def _form_data(page: Page, **values: str) -> tuple[str, dict]:
    form, _button = page.form_with_button("Verify")
    data = {tag["name"]: tag.get("value", "") for tag in form.find_all("input")
            if tag.get("name") and tag.get("type") not in ("checkbox", "submit")}
    data.update(values)
    return requests.compat.urljoin(page.url, form.get("action") or page.url), data


def test_concurrent_wrong_codes_check_no_more_than_the_limit(place):
    user = place.add_user(totp=True)
    rp = browser(place, place.add_client())
    page = totp_form(rp, user)
    url, data = _form_data(page, code=wrong_code(user))

    answers = _post_all([(session, url, data) for session in _copies(rp.agent, 20)])

    statuses = Counter(a.status_code for a in answers)
    assert statuses == {400: 3, 429: 17}, statuses
    failed = [e for e in audit_events(place, "method.failed") if e.user_id == user_id(place, user)]
    assert len(failed) == 3


@pytest.mark.parametrize("method", ["sms", "totp"])
def test_copies_of_a_right_code_are_no_guesses(place, gateway, method):
    place.set_levels(required_level=40)  # password, SMS code and authenticator app
    user = place.add_user(totp=True, phone=new_mobile())
    rp = browser(place, place.add_client())
    if method == "sms":
        page = Page(rp.agent.submit(step_up_page(rp, user),
                                    f"Text a code to {masked_phone(user.phone)}"))
        code = gateway.last_code(user.phone)
    else:
        page, code = totp_form(rp, user), user.totp()
    url, data = _form_data(page, code=code)

    # As many copies as the budget has tries: each is reserved, none may count.
    answers = _post_all([(session, url, data) for session in _copies(rp.agent, 3)])

    assert any(a.is_redirect for a in answers), [a.status_code for a in answers]
    texts = " ".join(Page(a).text for a in answers if not a.is_redirect)
    assert "Too many" not in texts and "not right" not in texts
    assert not [e for e in audit_events(place, "method.failed")
                if e.user_id == user_id(place, user)]
    assert all(failures == 0 for failures in budget_failures(
        place, f":u{user_id(place, user)}:").values())


# -- the app's PIN --------------------------------------------------------------------------


def test_concurrent_wrong_pins_check_no_more_than_ten(place):
    from tests.web.test_web_app_approval import ask_app, set_up_app, shown_number

    directory = place
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()
    app = set_up_app(rp, user)
    number = shown_number(ask_app(rp, user, prompt="login"))
    [pending] = app.pending()
    barrier = threading.Barrier(30)
    errors: list[str] = []

    def answer() -> None:
        copy = AuthenticatorApp(app.state)
        barrier.wait()
        try:
            copy.approve(pending["id"], number, "97286")
        except ApiError as exc:
            errors.append(exc.error)

    threads = [threading.Thread(target=answer) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    counts = Counter(errors)
    assert counts["wrong_pin"] == 9, counts
    assert counts["device_blocked"] == 21, counts
    [blocked] = [e for e in audit_events(directory, "app.blocked")
                 if e.user_id == user_id(directory, user)]
    assert blocked.detail["failures"] == 10
    # Each PIN checked is counted first: ten were checked, no more.
    with directory.live.app.app_context():
        device = db.session.query(AppDevice).filter_by(public_id=app.device_id).one()
        assert device.pin_failures == 10


# -- the per-IP limit -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def per_ip_server(backend, database_url_factory, sms_gateway, mailbox):
    """A provider of its own allowing 4 verifying requests per address and minute."""
    live = build_live(database_url_factory(backend), IDP_LOGIN_RATE_LIMIT="4 per minute",
                      **delivery_settings(sms_gateway, mailbox))
    yield new_directory(live)
    live.stop()


def test_the_per_ip_limit_is_one_budget_for_every_verifying_endpoint(per_ip_server):
    user = per_ip_server.add_user(totp=True, phone=new_mobile())
    rp = StrictRP(per_ip_server, per_ip_server.add_client())

    step_up = step_up_page(rp, user)                                        # 1: the password
    texted = Page(rp.agent.submit(step_up, f"Text a code to {masked_phone(user.phone)}"))  # 2
    totp = Page(rp.agent.get(step_up.link("Continue with authenticator app")))
    wrong = rp.agent.submit(totp, "Verify", by_label={"Code": wrong_code(user)})  # 3
    also_wrong = rp.agent.submit(Page(wrong), "Verify", by_label={"Code": wrong_code(user)})  # 4
    fifth = rp.agent.submit(texted, "Verify", by_label={"Code": "000000"})

    assert [wrong.status_code, also_wrong.status_code] == [400, 400]
    assert fifth.status_code == 429
