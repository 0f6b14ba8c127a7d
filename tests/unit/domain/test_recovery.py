"""The reset level and the plan of a password reset: never weaker than a login, and the
password and the remembered device never count."""

import pytest

from idp.domain import (
    InvalidSettings,
    LevelSettings,
    check_reset_level,
    plan_reset,
    reset_level,
    reset_settings,
)


def test_the_reset_level_defaults_to_the_required_level_and_never_falls_below_it(settings):
    assert reset_level(settings, None) == settings.required_level
    assert reset_level(settings, 50) == 50
    raised = settings.with_changes(required_level=60)
    assert reset_level(raised, 50) == 60  # a required level raised later raises it too


def test_the_password_and_the_device_count_nothing_in_a_reset(settings):
    counted = reset_settings(settings)
    assert counted.points_of("password") == 0 and counted.points_of("device") == 0
    assert counted.points_of("sms") == settings.points_of("sms")
    assert counted.required_level == settings.required_level


@pytest.mark.parametrize("value", [0, -1, 1001, True, 12.5, "40"])
def test_a_reset_level_out_of_range_or_not_whole_is_refused(settings, value):
    with pytest.raises(InvalidSettings):
        check_reset_level(settings, value)


def test_a_reset_level_below_the_required_level_is_refused(settings):
    with pytest.raises(InvalidSettings, match="below the required level"):
        check_reset_level(settings, settings.required_level - 1)


def test_a_reset_level_no_method_but_the_password_reaches_is_refused():
    settings = LevelSettings.from_mapping(20, {"password": 20, "sms": 10, "email": 10})
    assert check_reset_level(settings, 20) == 20
    with pytest.raises(InvalidSettings, match="at most 20"):
        check_reset_level(settings, 21)


def test_unset_stays_unset(settings):
    assert check_reset_level(settings, None) is None


def test_a_reset_plan_offers_the_enrolled_methods_but_never_the_password(settings):
    plan = plan_reset(settings, None, ["email"], ["password", "email", "sms", "totp", "device"])
    assert (plan.level, plan.minimum, plan.missing) == (10, 30, 20)
    assert set(plan.options) == {"sms", "totp"} and plan.reachable
    assert "password" not in plan.options and plan.enrol_options == ()


def test_a_passkey_alone_reaches_the_default_reset_level(settings):
    plan = plan_reset(settings, None, ["passkey"], ["password", "passkey"])
    assert plan.satisfied


def test_a_password_and_a_remembered_device_prove_nothing_in_a_reset(settings):
    plan = plan_reset(settings, None, ["password", "device", "email"],
                      ["password", "device", "email"])
    assert plan.level == settings.points_of("email") and not plan.satisfied


def test_someone_whose_methods_fall_short_is_stuck_and_offered_no_enrolment(settings):
    plan = plan_reset(settings, None, ["email"], ["password", "email"])
    assert not plan.reachable and plan.options == () and plan.enrol_options == ()


def test_a_higher_reset_level_asks_for_more_than_a_login(settings):
    plan = plan_reset(settings, 40, ["passkey"], ["password", "passkey", "totp"])
    assert (plan.minimum, plan.options) == (40, ("totp",))
