"""The per-account failure limit: after too many failed verifications of one account, even
the right answer is refused for a while, while other accounts behind the same IP go on."""

from __future__ import annotations

import pytest

from tests.support.agent import Page
from tests.support.live import build_live, new_directory
from tests.web.helpers import assert_error_page, login_page, new_rp, password_step


@pytest.fixture(scope="module")
def limited(backend, database_url_factory):
    """A provider of its own that allows 3 failures per account and minute."""
    server = build_live(database_url_factory(backend), IDP_ACCOUNT_FAILURE_LIMIT="3 per minute")
    yield new_directory(server)
    server.stop()


def _wrong_password(rp, login: str):
    page = login_page(rp)
    return rp.agent.submit(page, "Log in", by_label={"Username or email": login,
                                                     "Password": "wrong password"})


def _totp_form(rp, user) -> Page:
    step_up = Page(password_step(rp, user))
    return Page(rp.agent.get(step_up.link("Continue with authenticator app")))


def _refused(response) -> None:
    assert_error_page(response, 429, "slow_down")
    assert int(response.headers["Retry-After"]) > 0


def test_after_three_wrong_passwords_the_right_one_is_refused(limited):
    client = limited.add_client()
    user = limited.add_user()
    bystander = limited.add_user()
    rp = new_rp(limited, client)

    failures = [_wrong_password(rp, user.username) for _ in range(3)]
    fourth = rp.agent.submit(login_page(rp), "Log in", by_label={
        "Username or email": user.username, "Password": user.password})

    assert [r.status_code for r in failures] == [400, 400, 400]
    _refused(fourth)
    # Same IP, other account: not affected.
    assert Page(password_step(new_rp(limited, client), bystander)).title == \
        "Set up a way to verify"


def test_the_email_address_shares_the_counter_of_the_username(limited):
    client = limited.add_client()
    user = limited.add_user()
    rp = new_rp(limited, client)

    for login in (user.username, f"{user.username}@example.org", user.username.upper()):
        assert _wrong_password(rp, login).status_code == 400
    fourth = rp.agent.submit(login_page(rp), "Log in", by_label={
        "Username or email": f"{user.username}@example.org", "Password": user.password})

    _refused(fourth)


def test_unknown_accounts_are_limited_too(limited):
    rp = new_rp(limited, limited.add_client())

    answers = [_wrong_password(rp, "nobody-at-all") for _ in range(4)]

    assert [r.status_code for r in answers] == [400, 400, 400, 429]


def test_after_three_wrong_totp_codes_the_right_one_is_refused(limited):
    client = limited.add_client()
    user = limited.add_user(totp=True)
    bystander = limited.add_user(totp=True)
    rp = new_rp(limited, client)
    form = _totp_form(rp, user)
    wrong = f"{(int(user.totp()) + 500_000) % 1_000_000:06d}"

    failures = []
    for _ in range(3):
        response = rp.agent.submit(form, "Verify", by_label={"Code": wrong})
        failures.append(response.status_code)
        form = Page(response)
    fourth = rp.agent.submit(form, "Verify", by_label={"Code": user.totp()})

    assert failures == [400, 400, 400]
    _refused(fourth)
    # The limit is the account's, not the IP's: another user behind it verifies fine.
    other = new_rp(limited, client)
    accepted = other.agent.submit(_totp_form(other, bystander), "Verify",
                                  by_label={"Code": bystander.totp()})
    assert "code" in other.response_params(accepted)
