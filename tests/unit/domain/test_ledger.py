import dataclasses

import pytest

from idp.domain import (
    CLOCK_SKEW,
    Completion,
    LevelSettings,
    counted_completions,
    session_level,
)


def test_completion_uses_the_methods_amr_by_default():
    assert Completion("totp", 1.0).amr_values == ("otp",)
    assert Completion("passkey", 1.0).amr_values == ("hwk", "user")


def test_completion_amr_overrides_the_default():
    completion = Completion("passkey", 1.0, amr=["swk", "user"])
    assert completion.amr == ("swk", "user")
    assert completion.amr_values == ("swk", "user")


def test_completion_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="'fax'"):
        Completion("fax", 1.0)


def test_completion_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Completion("sms", 1.0).at = 2.0  # type: ignore[misc]


def test_clock_skew_is_five_seconds():
    assert CLOCK_SKEW == 5


def test_counted_completions_keep_the_latest_completion_per_method(now):
    old, new = Completion("password", now - 300), Completion("password", now - 10)
    assert counted_completions([new, old, Completion("password", now - 200)], now=now) == (new,)


def test_counted_completions_are_in_method_order(now):
    result = counted_completions(
        [Completion("passkey", now - 1), Completion("totp", now - 2), Completion("password", now)],
        now=now,
    )
    assert [c.method for c in result] == ["password", "totp", "passkey"]


def test_counted_completions_without_limits_keep_every_past_method(now):
    result = counted_completions([Completion("password", 0.0), Completion("sms", now)], now=now)
    assert [c.method for c in result] == ["password", "sms"]


def test_counted_completions_drop_completions_beyond_the_clock_skew(now):
    assert counted_completions([Completion("password", now + CLOCK_SKEW + 0.1)], now=now) == ()


def test_counted_completions_keep_completions_within_the_clock_skew(now):
    within = Completion("password", now + CLOCK_SKEW)
    assert counted_completions([within], now=now) == (within,)


def test_counted_completions_fall_back_to_an_older_completion_when_the_latest_is_future(now):
    past = Completion("password", now - 100)
    assert counted_completions([past, Completion("password", now + 3600)], now=now) == (past,)


def test_max_age_keeps_only_methods_completed_within_it(now):
    result = counted_completions(
        [Completion("password", now - 3600), Completion("password", now - 120),
         Completion("sms", now - 3600), Completion("totp", now - 60)],
        now=now, max_age=300,
    )
    assert [c.method for c in result] == ["password", "totp"]


@pytest.mark.parametrize("identifying", ["password", "passkey"])
def test_a_level_counts_only_on_top_of_a_method_that_identified_the_user(now, identifying):
    codes = [Completion(m, now - 60) for m in ("sms", "email", "totp", "app", "recovery")]
    assert counted_completions(codes, now=now) == ()
    assert counted_completions([*codes, Completion("device", now)], now=now) == ()
    with_login = counted_completions([*codes, Completion(identifying, now - 120)], now=now)
    assert {c.method for c in with_login} == {identifying, "sms", "email", "totp", "app",
                                              "recovery"}


@pytest.mark.parametrize("identifying", ["password", "passkey"])
def test_fresh_codes_do_not_count_when_the_identifying_method_is_older_than_max_age(
        now, identifying):
    done = [Completion(identifying, now - 3600), Completion("sms", now - 30),
            Completion("email", now - 20), Completion("device", now - 10)]
    assert counted_completions(done, now=now, max_age=300) == ()


def test_fresh_codes_do_not_count_when_the_password_came_before_a_prompt_login(now):
    started = now - 60
    done = [Completion("password", started - 1), Completion("sms", now - 30),
            Completion("email", now - 20)]
    assert counted_completions(done, now=now, fresh_since=started) == ()
    again = counted_completions([*done, Completion("password", now - 10)], now=now,
                                fresh_since=started)
    assert [c.method for c in again] == ["password", "sms", "email"]


def test_max_age_keeps_a_completion_exactly_max_age_old(now):
    edge = Completion("password", now - 300)
    assert counted_completions([edge], now=now, max_age=300) == (edge,)
    assert counted_completions([edge], now=now + 0.5, max_age=300) == ()


def test_max_age_keeps_an_old_completion_superseded_by_a_fresh_one(now):
    fresh = Completion("password", now - 10)
    result = counted_completions([Completion("password", now - 3600), fresh], now=now, max_age=300)
    assert result == (fresh,)


def test_max_age_keeps_completions_since_the_fresh_moment(now):
    started = now - 30
    kept = Completion("password", now - 20)
    result = counted_completions(
        [kept, Completion("totp", now - 40)], now=now, max_age=0, fresh_since=started
    )
    assert result == (kept,)


def test_max_age_zero_without_fresh_moment_keeps_only_the_present(now):
    assert counted_completions([Completion("password", now - 1)], now=now, max_age=0) == ()


def test_fresh_since_alone_keeps_only_completions_since_then(now):
    started = now - 30
    kept = Completion("password", started)
    result = counted_completions(
        [kept, Completion("sms", started - 0.001)], now=now, fresh_since=started
    )
    assert result == (kept,)


def test_counted_completions_of_nothing_is_empty(now):
    assert counted_completions([], now=now, max_age=10, fresh_since=now) == ()


def test_password_and_totp_reach_default_level(settings, complete):
    assert session_level(settings, complete("password", "totp")) == 30


def test_passkey_alone_reaches_default_level(settings, complete):
    assert session_level(settings, complete("passkey")) == 30


def test_password_alone_stays_below_default_level(settings, complete):
    assert session_level(settings, complete("password")) == 20


def test_session_level_counts_a_method_once_however_often_completed(settings, complete):
    assert session_level(settings, complete("password", "sms", "sms", "sms", "password")) == 30


def test_session_level_adds_the_points_of_distinct_methods(settings, complete):
    assert session_level(settings, complete("password", "sms", "email", "totp", "passkey")) == 80


def test_session_level_of_nothing_is_zero(settings):
    assert session_level(settings, []) == 0


def test_disabled_method_adds_nothing(complete):
    settings = LevelSettings().with_changes(points={"sms": 0})
    assert session_level(settings, complete("password", "sms")) == 20


def test_remembered_device_never_counts_alone(complete):
    settings = LevelSettings().with_changes(points={"device": 25})
    assert session_level(settings, complete("device")) == 0


def test_remembered_device_counts_with_another_method(complete):
    settings = LevelSettings().with_changes(points={"device": 10})
    assert session_level(settings, complete("device", "password")) == 30


def test_remembered_device_does_not_count_with_a_disabled_method(complete):
    settings = LevelSettings().with_changes(points={"device": 10, "email": 0})
    assert session_level(settings, complete("device", "email")) == 0
