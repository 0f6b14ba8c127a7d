"""The admin API's standard claims: which ones the directory's users are asked for, chosen
as on the Profile details page; audited with the service account as actor; every answer
checked against idp/web/api/admin.openapi.yaml."""

from __future__ import annotations

import pytest

from idp.domain.claims import EDITABLE_CLAIMS
from tests.support.account import open_account_page
from tests.web.admin_api import AdminApi, assert_api_error, service_api
from tests.web.test_web_admin_settings import audit_events

DEFAULTS = ["given_name", "family_name", "preferred_username", "zoneinfo", "locale"]


@pytest.fixture
def api(directory) -> AdminApi:
    return service_api(directory, scopes="admin:claims")


def claims_events(directory):
    return audit_events(directory, "settings.claims_changed")


def test_the_claims_asked_are_read_with_those_that_may_be_asked(api):
    assert api.get("/claims").json() == {"asked": DEFAULTS, "available": list(EDITABLE_CLAIMS),
                                         "defaults": DEFAULTS}


def test_choosing_claims_changes_the_profile_form_and_audits_the_service_account(directory,
                                                                                 api):
    body = api.put("/claims", json={"asked": ["nickname", "birthdate", "website"]}).json()
    assert body["asked"] == ["nickname", "website", "birthdate"]
    _agent, page = open_account_page(directory, directory.add_user(totp=True),
                                     "/account/details")
    assert page.soup.find(attrs={"name": "nickname"}) is not None
    assert page.soup.find(attrs={"name": "given_name"}) is None
    (event,) = claims_events(directory)
    assert event.detail["actor_client"] == api.client.client_id
    assert event.detail["before"] == DEFAULTS
    assert event.detail["after"] == ["nickname", "website", "birthdate"]


def test_choosing_the_same_claims_audits_nothing(directory, api):
    assert api.put("/claims", json={"asked": list(reversed(DEFAULTS))}).status_code == 200
    assert claims_events(directory) == []


def test_choosing_none_asks_for_nothing(api):
    assert api.put("/claims", json={"asked": []}).json()["asked"] == []


@pytest.mark.parametrize(("body", "words"), [
    ({"asked": ["email"]}, "Choose only from the available claims; not 'email'."),
    ({"asked": ["sub", "nickname"]}, "not 'sub'"),
    ({"asked": "nickname"}, "must be a list"),
    ({"asked": [1]}, "is a list of at most"),
    ({"asked": ["x" * 41]}, "is a list of at most"),
    ({"asked": ["nickname"] * 21}, "is a list of at most"),
    ({}, "The field 'asked' is required."),
    ({"asked": [], "more": 1}, "Unknown field"),
])
def test_bad_choices_are_refused_and_nothing_changes(directory, api, body, words):
    refusal = assert_api_error(api.put("/claims", json=body), 400, "invalid_request")
    assert words in refusal["error_description"]
    assert api.get("/claims").json()["asked"] == DEFAULTS
    assert claims_events(directory) == []


def test_the_claims_need_the_claims_scope(directory):
    api = service_api(directory, scopes="admin:users admin:brand admin:policies")
    assert_api_error(api.get("/claims"), 403, "insufficient_scope")
    assert_api_error(api.put("/claims", json={"asked": []}), 403, "insufficient_scope")
    assert claims_events(directory) == []
