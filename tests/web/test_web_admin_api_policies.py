"""The admin API's policies and text message destinations: read, and change with the admin
pages' bounds, agreement checks and refusals; audited with the service account as actor;
every answer checked against idp/web/api/admin.openapi.yaml."""

from __future__ import annotations

import pytest

from tests.support.live import new_mobile
from tests.web.admin_api import AdminApi, assert_api_error, service_api
from tests.web.test_web_admin_settings import audit_events
from tests.web.test_web_policies import policy


@pytest.fixture
def api(directory) -> AdminApi:
    return service_api(directory, scopes="admin:policies")


def by_name(body: dict) -> dict[str, dict]:
    return {p["name"]: p for p in body["policies"]}


def test_the_policies_are_read_with_their_defaults_and_bounds(api):
    policies = by_name(api.get("/policies").json())
    assert policies["password_min_length"] == {
        "name": "password_min_length", "group": "password", "unit": "characters", "value": 8,
        "default": 8, "chosen": False, "minimum": 8, "maximum": 64}
    assert policies["self_registration"]["value"] is False
    assert policies["self_registration"]["minimum"] is None
    assert len(policies) == 13


def test_changing_policies_stores_them_and_audits_the_service_account(directory, api):
    body = api.patch("/policies", json={"password_min_length": 12, "self_registration": True,
                                        "idle_minutes": 30}).json()
    policies = by_name(body)
    assert policies["password_min_length"]["value"] == 12
    assert policies["password_min_length"]["chosen"] is True
    assert policy(directory, "password_min_length") == 12
    assert policy(directory, "self_registration") is True
    assert policy(directory, "idle_minutes") == 30
    (event,) = audit_events(directory, "settings.policies_changed")
    assert event.detail["actor_client"] == api.client.client_id
    assert "actor" not in event.detail
    assert event.detail["after"] == {"password_min_length": 12, "self_registration": True,
                                     "idle_minutes": 30}
    assert event.detail["before"]["password_min_length"] == 8
    assert event.ip == "127.0.0.1" and event.user_agent, "the request it came from"


def test_the_same_values_are_no_change_and_audit_nothing(directory, api):
    assert api.patch("/policies", json={"password_min_length": 8}).status_code == 200
    assert audit_events(directory, "settings.policies_changed") == []


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"password_min_length": 7}, "password_min_length", "from 8 to 64"),
    ({"failure_limit": 101}, "failure_limit", "from 1 to 100"),
    ({"failure_limit": 50, "failure_ceiling": 20}, "failure_limit",
     "cannot be more than those from all unknown ones"),
    ({"refresh_token_days": 100}, "refresh_token_days", "cannot be longer than its absolute"),
    ({"lockout_minutes": 1440, "longest_lockout_hours": 1}, "lockout_minutes",
     "first lock-out cannot be longer"),
])
def test_values_the_page_refuses_are_refused_alike_and_nothing_is_stored(directory, api, body,
                                                                         field, words):
    before = {name: policy(directory, name) for name in body}
    refusal = assert_api_error(api.patch("/policies", json=body), 400, "invalid_request")
    assert refusal["error_description"].startswith(f"{field}: ") or \
        f" {field}: " in refusal["error_description"]
    assert words in refusal["error_description"]
    assert {name: policy(directory, name) for name in body} == before
    assert audit_events(directory, "settings.policies_changed") == []


@pytest.mark.parametrize("body", [
    {"password_min_length": "12"}, {"password_min_length": 12.5},
    {"password_min_length": True}, {"password_min_length": None}, {"self_registration": 1},
    {"self_registration": "yes"}, {"no_such_policy": 1}, {"password_min_length": 10**30},
    [1, 2], "text",
])
def test_wrong_types_and_unknown_fields_are_a_400(directory, api, body):
    assert_api_error(api.patch("/policies", json=body), 400, "invalid_request")
    assert policy(directory, "password_min_length") == 8


