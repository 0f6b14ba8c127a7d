"""Steps of the account pages' tests: log in to a page as a person does, without JavaScript."""

from __future__ import annotations

from tests.support.agent import Agent, Page
from tests.support.live import TestDirectory, TestUser


def open_account_page(directory: TestDirectory, user: TestUser, path: str = "/account/",
                      agent: Agent | None = None) -> tuple[Agent, Page]:
    """Open an account page (a path under /d/SLUG), logging in with the password and, when
    asked, the user's authenticator app; return the browser and the page it ends on.

    A page that asks to log in again (a change that needs a recent login) is continued.
    """
    agent = agent or Agent(directory.live.url)
    page = Page(agent.get(directory.issuer + path))
    if page.title == "Log in again":
        page = Page(agent.submit(page, "Continue"))
    if page.title.startswith("Log in"):
        page = Page(agent.submit(page, "Log in", by_label={
            "Username or email": user.username, "Password": user.password}))
    if page.title == "Choose how to verify" and user.totp_secret:
        form = Page(agent.get(page.link("Continue with authenticator app")))
        page = Page(agent.submit(form, "Verify", by_label={"Code": user.totp()}))
    return agent, page
