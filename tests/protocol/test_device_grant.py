"""The device authorization grant (RFC 8628) over HTTP: a device asks, a person types its code
in a browser, logs in as for any login to the app and approves; the device polls.

The device is plain HTTP requests to the device authorization and token endpoints; the person
is an Agent. The provider's clock is moved instead of waiting for intervals and expiry.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from idp.domain.policies import FAILURE_LIMIT
from idp.storage import db
from idp.storage.models import AuditEvent, Consent, DeviceAuthorization
from idp.tenants.directories import get_directory
from idp.tenants.policies import update_policies
from tests.protocol._helpers import title
from tests.support.agent import Page
from tests.support.device import GRANT_TYPE, Device, approve, enter_code

USER_CODE = r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$"


@pytest.fixture
def device_client(directory):
    """A public app that may sign in devices with a code."""
    return directory.add_client(public=True, device_grant=True)


@pytest.fixture
def device(directory, device_client) -> Device:
    return Device(directory, device_client)


def test_discovery_names_the_endpoint_and_the_grant(directory):
    metadata = requests.get(f"{directory.issuer}/.well-known/openid-configuration",
                            timeout=30).json()
    assert metadata["device_authorization_endpoint"] == f"{directory.issuer}/device_authorization"
    assert GRANT_TYPE in metadata["grant_types_supported"]


def test_the_device_gets_codes_a_verification_uri_and_an_interval(directory, device):
    answer = device.ask()
    assert re.match(USER_CODE, answer["user_code"])
    assert len(answer["device_code"]) >= 43
    assert answer["verification_uri"] == f"{directory.issuer}/device"
    assert answer["verification_uri_complete"] == \
        f"{directory.issuer}/device?user_code={answer['user_code']}"
    assert (answer["expires_in"], answer["interval"]) == (600, 5)


def test_codes_are_stored_only_as_hashes(directory, device):
    answer = device.ask()
    with directory.live.app.app_context():
        row = db.session.scalars(select(DeviceAuthorization).order_by(
            DeviceAuthorization.id.desc())).first()
        stored = " ".join(str(v) for v in (row.device_code_hash, row.user_code_hash))
    letters = answer["user_code"].replace("-", "")
    assert answer["device_code"] not in stored and letters not in stored


def test_a_person_logs_in_is_stepped_up_approves_and_the_device_gets_tokens(directory, device,
                                                                             user):
    directory.set_levels(required_level=20)  # the password alone; the device asks for 30
    answer = device.ask(acr_values="30", scope="openid profile email")
    assert device.poll_error() == "authorization_pending"

    done = approve(device, answer, user)
    assert done.title == "Your device is signed in"
    (login,) = audited(directory, "login")
    assert (login.client_id, login.detail["acr"]) == (device.rp.client.client_id, "30")

    response = device.poll()
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"].lower() == "bearer" and tokens["refresh_token"]
    assert tokens["scope"].split() == ["openid", "profile", "email"]
    claims = device.rp.check_id_token(tokens["id_token"], tokens["access_token"])
    assert claims["sub"] == user.subject
    assert claims["aud"] == device.rp.client.client_id
    assert claims["acr"] == "30"
    assert {"pwd", "otp", "mfa"} <= set(claims["amr"])
    userinfo = device.rp.userinfo(tokens["access_token"])
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == user.subject
    refreshed = device.rp.token_request({"grant_type": "refresh_token",
                                         "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


def test_the_approval_page_says_what_the_device_asks_for(directory, device, user):
    answer = device.ask(scope="openid email")
    rp = device.rp
    response = rp.log_in(enter_code(rp.agent, answer["verification_uri_complete"]), user)
    page = Page(rp.verify_totp(response, user))
    assert page.title == f"Sign in to {rp.client.client_id} on your device?"
    assert user.username in page.text
    assert "know who you are" in page.text and "see your email address" in page.text
    assert page.soup.find(id="device-level").get_text(strip=True) == "30"
    assert device.poll_error() == "authorization_pending"  # nothing before Approve


def test_a_person_already_at_the_level_only_approves(directory, device, user):
    first = device.ask()
    approve(device, first, user)
    second = Device(directory, device.rp.client)
    second.rp.agent = device.rp.agent  # the same browser, still logged in
    answer = second.ask()
    page = Page(enter_code(second.rp.agent, answer["verification_uri_complete"]))
    assert page.title.startswith("Sign in to"), page.text[:300]
    second.rp.agent.submit(page, "Approve")
    assert second.poll().status_code == 200


def test_polling_faster_than_the_interval_is_slow_down_and_the_interval_grows(device,
                                                                              provider_clock):
    device.ask()
    assert device.poll_error() == "authorization_pending"
    assert device.poll_error() == "slow_down"  # at once: sooner than 5 s
    provider_clock(6)
    assert device.poll_error() == "slow_down"  # the interval is 10 s now
    provider_clock(15)
    assert device.poll_error() == "authorization_pending"  # 15 s: the new interval is kept
    provider_clock(15)
    assert device.poll_error() == "authorization_pending"


def test_a_denied_request_is_access_denied(directory, device, user):
    answer = device.ask()
    rp = device.rp
    response = rp.verify_totp(rp.log_in(enter_code(rp.agent, answer[
        "verification_uri_complete"]), user), user)
    done = Page(rp.agent.submit(Page(response), "Deny"))
    assert done.title == "Your device was not signed in"
    assert device.poll_error() == "access_denied"
    (event,) = audited(directory, "login.device_denied")
    assert (event.client_id, event.detail) == (rp.client.client_id, {"reason": "access_denied"})
    assert event.user_id is not None


def test_cancelling_the_login_denies_the_device(directory, device):
    answer = device.ask()
    page = Page(enter_code(device.rp.agent, answer["verification_uri_complete"]))
    assert page.title == "Log in"
    done = Page(device.rp.agent.submit(page, "Cancel"))
    assert done.title == "Your device was not signed in"
    assert device.poll_error() == "access_denied"


def test_an_expired_request_is_expired_token_and_its_code_no_longer_works(device,
                                                                          provider_clock):
    answer = device.ask()
    provider_clock(601)
    assert device.poll_error() == "expired_token"
    page = Page(enter_code(device.rp.agent, answer["verification_uri_complete"]))
    assert page.status == 400
    assert "expired or was already used" in page.text


def test_a_request_that_expires_during_the_login_cannot_be_approved(device, user,
                                                                    provider_clock):
    answer = device.ask()
    rp = device.rp
    response = rp.verify_totp(rp.log_in(enter_code(rp.agent, answer[
        "verification_uri_complete"]), user), user)
    provider_clock(601)
    refused = rp.agent.submit(Page(response), "Approve")
    assert refused.status_code == 400
    assert device.poll_error() == "expired_token"


def test_a_device_code_is_redeemed_once_when_two_polls_race(device, user):
    answer = device.ask()
    approve(device, answer, user)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: device.poll(), range(2)))
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [200, 400], [r.text for r in answers]
    loser = next(response for response in answers if response.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
    assert "access_token" not in loser.json()
    again = device.poll()
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_typed_code_may_be_spaced_and_lower_case(device, user):
    answer = device.ask()
    typed = answer["user_code"].lower().replace("-", " ")
    response = enter_code(device.rp.agent, answer["verification_uri"], typed)
    assert title(response) == "Log in"


@pytest.mark.parametrize("typed", ["", "BCDF", "BCDF-GHJK-LMNP", "AEIO-UUUU", "BCDF-GHJ1",
                                   "x" * 500, "BCDF\x00GHJK"])
def test_text_that_is_no_code_is_refused_without_counting_as_a_guess(directory, device, typed):
    limit_failures(directory, 1)
    response = enter_code(device.rp.agent, f"{directory.issuer}/device", typed or " ")
    assert response.status_code == 400
    assert "8 letters" in Page(response).text
    answer = device.ask()  # the budget is untouched: the right code still goes on
    assert title(enter_code(device.rp.agent, answer["verification_uri_complete"])) == "Log in"


def audited(directory, event: str) -> list[AuditEvent]:
    with directory.live.app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == get_directory(directory.slug).id,
            AuditEvent.event == event)))
        db.session.expunge_all()
        return rows


def limit_failures(directory, limit: int) -> None:
    with directory.live.app.app_context():
        update_policies(get_directory(directory.slug), {FAILURE_LIMIT: limit})
        db.session.commit()


def test_wrong_codes_draw_on_a_failure_budget(directory, device, provider_clock):
    limit_failures(directory, 3)
    answer = device.ask()
    agent = device.rp.agent
    for _ in range(3):
        wrong = enter_code(agent, f"{directory.issuer}/device", "BBBB-BBBB")
        assert wrong.status_code == 400
        assert "This code is not right" in Page(wrong).text
    locked = enter_code(agent, answer["verification_uri_complete"])  # even the right one
    assert locked.status_code == 429
    assert "Too many attempts" in Page(locked).text
    (lockout,) = audited(directory, "account.locked")
    assert lockout.detail["method"] == "user_code" and lockout.user_id is None
    provider_clock(61)  # the lock-out of the test installation's policy (1 minute)
    assert title(enter_code(agent, answer["verification_uri_complete"])) == "Log in"


def test_the_verification_page_needs_its_form_token(directory, device):
    answer = device.ask()
    response = requests.post(f"{directory.issuer}/device",
                             data={"user_code": answer["user_code"]}, timeout=30)
    assert response.status_code == 400
    assert device.poll_error() == "authorization_pending"


def test_an_app_without_the_switch_is_unauthorized_client(directory, user):
    plain = Device(directory, directory.add_client(public=True))
    response = plain.ask_raw()
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    poll = plain.poll("some-device-code")
    assert poll.status_code == 400 and poll.json()["error"] == "unauthorized_client"


def test_a_code_of_another_app_or_unknown_is_invalid_grant(directory, device):
    device.ask()
    other = Device(directory, directory.add_client(public=True, device_grant=True))
    assert other.poll(device.device_code).json()["error"] == "invalid_grant"
    assert device.poll("not-a-device-code").json()["error"] == "invalid_grant"
    assert device.poll("x" * 5000).json()["error"] == "invalid_grant"
    assert device.poll_error() == "authorization_pending"


def test_a_confidential_app_authenticates_as_at_the_token_endpoint(directory):
    confidential = directory.add_client(device_grant=True)
    device = Device(directory, confidential)
    assert device.ask()["user_code"]
    assert device.poll_error() == "authorization_pending"
    anonymous = requests.post(device.endpoint, data={"client_id": confidential.client_id},
                              timeout=30)
    assert anonymous.status_code in (400, 401)
    assert anonymous.json()["error"] == "invalid_client"


def test_a_level_no_method_reaches_is_refused_at_once(device):
    response = device.ask_raw(acr_values="200")
    assert response.status_code == 400
    assert response.json()["error"] == "unmet_authentication_requirements"


@pytest.mark.parametrize(("data", "error"), [
    ({"scope": ["openid", "profile"]}, "invalid_request"),
    ({"acr_values": ["30", "40"]}, "invalid_request"),
    ({"scope": "openid " * 400}, "invalid_request"),
    ({"acr_values": "3" * 600}, "invalid_request"),
    ({"acr_values": "000000000030"}, "invalid_request"),  # wider than a stored acr
    ({"scope": "openid\x00"}, "invalid_request"),
])
def test_malformed_requests_are_refused(device, data, error):
    response = requests.post(device.endpoint, data={"client_id": device.rp.client.client_id,
                                                    **data}, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error


def test_a_body_that_is_not_a_form_or_too_large_is_refused_as_json(device):
    endpoint = device.endpoint
    as_json = requests.post(endpoint, json={"client_id": device.rp.client.client_id},
                            timeout=30)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    huge = requests.post(endpoint, data={"client_id": "x", "scope": "a" * 3_000_000},
                         timeout=30)
    assert huge.status_code == 413 and huge.json()["error"] == "invalid_request"
    wrong_method = requests.get(endpoint, timeout=30)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]


def test_a_token_request_without_a_device_code_or_with_two_is_invalid_request(device):
    device.ask()
    response = device.rp.token_request({"grant_type": GRANT_TYPE})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    response = device.rp.token_request({"grant_type": GRANT_TYPE,
                                        "device_code": [device.device_code, "other"]})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_a_level_written_with_leading_zeros_is_answered_as_written(device, user):
    answer = device.ask(acr_values="030")
    approve(device, answer, user)
    tokens = device.poll().json()
    assert device.rp.check_id_token(tokens["id_token"])["acr"] == "030"


def test_an_app_that_asks_for_consent_gets_it_with_the_approval(directory, user):
    third_party = directory.add_client(public=True, device_grant=True, first_party=False)
    device = Device(directory, third_party)
    approve(device, device.ask(scope="openid email"), user)
    assert device.poll().status_code == 200
    with directory.live.app.app_context():
        scopes = db.session.scalars(select(Consent.scope)).all()
    assert "openid email" in scopes


def test_a_disabled_app_s_code_no_longer_works(directory, device, device_client):
    from idp.tenants.clients import get_client, set_client_disabled

    answer = device.ask()
    with directory.live.app.app_context():
        set_client_disabled(get_client(get_directory(directory.slug), device_client.client_id),
                            True, 0)
        db.session.commit()
    page = Page(enter_code(device.rp.agent, answer["verification_uri_complete"]))
    assert page.status == 400 and "may no longer sign in this way" in page.text
