"""New recovery codes without JavaScript: the download is a text file in the page itself,
named for the directory and the date; copy and print wait for JavaScript; the print style
sheet prints the codes alone. In English and Dutch, at login and on the profile."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote, urljoin

import pyotp

from idp.clock import now
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import set_up_page

DUTCH = "nl-NL,nl;q=0.9"


def codes_of(page: Page) -> list[str]:
    return [li.get_text(strip=True) for li in page.soup.select("#recovery-codes li")]


def downloaded(page: Page) -> tuple[str, str]:
    """Return the file name and the text of the page's download link."""
    link = page.soup.find(id="download-codes")
    prefix = "data:text/plain;charset=utf-8,"
    assert link["href"].startswith(prefix), link["href"][:60]
    return link["download"], unquote(link["href"][len(prefix):])


def today() -> str:
    return datetime.fromtimestamp(now(), UTC).date().isoformat()


def codes_at_login(rp: StrictRP, user, agent: Agent) -> Page:
    step_up = set_up_page(rp, user)
    enrol = Page(agent.get(step_up.link("Set up an authenticator app")))
    secret = enrol.soup.find(id="totp-secret")["data-secret"]
    page = Page(agent.submit(enrol, "Verify", by_label={"Code": pyotp.TOTP(secret).at(now())}))
    assert page.title == "Save your recovery codes", page.text[:300]
    return page


def test_the_login_codes_download_as_a_text_file_named_for_the_directory_and_day(directory):
    user = directory.add_user()
    rp = StrictRP(directory, directory.add_client())

    page = codes_at_login(rp, user, rp.agent)

    name, text = downloaded(page)
    assert name == f"Test-{directory.slug}-recovery-codes-{today()}.txt"
    assert f"Test {directory.slug}" in text and user.username in text and today() in text
    assert [line.split(". ")[1] for line in text.splitlines()[3:]] == codes_of(page)
    # Copy and print need JavaScript: hidden until the script shows them.
    for button in ("copy-codes", "print-codes"):
        assert page.soup.find(id=button).has_attr("hidden")
    scripts = [s["src"] for s in page.soup.find_all("script") if s.get("src")]
    assert any(src.endswith("/recovery.js") for src in scripts), scripts


def test_the_print_style_sheet_prints_the_codes_alone(directory):
    user = directory.add_user()
    rp = StrictRP(directory, directory.add_client())
    page = codes_at_login(rp, user, rp.agent)
    sheet = next(link["href"] for link in page.soup.find_all("link", rel="stylesheet")
                 if "style.css" in link["href"])

    css = rp.agent.http.get(urljoin(page.url, sheet), timeout=30).text

    printed = css[css.index("@media print"):]
    hidden_rule = printed.split("{")[1]  # the first rule inside the print block
    for hidden in ("header", "form", ".keep-codes"):
        assert hidden in hidden_rule, printed[:200]
    assert "display: none" in printed.split("}")[0]
    assert "columns: 2" not in css.split("@media print")[0]


def test_the_profile_codes_download_too(directory, mail):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/methods/recovery")

    page = Page(agent.submit(page, "Create new recovery codes"))

    name, text = downloaded(page)
    assert name == f"Test-{directory.slug}-recovery-codes-{today()}.txt"
    assert all(code in text for code in codes_of(page)) and len(codes_of(page)) == 10


def test_the_codes_page_is_dutch(directory):
    agent = Agent(directory.live.url)
    agent.http.headers["Accept-Language"] = DUTCH
    user = directory.add_user()
    rp = StrictRP(directory, directory.add_client(), agent)
    login = Page(rp.start())
    step_up = Page(agent.submit(login, "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": user.username, "Wachtwoord": user.password}))
    enrol = Page(agent.get(step_up.link("Authenticator-app instellen")))
    secret = enrol.soup.find(id="totp-secret")["data-secret"]

    page = Page(agent.submit(enrol, "Verifiëren",
                             by_label={"Code": pyotp.TOTP(secret).at(now())}))

    assert page.title == "Bewaar uw herstelcodes", page.text[:300]
    labels = [page.soup.find(id=i).get_text(strip=True)
              for i in ("copy-codes", "download-codes", "print-codes")]
    assert labels == ["Kopiëren", "Downloaden", "Afdrukken"]
    _name, text = downloaded(page)
    assert text.startswith(f"Herstelcodes van {user.username} voor Test {directory.slug}")
