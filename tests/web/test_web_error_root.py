"""One error root: whatever a view raises of ours is answered by the one error handler."""

from __future__ import annotations

import pytest

from idp import create_app
from idp.domain import InvalidSettings, UnmetAuthenticationRequirements
from idp.errors import Busy, IdpError
from idp.security.passwords import HashingBusy
from tests.support.live import TEST_SETTINGS

RAISED = {
    "busy": Busy,
    "hashing-busy": HashingBusy,
    "invalid-settings": lambda: InvalidSettings("points must be between 0 and 100"),
    "unmet": UnmetAuthenticationRequirements,
}


@pytest.fixture(scope="module")
def client():
    """A provider with one extra view per error, each raising it."""
    app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": "sqlite://"})
    for name, error in RAISED.items():
        def view(error=error):
            raise error()
        app.add_url_rule(f"/raise/{name}", f"raise_{name}", view)
    return app.test_client()


def test_hashing_busy_is_the_providers_busy_error():
    assert issubclass(HashingBusy, Busy) and issubclass(Busy, IdpError)
    busy = HashingBusy()
    assert (busy.status, busy.error, busy.retry_after) == (503, "temporarily_unavailable", 2)


@pytest.mark.parametrize("name", ["busy", "hashing-busy"])
def test_a_busy_provider_answers_503_with_retry_after(client, name):
    response = client.get(f"/raise/{name}", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "The service is busy. Try again in a moment." in response.get_data(as_text=True)


@pytest.mark.parametrize(("name", "error", "detail"), [
    ("invalid-settings", "invalid_request", "points must be between 0 and 100"),
    ("unmet", "unmet_authentication_requirements",
     "The requested authentication level cannot be met."),
])
def test_a_broken_domain_rule_is_a_bad_request_with_its_protocol_code(client, name, error,
                                                                       detail):
    response = client.get(f"/raise/{name}", headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error in page and detail in page
