import dataclasses

import pytest

from idp.domain import LevelSettings, StepUpPlan, plan_step_up


def test_session_at_the_minimum_needs_no_step_up(settings):
    plan = plan_step_up(settings, ["passkey"], 30, ["password", "passkey", "sms"], ["totp"])
    assert plan == StepUpPlan(
        level=30,
        minimum=30,
        missing=0,
        options=(),
        enrol_options=(),
        satisfied=True,
        reachable=True,
    )


def test_plan_is_frozen(settings):
    plan = plan_step_up(settings, [], 30, [], [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.level = 100  # type: ignore[misc]


def test_password_user_is_offered_the_enrolled_second_methods(settings):
    plan = plan_step_up(settings, ["password"], 30, ["password", "sms", "totp"], [])
    assert (plan.level, plan.missing) == (20, 10)
    assert plan.options == ("sms", "totp")
    assert (plan.satisfied, plan.reachable) == (False, True)


def test_options_are_sorted_by_points_then_method_order():
    settings = LevelSettings().with_changes(points={"recovery": 30})
    plan = plan_step_up(
        settings, ["password"], 40, ["recovery", "totp", "passkey", "email", "password"], []
    )
    assert plan.options == ("passkey", "recovery", "email", "totp")


def test_completed_methods_are_not_offered_again(settings):
    plan = plan_step_up(settings, ["password", "sms"], 50, ["password", "sms", "totp", "app"], [])
    assert plan.options == ("totp", "app")


def test_a_passkey_user_who_needs_the_password_is_sent_to_the_login_form_first(settings):
    # The step-up page has no password step: the login form asks for it.
    plan = plan_step_up(settings, ["passkey"], 50, ["password", "passkey"], [])
    assert plan.options == ()
    assert (plan.login_first, plan.reachable) == (True, True)


def test_the_password_comes_before_the_steps_that_cannot_reach_the_minimum_without_it(settings):
    plan = plan_step_up(settings, ["passkey"], 60, ["password", "passkey", "sms"], [])
    assert (plan.login_first, plan.options) == (True, ())


def test_a_passkey_user_is_stepped_up_without_the_password_when_other_steps_suffice(settings):
    plan = plan_step_up(settings, ["passkey"], 40, ["password", "passkey", "sms"], [])
    assert (plan.login_first, plan.options) == (False, ("sms",))


def test_a_passkey_user_completes_the_password_before_enrolling(settings):
    plan = plan_step_up(settings, ["passkey"], 60, ["password", "passkey"], ["sms", "totp"])
    assert (plan.login_first, plan.options, plan.enrol_options) == (True, (), ())
    after = plan_step_up(settings, ["passkey", "password"], 60, ["password", "passkey"],
                         ["sms", "totp"])
    assert after.enrol_options == ("sms", "totp")


def test_the_login_form_is_not_asked_for_when_even_the_password_cannot_reach_the_minimum(
        settings):
    plan = plan_step_up(settings, ["passkey"], 70, ["password", "passkey"], [])
    assert (plan.login_first, plan.reachable) == (False, False)


@pytest.mark.parametrize("method", ["password", "device"])
def test_a_method_without_a_step_of_its_own_is_never_offered_nor_enrolled(method):
    settings = LevelSettings().with_changes(points={"device": 10})
    plan = plan_step_up(settings, ["passkey"], 40, ["passkey", "totp"], [method, "sms"])
    assert method not in plan.options + plan.enrol_options


def test_remembered_device_is_never_offered():
    settings = LevelSettings().with_changes(points={"device": 10})
    plan = plan_step_up(settings, ["password"], 30, ["password", "device"], ["device"])
    assert plan.options == ()
    assert plan.enrol_options == ()
    assert plan.reachable is False


def test_completed_remembered_device_counts_with_the_password():
    settings = LevelSettings().with_changes(points={"device": 10})
    plan = plan_step_up(settings, ["device", "password"], 30, ["password", "device"], [])
    assert (plan.level, plan.satisfied) == (30, True)


def test_completed_remembered_device_alone_leaves_the_level_at_zero():
    settings = LevelSettings().with_changes(points={"device": 10})
    plan = plan_step_up(settings, ["device"], 30, ["password", "device"], [])
    assert plan.level == 0
    assert (plan.options, plan.login_first, plan.reachable) == ((), True, True)


def test_disabled_methods_are_not_offered():
    settings = LevelSettings().with_changes(points={"sms": 0})
    plan = plan_step_up(settings, ["password"], 30, ["password", "sms", "email"], ["sms"])
    assert plan.options == ("email",)
    assert plan.enrol_options == ()


def test_methods_that_are_not_enrolled_are_not_offered(settings):
    plan = plan_step_up(settings, ["password"], 30, ["password", "totp"], [])
    assert plan.options == ("totp",)


def test_nothing_is_offered_when_the_minimum_cannot_be_reached(settings):
    plan = plan_step_up(settings, ["password"], 60, ["password", "sms", "totp"], ["email"])
    assert plan.options == ()
    assert plan.enrol_options == ()
    assert (plan.satisfied, plan.reachable, plan.missing) == (False, False, 40)


def test_password_only_user_may_enrol_any_method_that_reaches_the_minimum(settings):
    plan = plan_step_up(settings, ["password"], 30, ["password"], ["sms", "totp", "passkey", "app"])
    assert plan.options == ()
    assert plan.enrol_options == ("passkey", "sms", "totp", "app")
    assert plan.reachable is True


def test_only_methods_that_reach_the_minimum_are_offered_for_enrolment(settings):
    plan = plan_step_up(settings, ["password"], 50, ["password"], ["sms", "totp", "passkey"])
    assert plan.enrol_options == ("passkey",)


def test_enrolled_options_and_one_enrolment_together_reach_the_minimum(settings):
    plan = plan_step_up(settings, ["password"], 60, ["password", "sms"], ["totp", "passkey"])
    assert plan.options == ("sms",)
    assert plan.enrol_options == ()
    assert plan.reachable is True


def test_enrolment_is_offered_once_everything_enrolled_is_completed(settings):
    plan = plan_step_up(settings, ["password", "sms"], 60, ["password", "sms"], ["totp", "passkey"])
    assert plan.options == ()
    assert plan.enrol_options == ("passkey",)
    assert (plan.reachable, plan.missing) == (True, 30)


def test_a_user_who_can_reach_the_minimum_is_not_offered_enrolment(settings):
    plan = plan_step_up(settings, ["password"], 30, ["password", "sms"], ["totp", "passkey"])
    assert plan.options == ("sms",)
    assert plan.enrol_options == ()


def test_enrolled_or_completed_methods_are_not_offered_for_enrolment(settings):
    plan = plan_step_up(
        settings, ["password", "email", "sms"], 50, ["password", "email", "sms"],
        ["email", "sms", "totp"]
    )
    assert plan.options == ()
    assert plan.enrol_options == ("totp",)


def test_unknown_method_names_are_rejected(settings):
    with pytest.raises(ValueError, match="'fax'"):
        plan_step_up(settings, ["password"], 30, ["fax"], [])


# Recovery codes are a fallback: setting up a method comes before spending one.
EVERYDAY = ["sms", "email", "totp", "app", "passkey"]


def test_a_user_who_would_spend_a_recovery_code_is_offered_to_set_up_a_method_first(settings):
    # Password and app done (30 of 40): only a recovery code is left.
    plan = plan_step_up(settings, ["password", "totp"], 40,
                        ["password", "totp", "recovery"], EVERYDAY)
    assert plan.enrol_first
    assert plan.options == ("recovery",)  # still there, as the second choice
    assert set(plan.enrol_options) == {"passkey", "sms", "email", "app"}
    assert plan.enrol_options[0] == "passkey"  # the strongest first


def test_the_methods_offered_instead_reach_the_level_without_a_recovery_code(settings):
    # 50 needed, 30 done: a 10-point method would still need a code; a passkey would not.
    plan = plan_step_up(settings, ["password", "totp"], 50,
                        ["password", "totp", "recovery"], EVERYDAY)
    assert plan.enrol_first and plan.enrol_options == ("passkey",)


def test_the_everyday_methods_come_before_any_offer_to_set_up_one(settings):
    # The app is enrolled but not yet used in this login: it is asked for first.
    plan = plan_step_up(settings, ["password"], 40,
                        ["password", "totp", "recovery"], EVERYDAY)
    assert not plan.enrol_first and plan.enrol_options == ()
    assert set(plan.options) == {"totp", "recovery"}


def test_a_password_alone_never_enrols_a_method_for_a_user_with_recovery_codes(settings):
    plan = plan_step_up(settings, ["password"], 30, ["password", "recovery"], EVERYDAY)
    assert not plan.enrol_first and plan.enrol_options == ()
    assert plan.options == ("recovery",)


def test_nothing_to_set_up_instead_leaves_the_recovery_code_as_the_only_choice(settings):
    plan = plan_step_up(settings, ["password", "totp"], 40,
                        ["password", "totp", "recovery"], [])
    assert not plan.enrol_first and plan.enrol_options == ()
    assert plan.options == ("recovery",)


def test_a_user_without_recovery_codes_is_planned_as_before(settings):
    plan = plan_step_up(settings, ["password", "totp"], 40, ["password", "totp"], EVERYDAY)
    assert not plan.enrol_first
    assert set(plan.enrol_options) == {"passkey", "sms", "email", "app"}


# Which set-up choices would be enough on their own next time (no password).


def test_a_passkey_that_reaches_the_minimum_alone_is_enough_on_its_own(settings):
    plan = plan_step_up(settings, ["password"], 30, ["password"], EVERYDAY)
    assert plan.enough_alone == ("passkey",)


def test_a_method_that_needs_the_password_beside_it_is_not_enough_on_its_own(settings):
    # Each code method reaches 30 only with the password's 20.
    plan = plan_step_up(settings, ["password"], 30, ["password"], ["sms", "totp", "app"])
    assert plan.enrol_options and plan.enough_alone == ()


def test_a_passkey_below_the_minimum_on_its_own_is_not_enough_on_its_own(settings):
    # The passkey's 30 reach 40 only with the password: it is offered, not as enough.
    plan = plan_step_up(settings, ["password"], 40, ["password"], EVERYDAY)
    assert plan.enrol_options == ("passkey",) and plan.enough_alone == ()


def test_a_method_that_does_not_name_the_user_is_never_enough_on_its_own():
    # At 30 points an app alone would reach 30, but it cannot say who is logging in.
    settings = LevelSettings().with_changes(points={"app": 30})
    plan = plan_step_up(settings, ["password"], 30, ["password"], ["app", "passkey"])
    assert set(plan.enrol_options) == {"app", "passkey"}
    assert plan.enough_alone == ("passkey",)


def test_nothing_is_enough_on_its_own_when_nothing_is_offered_to_set_up(settings):
    plan = plan_step_up(settings, ["password"], 30, ["password", "totp"], EVERYDAY)
    assert plan.enrol_options == () and plan.enough_alone == ()
