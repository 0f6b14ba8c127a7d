"""Error pages for people: a headline in words, what to do next, a way back (to the app of
the login, the directory's account page, or the start), the directory's own brand; and a
wrong code counts the tries that every limit still allows."""

from __future__ import annotations

import pytest

from idp.domain.policies import FAILURE_LIMIT
from idp.storage import db
from idp.tenants.directories import get_directory
from idp.tenants.policies import update_policies
from tests.support.agent import Agent, Page
from tests.support.live import new_mobile
from tests.support.rp import StrictRP
from tests.web.helpers import assert_sane, interaction_url, login_page, step_up_page


def error_page(response, status: int, code: str, headline: str) -> Page:
    assert_sane(response)
    assert response.status_code == status, f"{response.status_code}: {response.text[:300]}"
    page = Page(response)
    assert page.title == headline, page.text[:300]
    assert page.soup.find(id="error-code").get_text(strip=True) == code
    # The code is small print for whoever helps, never an alert of its own.
    alerts = [tag.get_text(" ", strip=True) for tag in page.soup.find_all(role="alert")]
    assert not any(code in alert for alert in alerts), alerts
    assert page.soup.find(id="error-description").get_text(strip=True)
    return page


def brand(page: Page) -> str:
    return page.soup.find(class_="brand").get_text(strip=True)


def name_of(directory) -> str:
    with directory.live.app.app_context():
        return get_directory(directory.slug).name


def way_back(page: Page) -> tuple[str, str]:
    link = page.soup.find(id="way-back")
    assert link is not None, page.text[:500]
    return link["href"], link.get_text(strip=True)


def limit_failures(directory, limit: int) -> None:
    with directory.live.app.app_context():
        update_policies(get_directory(directory.slug), {FAILURE_LIMIT: limit})
        db.session.commit()


def test_an_unknown_page_of_a_directory_wears_its_brand_and_leads_to_the_account(directory):
    response = Agent(directory.live.url).get(f"{directory.issuer}/no-such-page")

    page = error_page(response, 404, "not_found", "Page not found")
    assert brand(page) == name_of(directory)
    assert way_back(page) == (f"/d/{directory.slug}/account/", "Go to your account")


def test_an_unknown_page_outside_directories_leads_to_the_start(live):
    page = error_page(Agent(live.url).get(f"{live.url}/no-such-page"), 404, "not_found",
                      "Page not found")
    assert way_back(page) == ("/", "Go to the start page")


def test_the_error_page_speaks_dutch(directory):
    response = Agent(directory.live.url).get(f"{directory.issuer}/no-such-page?lang=nl")
    page = error_page(response, 404, "not_found", "Pagina niet gevonden")
    assert way_back(page)[1] == "Naar uw account"


def test_an_expired_login_says_so_in_words_and_leads_back_to_its_app(directory, provider_clock):
    rp = StrictRP(directory, directory.add_client(redirect_uri="https://app.example.org/cb"))
    url = interaction_url(login_page(rp))
    provider_clock(31 * 60)  # past the 30 minutes a login may take

    page = error_page(rp.agent.get(url), 400, "interaction_expired", "This login has ended")
    assert brand(page) == name_of(directory)
    href, text = way_back(page)
    assert href == "https://app.example.org/"
    assert text.startswith("Back to ")


def test_another_browsers_login_does_not_name_its_app(directory):
    rp = StrictRP(directory, directory.add_client(redirect_uri="https://app.example.org/cb"))
    url = interaction_url(login_page(rp))
    stranger = Agent(directory.live.url)

    page = error_page(stranger.get(url), 400, "interaction_expired", "This login has ended")
    assert way_back(page) == (f"/d/{directory.slug}/account/", "Go to your account")
    assert "app.example.org" not in page.response.text


def test_too_many_wrong_passwords_say_so_with_the_brand_and_a_way_back(directory):
    limit_failures(directory, 2)
    user = directory.add_user()
    rp = StrictRP(directory, directory.add_client(redirect_uri="https://app.example.org/cb"))
    page = login_page(rp)
    for _ in range(2):
        wrong = rp.agent.submit(page, "Log in", by_label={"Username or email": user.username,
                                                          "Password": "not the password"})
        assert wrong.status_code == 400
        page = Page(wrong)

    response = rp.agent.submit(page, "Log in", by_label={"Username or email": user.username,
                                                         "Password": "not the password"})

    shown = error_page(response, 429, "slow_down", "Too many attempts")
    assert brand(shown) == name_of(directory)
    assert "Try again in" in shown.text
    assert way_back(shown)[0] == "https://app.example.org/"


@pytest.mark.parametrize("limit", [2, 3])
def test_the_tries_left_are_the_fewest_any_limit_allows(directory, gateway, limit):
    limit_failures(directory, limit)
    user = directory.add_user(phone=new_mobile())
    rp = StrictRP(directory, directory.add_client())
    step_up = step_up_page(rp, user)
    form = Page(rp.agent.submit(step_up, "Text a code to"))
    assert form.title == "Enter the code we texted you", form.text[:300]
    right = gateway.last_code(user.phone)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    said = []
    for _ in range(limit):
        response = rp.agent.submit(form, "Verify", by_label={"Code": wrong})
        assert response.status_code == 400, response.text[:300]
        form = Page(response)
        said.append(form.soup.find(id="form-error").get_text(" ", strip=True))
    # Each wrong code counts down to the account's limit, and the last says no number.
    expected = [f"This code is not right. {n} {'try' if n == 1 else 'tries'} left."
                for n in range(limit - 1, 0, -1)]
    assert said[:-1] == expected, said
    assert "left" not in said[-1], said

    refused = rp.agent.submit(form, "Verify", by_label={"Code": right})
    assert refused.status_code == 429