def test_a_body_too_large_or_not_json_is_refused(api):
    assert_api_error(api.patch("/policies", data="{" + " " * 20000 + "}",
                               headers={"Content-Type": "application/json"}), 413,
                     "invalid_request")
    assert_api_error(api.patch("/policies", data="password_min_length=12",
                               headers={"Content-Type": "application/x-www-form-urlencoded"}),
                     415, "invalid_request")


# --- where text message codes may go ---------------------------------------------------------

def test_the_destinations_are_read_in_codes_and_in_words(api):
    body = api.get("/policies/sms-destinations").json()
    assert body["default"] is True
    assert body["blocked_countries"] == ["AZ", "CU", "ST"]
    assert body["allowed_countries"] == []
    assert set(body["allowed_types"]) == {"mobile", "fixed_line_or_mobile"}
    assert any("Never to numbers of" in sentence for sentence in body["description"])


def test_a_preview_names_who_would_lose_text_messages_and_saves_nothing(directory, api):
    dutch = directory.add_user("dst-nl", phone=new_mobile())  # a Dutch mobile
    body = api.post("/policies/sms-destinations/preview",
                    json={"allowed_countries": ["BE"]}).json()
    assert [p["username"] for p in body["losing_sms"]] == [dutch.username]
    assert body["destinations"]["allowed_countries"] == ["BE"]
    assert api.get("/policies/sms-destinations").json()["allowed_countries"] == []
    assert audit_events(directory) == []


def test_saving_destinations_by_code_or_name_is_audited_with_the_service_account(directory,
                                                                                 api):
    body = api.put("/policies/sms-destinations", json={
        "allowed_countries": ["nl", "Belgium"], "blocked_prefixes": ["+3197"]}).json()
    assert body["destinations"]["allowed_countries"] == ["BE", "NL"]
    assert body["destinations"]["blocked_prefixes"] == ["+3197"]
    assert body["destinations"]["blocked_countries"] == ["AZ", "CU", "ST"]  # left out: stays
    assert api.get("/policies/sms-destinations").json()["allowed_countries"] == ["BE", "NL"]
    (event,) = audit_events(directory)
    assert event.detail["actor_client"] == api.client.client_id
    assert event.detail["after"]["sms_destinations"]["allowed_regions"] == ["BE", "NL"]


@pytest.mark.parametrize(("body", "words"), [
    ({"allowed_countries": ["Atlantis"]}, "allowed_countries: “Atlantis” is not a country"),
    ({"blocked_prefixes": ["3197"]}, "blocked_prefixes: “3197” is not a range"),
    ({"allowed_types": []}, "allowed_types: Choose at least one kind of number."),
    ({"allowed_types": ["landline"]}, "Unknown kind of number"),
    ({"allowed_countries": "NL"}, "must be a list"),
    ({"allowed_countries": ["NL"] * 301}, "at most 300"),
    ({"non_geographic": "yes"}, "must be a bool"),
    ({"countries": ["NL"]}, "Unknown field"),
])
def test_wrong_destinations_are_refused_naming_the_field(directory, api, body, words):
    refusal = assert_api_error(api.put("/policies/sms-destinations", json=body), 400,
                               "invalid_request")
    assert words in refusal["error_description"]
    assert api.get("/policies/sms-destinations").json()["default"] is True
    assert audit_events(directory) == []


def test_policies_need_the_policies_scope(directory):
    api = service_api(directory, scopes="admin:settings admin:users")
    assert_api_error(api.get("/policies"), 403, "insufficient_scope")
    assert_api_error(api.patch("/policies", json={"password_min_length": 12}), 403,
                     "insufficient_scope")
    assert_api_error(api.put("/policies/sms-destinations", json={"allowed_countries": ["BE"]}),
                     403, "insufficient_scope")
    assert policy(directory, "password_min_length") == 8
    assert audit_events(directory, "settings.policies_changed") == []
