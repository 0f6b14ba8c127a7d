"""A directory's policies: one table of bounds and defaults, the values in effect, and
which changes are refused. Pure rules, no app."""

from __future__ import annotations

from dataclasses import fields

import pytest

from idp.config import KEYS_BY_NAME, Settings
from idp.domain.lifetimes import SessionLifetimes
from idp.domain.policies import (
    BY_NAME,
    POLICIES,
    InvalidPolicies,
    check_policies,
    longest_seconds,
    resolve_policies,
    stored_after,
    table_defaults,
)

INSTALLATION = {"failure_limit": 1000, "failure_ceiling": 1_000_000, "lockout_minutes": 0.5,
                "access_token_minutes": 60}


def test_every_policy_has_its_default_inside_its_bounds_and_one_row():
    assert len(BY_NAME) == len(POLICIES)
    for policy in POLICIES:
        assert policy.accepts(policy.default), policy.name
        assert policy.is_switch or policy.low <= policy.high


def test_the_defaults_are_todays_values():
    defaults = table_defaults()
    assert defaults["password_min_length"] == 8 and defaults["password_common_check"] is True
    assert (defaults["session_hours"], defaults["idle_minutes"]) == (
        SessionLifetimes().hours, SessionLifetimes().idle_minutes)
    assert defaults["longest_lockout_hours"] == 24
    settings = {f.name for f in fields(Settings)}
    for policy in POLICIES:
        if policy.setting is None:
            continue
        assert policy.setting in settings
        default = KEYS_BY_NAME["IDP_" + policy.setting.upper()].default
        if policy.name == "failure_limit":
            assert default == f"{policy.default} per 15 minutes"
        elif policy.name == "lockout_minutes":
            assert default.endswith(f"per {policy.default} minutes")
        elif policy.unit == "attempts" or policy.name == "device_days":
            assert default == policy.default
        else:
            assert default == policy.default * policy.seconds, policy.name


def test_a_directory_that_chose_nothing_follows_the_installation():
    policies = resolve_policies(None, INSTALLATION)
    assert policies["failure_ceiling"] == 1_000_000
    assert policies.seconds("lockout_minutes") == 30
    assert policies.seconds("access_token_minutes") == 3600
    assert policies.password_min_length == 8 and policies.password_common_check
    assert policies.chosen == frozenset()


def test_a_stored_value_holds_only_inside_its_bounds():
    policies = resolve_policies({"access_token_minutes": 5, "device_days": 9999,
                                 "password_common_check": "no", "nonsense": 3,
                                 "password_min_length": True}, INSTALLATION)
    assert policies.seconds("access_token_minutes") == 300
    assert policies["device_days"] == 90
    assert policies.password_common_check is True
    assert policies.password_min_length == 8
    assert policies.chosen == {"access_token_minutes"}


def test_session_lifetimes_come_from_their_own_columns_not_the_mapping():
    policies = resolve_policies({"session_hours": 3}, {"session_hours": 8, "idle_minutes": 15})
    assert policies.session_lifetimes == SessionLifetimes(8, 15)


def test_only_changed_values_are_checked_and_returned():
    current = resolve_policies(None, INSTALLATION)
    candidate = {**current.values, "access_token_minutes": 10}
    assert check_policies(candidate, current) == {"access_token_minutes": 10}


@pytest.mark.parametrize(("name", "value"), [
    ("password_min_length", 7), ("password_min_length", 65), ("failure_limit", 0),
    ("failure_ceiling", 101), ("access_token_minutes", 1441), ("device_days", 0),
    ("refresh_absolute_days", 366), ("password_common_check", 1), ("device_days", 9.5),
    ("device_days", True), ("idle_minutes", 4), ("session_hours", 721),
])
def test_a_value_out_of_bounds_is_refused_naming_its_field(name, value):
    with pytest.raises(InvalidPolicies) as refused:
        check_policies({name: value}, resolve_policies(None, INSTALLATION))
    assert refused.value.problems == {name: "out_of_bounds"}


def test_an_unknown_policy_is_refused():
    with pytest.raises(InvalidPolicies) as refused:
        check_policies({"no_such_policy": True}, resolve_policies(None, INSTALLATION))
    assert refused.value.problems == {"no_such_policy": "unknown"}


@pytest.mark.parametrize(("change", "field"), [
    ({"failure_limit": 20, "failure_ceiling": 10}, "failure_limit"),
    ({"failure_ceiling": 5}, "failure_ceiling"),
    ({"lockout_minutes": 180, "longest_lockout_hours": 2}, "lockout_minutes"),
    ({"refresh_token_days": 100}, "refresh_token_days"),
    ({"refresh_absolute_days": 10}, "refresh_absolute_days"),
    ({"session_hours": 1, "idle_minutes": 90}, "idle_minutes"),
])
def test_values_that_disagree_are_refused(change, field):
    current = resolve_policies(None, {"failure_limit": 10, "failure_ceiling": 100,
                                      "lockout_minutes": 15})
    with pytest.raises(InvalidPolicies) as refused:
        check_policies(change, current)
    assert refused.value.problems == {field: "inconsistent"}


def test_agreeing_values_pass_together():
    current = resolve_policies(None, {"failure_limit": 10, "failure_ceiling": 100})
    change = {"failure_limit": 50, "failure_ceiling": 50, "refresh_token_days": 120,
              "refresh_absolute_days": 120}
    assert check_policies(change, current) == change


def test_a_value_set_back_to_its_default_is_stored_as_nothing():
    stored = stored_after(None, {"access_token_minutes": 5, "device_days": 30}, INSTALLATION)
    assert stored == {"access_token_minutes": 5, "device_days": 30}
    assert stored_after(stored, {"access_token_minutes": 60}, INSTALLATION) == {
        "device_days": 30}
    assert stored_after(stored, {"session_hours": 2}, INSTALLATION) == stored


def test_the_longest_access_token_is_a_day():
    assert longest_seconds("access_token_minutes") == 86400


def test_self_registration_is_a_switch_that_is_off_unless_a_directory_turns_it_on():
    assert BY_NAME["self_registration"].is_switch
    assert resolve_policies(None, INSTALLATION).self_registration is False
    assert resolve_policies({"self_registration": True}, INSTALLATION).self_registration is True
    # A stored value that is no switch is out of bounds, and the default holds.
    assert resolve_policies({"self_registration": 1}, INSTALLATION).self_registration is False
    current = resolve_policies(None, INSTALLATION)
    assert check_policies({"self_registration": True}, current) == {"self_registration": True}
    with pytest.raises(InvalidPolicies):
        check_policies({"self_registration": "yes"}, current)  # type: ignore[dict-item]
