"""Session lifetimes and a refresh token's expiry: pure rules, no app."""

from __future__ import annotations

import pytest

from idp.domain.lifetimes import (
    InvalidLifetimes,
    SessionLifetimes,
    activity_due,
    refresh_expiry,
)

DAY = 86400.0


def test_the_defaults_are_inside_nists_limits_for_multi_factor_sessions():
    lifetimes = SessionLifetimes()
    assert (lifetimes.hours, lifetimes.idle_minutes) == (12, 60)
    assert lifetimes.within_aal2
    assert (lifetimes.absolute_seconds, lifetimes.idle_seconds) == (12 * 3600, 3600)


@pytest.mark.parametrize(("hours", "idle", "field"), [
    (0, 60, "hours"), (721, 60, "hours"), (-1, 60, "hours"), (True, 60, "hours"),
    (12.5, 60, "hours"), (12, 4, "idle_minutes"), (12, 1441, "idle_minutes"),
    (12, "60", "idle_minutes"), (1, 61, "idle_minutes"),
])
def test_lifetimes_out_of_bounds_are_refused_naming_the_value(hours, idle, field):
    with pytest.raises(InvalidLifetimes) as refused:
        SessionLifetimes(hours, idle)
    assert refused.value.field == field


@pytest.mark.parametrize(("hours", "idle", "within"), [
    (24, 60, True), (25, 60, False), (12, 61, False), (720, 1440, False), (1, 5, True)])
def test_nists_multi_factor_limits_are_24_hours_and_an_hour_idle(hours, idle, within):
    assert SessionLifetimes(hours, idle).within_aal2 is within


@pytest.mark.parametrize(("elapsed", "due"), [(0, False), (59.9, False), (60, True), (600, True)])
def test_activity_is_written_again_after_a_minute(elapsed, due):
    assert activity_due(1000.0, 1000.0 + elapsed) is due


def test_a_refresh_token_expires_after_its_idle_lifetime_within_the_grant():
    assert refresh_expiry(0.0, 10 * DAY, 30 * DAY, 90 * DAY) == 40 * DAY


def test_a_refresh_token_never_outlives_its_grants_absolute_lifetime():
    assert refresh_expiry(0.0, 80 * DAY, 30 * DAY, 90 * DAY) == 90 * DAY
