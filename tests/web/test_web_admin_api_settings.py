"""The admin API's authentication settings: read, preview, and save with the admin page's
refusals; every answer checked against idp/web/api/admin.openapi.yaml."""

from __future__ import annotations

import pytest

from idp.domain import DEFAULT_POINTS
from tests.support.live import new_mobile
from tests.web.admin_api import AdminApi, assert_api_error, service_api
from tests.web.test_web_admin_settings import audit_events, settings_of

# Only an SMS code (with the password) reaches level 30.
SMS_ONLY = {"required_level": 30,
            "points": {"email": 0, "totp": 0, "app": 0, "passkey": 0, "recovery": 0}}


@pytest.fixture
def api(directory) -> AdminApi:
    return service_api(directory, scopes="admin:settings")


def test_the_settings_are_read(directory, api):
    body = api.get("/settings").json()
    assert body == {"required_level": 30, "points": dict(DEFAULT_POINTS), "reset_level": 30,
                    "counts_for": dict.fromkeys(DEFAULT_POINTS)}


def test_how_long_methods_count_is_changed_and_left_out_ones_stay(directory, api):
    body = api.put("/settings", json={"counts_for": {"sms": 3600, "totp": 600}}).json()
    assert (body["counts_for"]["sms"], body["counts_for"]["totp"]) == (3600, 600)
    body = api.put("/settings", json={"counts_for": {"sms": None}}).json()
    assert (body["counts_for"]["sms"], body["counts_for"]["totp"]) == (None, 600)
    assert body["counts_for"]["password"] is None
    before, after = (event.detail for event in audit_events(directory))
    assert before["after"]["counts_for"]["totp"] == 600
    assert after["before"]["counts_for"]["sms"] == 3600 and after["after"]["counts_for"][
        "sms"] is None


def test_a_preview_lists_who_would_lose_access_and_saves_nothing(directory, api):
    directory.add_user("pv-ann")  # password only: 20 points
    totp = directory.add_user("pv-ben", totp=True)
    body = api.post("/settings/preview", json={"required_level": 40}).json()
    assert body["candidate"]["required_level"] == 40 and body["current"]["required_level"] == 30
    assert [p["username"] for p in body["losing"]] == [totp.username]
    assert [p["username"] for p in body["still_short"]] == ["pv-ann"]
    assert body["at_risk"] == []
    assert body["reachable"] is True and body["refusal"] is None
    assert body["confirmation"] is None
    assert settings_of(directory)[0] == 30
    assert audit_events(directory) == []


def test_saving_changes_the_settings_and_audits_the_service_account(directory, api):
    body = api.put("/settings", json={"required_level": 40, "points": {"sms": 20}}).json()
    assert body["required_level"] == 40 and body["points"]["sms"] == 20
    level, points = settings_of(directory)
    assert (level, points["sms"], points["totp"]) == (40, 20, DEFAULT_POINTS["totp"])
    (event,) = audit_events(directory)
    assert event.detail["actor_client"] == api.client.client_id
    assert event.detail["after"]["required_level"] == 40


def test_saving_the_same_settings_audits_nothing(directory, api):
    assert api.put("/settings", json={"required_level": 30}).status_code == 200
    assert audit_events(directory) == []


def test_a_level_no_combination_reaches_is_refused(directory, api):
    preview = api.post("/settings/preview", json={"required_level": 500}).json()
    assert preview["reachable"] is False
    assert "No combination" in preview["refusal"]
    response = api.put("/settings", json={"required_level": 500})
    assert "No combination" in assert_api_error(response, 400,
                                                "unreachable_level")["error_description"]
    assert settings_of(directory)[0] == 30


def test_an_sms_only_level_needs_the_confirmation_naming_who_it_excludes(directory, api):
    directory.add_user("pv-ivy", totp=True)  # no mobile number
    directory.add_user("pv-jack", phone=new_mobile())
    refused = api.put("/settings", json=SMS_ONLY)
    assert "Confirm" in assert_api_error(refused, 409,
                                         "confirmation_required")["error_description"]
    preview = api.post("/settings/preview", json=SMS_ONLY).json()
    assert preview["sms_only"] is True
    assert [p["username"] for p in preview["sms_excluded"]] == ["pv-ivy"]
    assert preview["confirmation"]

    # A confirmation for another list of people does not count.
    tampered = api.put("/settings", json={**SMS_ONLY, "confirm_sms_only": "0" * 32})
    assert "changed" in assert_api_error(tampered, 409,
                                         "confirmation_required")["error_description"]
    assert settings_of(directory)[1]["totp"] == DEFAULT_POINTS["totp"]

    saved = api.put("/settings", json={**SMS_ONLY, "confirm_sms_only": preview["confirmation"]})
    assert saved.status_code == 200
    assert settings_of(directory)[1]["totp"] == 0
    (event,) = audit_events(directory)
    assert event.detail["sms_only"] is True and event.detail["sms_excluded"] == 1
    assert event.detail["actor_client"] == api.client.client_id


def test_a_confirmation_goes_stale_when_the_excluded_people_change(directory, api):
    directory.add_user("pv-kim", totp=True)
    confirmation = api.post("/settings/preview", json=SMS_ONLY).json()["confirmation"]
    directory.add_user("pv-lou", totp=True)  # one more person without a mobile number
    response = api.put("/settings", json={**SMS_ONLY, "confirm_sms_only": confirmation})
    assert_api_error(response, 409, "confirmation_required")
    assert settings_of(directory)[1]["totp"] == DEFAULT_POINTS["totp"]


@pytest.mark.parametrize("body", [
    {"required_level": 0}, {"required_level": 5000}, {"required_level": "30"},
    {"required_level": True}, {"points": {"sms": -1}}, {"points": {"sms": 10**9}},
    {"points": {"nothing": 10}}, {"points": {"sms": "10"}}, {"points": [1, 2]},
    {"points": {"sms": 1.5}}, {"level": 30}, {"confirm_sms_only": 5},
    {"counts_for": {"sms": 59}}, {"counts_for": {"sms": 10**9}}, {"counts_for": {"sms": "1h"}},
    {"counts_for": {"fax": 600}}, {"counts_for": {"sms": True}}, {"counts_for": [600]},
])
def test_bad_settings_are_a_400(directory, api, body):
    assert_api_error(api.put("/settings", json=body), 400, "invalid_request")
    if "confirm_sms_only" not in body:
        assert_api_error(api.post("/settings/preview", json=body), 400, "invalid_request")
    assert settings_of(directory)[0] == 30


def test_settings_need_the_settings_scope(directory):
    api = service_api(directory, scopes="admin:users admin:audit")
    assert_api_error(api.get("/settings"), 403, "insufficient_scope")
    assert_api_error(api.put("/settings", json={"required_level": 40}), 403,
                     "insufficient_scope")
