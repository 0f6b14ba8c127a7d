"""`idp directory set` and `idp keys rotate`."""

from __future__ import annotations

import re

import pytest

from idp.storage import db
from idp.tenants.accounts import create_user
from idp.tenants.directories import get_directory, level_settings, session_lifetimes, sms_policy
from tests.cli.helpers import jwks, provider, run_idp


def _levels(database_url: str):
    with provider(database_url):
        return level_settings(get_directory("default"))


def test_directory_set_changes_the_level_and_points(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()

    run = run_idp(sqlite_url, "directory", "set", "default", "--required-level", "40",
                  "--points", "totp=20", "sms=0").assert_ok()

    assert run.stdout.startswith("default: required level 40;"), run.stdout
    assert "totp=20" in run.stdout and "sms=0" in run.stdout and "password=20" in run.stdout
    settings = _levels(sqlite_url)
    assert settings.required_level == 40
    assert settings.points_of("totp") == 20
    assert settings.points_of("sms") == 0
    assert settings.points_of("passkey") == 30, "points not named stay as they were"


def test_directory_set_with_only_points_keeps_the_level(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()

    idp(sqlite_url, "directory", "set", "default", "--points", "email=0").assert_ok()

    settings = _levels(sqlite_url)
    assert settings.required_level == 30
    assert settings.points_of("email") == 0


DIRECTORY_ERRORS = {
    "unknown method": (["--points", "fingerprint=10"], "METHOD"),
    "negative points": (["--points", "totp=-5"], "METHOD=N"),
    "points not a number": (["--points", "totp=ten"], "METHOD=N"),
    "points without a value": (["--points", "totp"], "METHOD=N"),
    "too many points": (["--points", "totp=101"], "between 0 and 100"),
    "negative level": (["--required-level", "-5"], "required level"),
    "level zero": (["--required-level", "0"], "required level"),
    "level above the maximum": (["--required-level", "5000"], "required level"),
    # With the default points no combination of methods adds up to 200.
    "unreachable level": (["--required-level", "200"], "no combination"),
    "every method off": (["--points", "password=0", "sms=0", "email=0", "totp=0", "app=0",
                          "passkey=0", "recovery=0"], "no combination"),
}


def test_a_refused_setting_is_one_line_on_stderr_and_exit_1(initialized):
    run = run_idp(initialized, "directory", "set", "default", "--points", "fingerprint=10")

    run.assert_one_line_error("METHOD")


@pytest.mark.parametrize("case", DIRECTORY_ERRORS.values(), ids=DIRECTORY_ERRORS.keys())
def test_directory_set_refuses_invalid_values_and_keeps_the_settings(initialized, idp, case):
    args, fragment = case
    before = _levels(initialized)

    run = idp(initialized, "directory", "set", "default", *args)

    run.assert_one_line_error(fragment)
    assert _levels(initialized) == before


def _lifetimes(database_url: str):
    with provider(database_url):
        return session_lifetimes(get_directory("default"))


def test_directory_set_shows_and_changes_the_session_lifetimes(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()
    run = run_idp(sqlite_url, "directory", "set", "default").assert_ok()
    assert "sessions last 12 h, 60 min idle" in run.stdout, run.stdout

    run = run_idp(sqlite_url, "directory", "set", "default", "--session-hours", "8",
                  "--idle-minutes", "15").assert_ok()

    assert "sessions last 8 h, 15 min idle" in run.stdout, run.stdout
    assert (_lifetimes(sqlite_url).hours, _lifetimes(sqlite_url).idle_minutes) == (8, 15)
    idp(sqlite_url, "directory", "set", "default", "--idle-minutes", "30").assert_ok()
    assert (_lifetimes(sqlite_url).hours, _lifetimes(sqlite_url).idle_minutes) == (8, 30)


LIFETIME_ERRORS = {
    "no hours": (["--session-hours", "0"], "1 to 720 hours"),
    "over 30 days": (["--session-hours", "721"], "1 to 720 hours"),
    "negative hours": (["--session-hours", "-1"], "1 to 720 hours"),
    "idle under 5 minutes": (["--idle-minutes", "4"], "5 to 1440 minutes"),
    "idle over a day": (["--idle-minutes", "1441"], "5 to 1440 minutes"),
    "idle longer than the session": (["--session-hours", "1", "--idle-minutes", "90"],
                                     "cannot be longer than the session lifetime"),
}


@pytest.mark.parametrize("case", LIFETIME_ERRORS.values(), ids=LIFETIME_ERRORS.keys())
def test_directory_set_refuses_session_lifetimes_out_of_bounds(initialized, idp, case):
    args, fragment = case
    before = _lifetimes(initialized), _levels(initialized)

    run = idp(initialized, "directory", "set", "default", "--required-level", "40", *args)

    run.assert_one_line_error(fragment)
    assert (_lifetimes(initialized), _levels(initialized)) == before


def test_directory_set_of_an_unknown_directory_is_refused(initialized, idp):
    idp(initialized, "directory", "set", "nowhere", "--required-level", "40") \
        .assert_one_line_error("no directory")


def test_directory_set_with_a_non_number_level_is_a_usage_error(initialized, idp):
    run = idp(initialized, "directory", "set", "default", "--required-level", "high")

    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "invalid int value" in run.stderr


def _sms(database_url: str):
    with provider(database_url):
        return sms_policy(get_directory("default"))


def test_directory_set_changes_where_sms_codes_go_and_resets_it(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()
    with provider(sqlite_url):
        directory = get_directory("default")
        user = create_user(directory, username="nina", password=None, passwords=None,
                           now=1.0, phone="+2348031234567")
        user.phone_verified = True
        db.session.commit()

    run = idp(sqlite_url, "directory", "set", "default", "--sms-block-countries",
              "CU,Nigeria", "--sms-types", "mobile", "--sms-block-prefixes", "+3197,+4470")

    run.assert_ok()
    assert "Never to numbers of: Cuba (CU), Nigeria (NG)." in run.stdout
    assert "no longer texted: 1 (nina); locked out by it: 0" in run.stdout
    policy = _sms(sqlite_url)
    assert policy.blocked_regions == {"CU", "NG"} and policy.allowed_types == {"mobile"}
    assert policy.blocked_prefixes == ("+3197", "+4470")
    idp(sqlite_url, "directory", "set", "default", "--sms-default").assert_ok()
    assert _sms(sqlite_url).is_default


@pytest.mark.parametrize(("args", "fragment"), [
    (["--sms-block-countries", "Atlantis"], "--sms-blocked"),
    (["--sms-types", "satellite"], "--sms-types"),
    (["--sms-block-prefixes", "3197"], "--sms-prefixes"),
], ids=["unknown-country", "unknown-type", "range-without-plus"])
def test_directory_set_refuses_a_wrong_sms_policy(initialized, idp, args, fragment):
    run = idp(initialized, "directory", "set", "default", *args)

    run.assert_one_line_error(fragment)
    assert _sms(initialized).is_default


def test_keys_rotate_adds_new_keys_and_keeps_publishing_the_old_ones(any_database, idp):
    idp(any_database, "init").assert_ok()
    old = {key["kid"]: key for key in jwks(any_database)}

    run = run_idp(any_database, "keys", "rotate", "--directory", "default").assert_ok()

    printed = dict(re.findall(r"^New (RS256|ES256) key (\S+): published now, signs from ",
                              run.stdout, re.M))
    assert set(printed) == {"RS256", "ES256"}, run.stdout
    published = {key["kid"]: key for key in jwks(any_database)}
    assert set(published) == set(old) | set(printed.values())
    assert not set(old) & set(printed.values())
    for alg, kid in printed.items():
        assert published[kid]["alg"] == alg and published[kid]["use"] == "sig"
        assert "d" not in published[kid], "no private parts in the JWKS"


def test_keys_rotate_defaults_to_the_default_directory_and_knows_no_others(initialized, idp):
    rotated = idp(initialized, "keys", "rotate").assert_ok()
    unknown = idp(initialized, "keys", "rotate", "--directory", "nowhere")

    assert len(re.findall(r"^New ", rotated.stdout, re.M)) == 2
    unknown.assert_one_line_error("no directory")


def test_directory_set_changes_the_reset_level_and_refuses_a_weaker_one(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()

    run = run_idp(sqlite_url, "directory", "set", "default", "--reset-level", "40").assert_ok()

    assert "reset level 40;" in run.stdout, run.stdout
    with provider(sqlite_url):
        assert get_directory("default").reset_level == 40
    run_idp(sqlite_url, "directory", "set", "default", "--reset-level", "20") \
        .assert_one_line_error("below the required level")
    run_idp(sqlite_url, "directory", "set", "default", "--reset-level", "999") \
        .assert_one_line_error("other than the password")
    back = run_idp(sqlite_url, "directory", "set", "default", "--reset-level", "0").assert_ok()
    assert "reset level 30 (the required level);" in back.stdout, back.stdout
