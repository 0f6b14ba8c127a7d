"""The development outbox: codes readable on a page in development, absent everywhere else."""

from __future__ import annotations

import pytest

from tests.support.agent import Agent, Page
from tests.support.live import build_live, new_directory, new_mobile
from tests.support.rp import StrictRP
from tests.web.helpers import enter_code, step_up_page


@pytest.fixture
def dev_live(backend, database_url_factory):
    """A provider as `make run` starts it: development, no mail server, no SMS gateway."""
    server = build_live(database_url_factory(backend), IDP_ENV="development")
    yield server
    server.stop()


def test_codes_land_in_the_outbox_page_and_log_the_user_in(dev_live):
    directory = new_directory(dev_live)
    user = directory.add_user(phone=new_mobile())
    rp = StrictRP(directory, directory.add_client())
    page = Page(rp.agent.submit(step_up_page(rp, user), "Text a code to"))

    outbox = Page(Agent(dev_live.url).get(dev_live.url + "/dev/outbox"))
    [entry] = [li for li in outbox.soup.select(".outbox li")
               if li.select_one(".to").get_text() == user.phone]
    code = entry.find("pre").get_text().splitlines()[-1].split("#")[1]

    assert outbox.title == "Development outbox"
    assert rp.response_params(enter_code(rp, page, code))["code"]


def test_the_outbox_page_does_not_exist_outside_development(live):
    response = Agent(live.url).get(live.url + "/dev/outbox")

    assert response.status_code == 404
