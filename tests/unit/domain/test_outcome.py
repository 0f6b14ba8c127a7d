import dataclasses

import pytest

from idp.domain import (
    AcrRequest,
    Completion,
    LevelSettings,
    LoginOutcome,
    UnmetAuthenticationRequirements,
    conclude_login,
    parse_acr_request,
)


def test_password_and_totp_login_yields_level_acr_amr_and_auth_time(settings, now):
    completions = [Completion("password", now - 20.4), Completion("totp", now - 10.6)]
    outcome = conclude_login(settings, completions, minimum=30, request=AcrRequest(), now=now)
    assert outcome == LoginOutcome(
        level=30,
        acr="30",
        amr=("pwd", "otp", "mfa"),
        auth_time=int(now - 10.6),
        methods=("password", "totp"),
    )


def test_outcome_is_frozen(settings, now, complete):
    outcome = conclude_login(
        settings, complete("passkey"), minimum=30, request=AcrRequest(), now=now
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.acr = "100"  # type: ignore[misc]


def test_unmet_minimum_never_yields_an_outcome(settings, now, complete):
    with pytest.raises(UnmetAuthenticationRequirements, match="level 20, 30"):
        conclude_login(settings, complete("password"), minimum=30, request=AcrRequest(), now=now)


def test_login_without_completions_is_refused_even_at_minimum_zero(settings, now):
    with pytest.raises(UnmetAuthenticationRequirements):
        conclude_login(settings, [], minimum=0, request=AcrRequest(), now=now)


def test_acr_is_the_highest_requested_value_met(settings, now, complete):
    request = parse_acr_request("30 40 60", None)
    outcome = conclude_login(
        settings, complete("password", "sms", "totp"), minimum=30, request=request, now=now
    )
    assert (outcome.level, outcome.acr) == (40, "40")


def test_unmet_essential_acr_is_a_failed_login(settings, now, complete):
    request = AcrRequest(values=(40,), essential=True, named=True)
    with pytest.raises(UnmetAuthenticationRequirements):
        conclude_login(settings, complete("passkey"), minimum=30, request=request, now=now)


def test_method_completed_twice_counts_once(settings, now):
    completions = [Completion("password", now - 50), Completion("password", now - 5)]
    with pytest.raises(UnmetAuthenticationRequirements):
        conclude_login(settings, completions, minimum=30, request=AcrRequest(), now=now)


def test_max_age_drops_methods_completed_before_it(settings, now):
    completions = [Completion("password", now - 3600), Completion("passkey", now - 10)]
    outcome = conclude_login(
        settings, completions, minimum=30, request=AcrRequest(), now=now, max_age=60
    )
    assert outcome.methods == ("passkey",)
    assert outcome.amr == ("hwk", "user", "mfa")


def test_max_age_makes_an_old_login_insufficient(settings, now, complete):
    with pytest.raises(UnmetAuthenticationRequirements):
        conclude_login(
            settings,
            complete("password", "totp", at=now - 3600),
            minimum=30,
            request=AcrRequest(),
            now=now,
            max_age=60,
        )


def test_fresh_login_in_this_interaction_counts_despite_max_age_zero(settings, now):
    completions = [Completion("password", now - 3), Completion("sms", now - 1)]
    outcome = conclude_login(
        settings,
        completions,
        minimum=30,
        request=AcrRequest(),
        now=now,
        max_age=0,
        fresh_since=now - 10,
    )
    assert outcome.level == 30


def test_prompt_login_counts_only_methods_since_the_interaction_started(settings, now):
    completions = [Completion("passkey", now - 100), Completion("password", now - 1)]
    with pytest.raises(UnmetAuthenticationRequirements):
        conclude_login(
            settings, completions, minimum=30, request=AcrRequest(), now=now, fresh_since=now - 10
        )


def test_completion_in_the_future_is_not_counted(settings, now):
    completions = [Completion("password", now - 1), Completion("totp", now + 600)]
    with pytest.raises(UnmetAuthenticationRequirements):
        conclude_login(settings, completions, minimum=30, request=AcrRequest(), now=now)


def test_remembered_device_is_listed_and_counts_with_the_password(now):
    settings = LevelSettings().with_changes(points={"device": 10})
    completions = [Completion("device", now - 1), Completion("password", now - 2)]
    outcome = conclude_login(settings, completions, minimum=30, request=AcrRequest(), now=now)
    assert outcome.methods == ("password", "device")
    assert outcome.amr == ("pwd",)
    assert outcome.auth_time == int(now - 1)
