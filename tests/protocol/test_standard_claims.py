"""The standard claims a user gives (OIDC Core 5.1): released per scope (5.4) and per
individual claims request (5.5), in userinfo and the ID token, and advertised (Discovery 3).

A directory releases only the claims it asks its users for.
"""

from __future__ import annotations

import json

import requests
from sqlalchemy import select

from idp.clock import now
from idp.storage import db
from idp.storage.models import User
from idp.tenants.asked_claims import choose_asked_claims
from idp.tenants.directories import get_directory
from idp.users.claims import save_claims
from tests.protocol._helpers import signed_in

ADDRESS = {"street_address": "Dorpsstraat 1\nbus 2", "postal_code": "1234 AB",
           "locality": "Ons Dorp", "country": "Nederland"}
GIVEN = {"given_name": "Anna", "family_name": "de Vries", "middle_name": "Maria",
         "nickname": "An", "preferred_username": "anna", "profile": "https://example.org/anna",
         "picture": "https://example.org/anna.png", "website": "https://anna.example.org",
         "gender": "female", "birthdate": "0000-04-30", "zoneinfo": "Europe/Amsterdam",
         "locale": "nl-NL", **ADDRESS}
PROFILE_CLAIMS = ("given_name", "family_name", "middle_name", "nickname", "preferred_username",
                  "profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale")
EVERYTHING = (*PROFILE_CLAIMS, "address")


def give_claims(directory, user, asked=EVERYTHING, typed=None) -> None:
    """Let the directory ask for `asked`, and save the user's claims as a profile would."""
    with directory.live.app.app_context():
        choose_asked_claims(get_directory(directory.slug), asked)
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        save_claims(row, typed or GIVEN, EVERYTHING, now())
        db.session.commit()


def claims_param(**members: dict) -> str:
    return json.dumps(members)


def info_of(rp, tokens) -> dict:
    response = rp.userinfo(tokens["access_token"])
    assert response.status_code == 200, response.text
    return response.json()


def test_the_profile_scope_releases_the_given_profile_claims(rp, directory, user):
    give_claims(directory, user)
    info = info_of(rp, signed_in(rp, user, scope="openid profile"))
    assert {name: info.get(name) for name in PROFILE_CLAIMS} == {
        name: GIVEN[name] for name in PROFILE_CLAIMS}
    assert "address" not in info and "email" not in info


def test_the_address_scope_releases_the_structured_address(rp, directory, user):
    give_claims(directory, user)
    info = info_of(rp, signed_in(rp, user, scope="openid address"))
    assert info["address"] == ADDRESS  # OIDC Core 5.1.1: a JSON object of its members
    assert set(info) == {"sub", "address"}


def test_the_id_token_carries_no_scope_claims_unless_asked(rp, directory, user):
    give_claims(directory, user)
    claims = signed_in(rp, user, scope="openid profile address")["claims"]
    assert not {"given_name", "address", "zoneinfo"} & set(claims)


def test_claims_asked_for_in_the_id_token_are_in_it_without_their_scope(rp, directory, user):
    give_claims(directory, user)
    request = claims_param(id_token={"given_name": {"essential": True}, "address": None,
                                     "birthdate": None})
    claims = signed_in(rp, user, scope="openid", claims=request)["claims"]
    assert claims["given_name"] == "Anna" and claims["birthdate"] == "0000-04-30"
    assert claims["address"] == ADDRESS
    assert "family_name" not in claims


def test_claims_asked_for_in_userinfo_are_there_without_their_scope(rp, directory, user):
    give_claims(directory, user)
    request = claims_param(userinfo={"locale": None, "zoneinfo": {"essential": False},
                                     "address": {"essential": True}})
    tokens = signed_in(rp, user, scope="openid", claims=request)
    assert info_of(rp, tokens) == {"sub": user.subject, "locale": "nl-NL",
                                   "zoneinfo": "Europe/Amsterdam", "address": ADDRESS}
    assert "locale" not in tokens["claims"]  # asked for userinfo, not the ID token


def test_an_essential_claim_the_user_has_not_given_is_left_out_not_refused(rp, directory,
                                                                           user):
    give_claims(directory, user, typed={"given_name": "Anna"})
    request = claims_param(userinfo={"website": {"essential": True}},
                           id_token={"picture": {"essential": True}})
    tokens = signed_in(rp, user, scope="openid", claims=request)
    assert "picture" not in tokens["claims"]
    assert info_of(rp, tokens) == {"sub": user.subject}


def test_unknown_claims_in_a_request_are_ignored(rp, directory, user):
    give_claims(directory, user)
    request = claims_param(userinfo={"shoe_size": None, "given_name": None})
    tokens = signed_in(rp, user, scope="openid", claims=request)
    assert info_of(rp, tokens) == {"sub": user.subject, "given_name": "Anna"}


def test_a_claim_the_directory_does_not_ask_for_is_not_released(rp, directory, user):
    give_claims(directory, user)
    give_claims(directory, user, asked=("given_name",))  # the admin stops asking
    request = claims_param(userinfo={"birthdate": {"essential": True}},
                           id_token={"address": None})
    tokens = signed_in(rp, user, scope="openid profile address", claims=request)
    info = info_of(rp, tokens)
    assert info["given_name"] == "Anna"
    assert not {"family_name", "birthdate", "address", "locale"} & set(info)
    assert "address" not in tokens["claims"]
    assert info["preferred_username"] == user.username  # the username, as before


def test_preferred_username_is_the_username_until_the_user_gives_another(rp, directory, user):
    info = info_of(rp, signed_in(rp, user, scope="openid profile"))
    assert info["preferred_username"] == user.username
    give_claims(directory, user)
    info = info_of(rp, signed_in(rp, user, scope="openid profile"))
    assert info["preferred_username"] == "anna"


def test_updated_at_moves_when_the_claims_change(rp, directory, user, provider_clock):
    before = info_of(rp, signed_in(rp, user, scope="openid profile"))["updated_at"]
    provider_clock(60)
    give_claims(directory, user)
    after = info_of(rp, signed_in(rp, user, scope="openid profile"))["updated_at"]
    assert isinstance(after, int) and after >= before + 60


def test_the_phone_scope_releases_the_proven_mobile_number(rp, directory):
    user = directory.add_user(totp=True, phone="+31612345678")
    info = info_of(rp, signed_in(rp, user, scope="openid phone"))
    assert info["phone_number"] == "+31612345678" and info["phone_number_verified"] is True


def test_discovery_advertises_the_address_scope_and_every_standard_claim(directory):
    metadata = requests.get(f"{directory.issuer}/.well-known/openid-configuration",
                            timeout=30).json()
    assert set(metadata["scopes_supported"]) >= {"openid", "profile", "email", "address",
                                                 "phone"}
    assert set(metadata["claims_supported"]) >= {*EVERYTHING, "name", "email",
                                                 "email_verified", "phone_number",
                                                 "phone_number_verified", "updated_at"}
    assert metadata["claims_parameter_supported"] is True
