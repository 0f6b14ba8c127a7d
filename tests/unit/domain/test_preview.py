"""The lock-out preview: combinations that reach a level, and who would lose access."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.domain import (
    METHODS,
    STEP_UP_METHODS,
    Combination,
    LevelSettings,
    Member,
    describe_combination,
    enrol_counts,
    enrol_options,
    first_steps,
    preview_settings,
    reaches,
    reaching_combinations,
)

ENROLLABLE = frozenset({"sms", "email", "totp", "app", "passkey"})


def member(user_id: int, *methods: str, name: str | None = None) -> Member:
    return Member(user_id, f"user{user_id}", name, frozenset(methods))


def methods_of(combinations: tuple[Combination, ...]) -> list[tuple[str, ...]]:
    return [c.methods for c in combinations]


# Combinations and their assurance hints.

def test_the_default_level_is_reached_by_a_passkey_or_the_password_and_one_more_method():
    assert methods_of(reaching_combinations(LevelSettings())) == [
        ("passkey",),
        ("password", "sms"),
        ("password", "email"),
        ("password", "totp"),
        ("password", "app"),
        ("password", "recovery"),
    ]


def test_a_passkey_combination_is_phishing_resistant_and_multi_factor():
    passkey = describe_combination(LevelSettings(), ["passkey"])
    assert passkey.phishing_resistant and passkey.multi_factor
    assert not (passkey.uses_sms or passkey.uses_email or passkey.sms_or_email_only)


def test_a_password_and_a_passkey_is_phishing_resistant_because_the_passkey_is_needed():
    assert describe_combination(LevelSettings(), ["password", "passkey"]).phishing_resistant


@pytest.mark.parametrize(("methods", "sms", "email", "only"), [
    (["password", "sms"], True, False, True),
    (["password", "email"], False, True, True),
    (["password", "sms", "email"], True, True, True),
    (["password", "sms", "totp"], True, False, False),
    (["password", "totp"], False, False, False),
    (["password", "app"], False, False, False),
])
def test_a_combination_says_whether_it_rests_on_sms_or_email(methods, sms, email, only):
    combination = describe_combination(LevelSettings(), methods)
    assert (combination.uses_sms, combination.uses_email) == (sms, email)
    assert combination.sms_or_email_only is only
    assert not combination.phishing_resistant


def test_the_password_alone_is_not_multi_factor():
    settings = LevelSettings.from_mapping(20, {"password": 20, "totp": 10})
    (only,) = reaching_combinations(settings)
    assert only.methods == ("password",)
    assert not only.multi_factor and not only.sms_or_email_only


def test_possession_methods_without_the_password_are_one_factor():
    assert not describe_combination(LevelSettings(), ["totp", "recovery"]).multi_factor


def test_combinations_are_listed_in_method_order_with_their_points():
    settings = LevelSettings().with_changes(40)
    first, second = reaching_combinations(settings)[:2]
    assert first.methods == ("password", "passkey") and first.points == 50
    assert second.methods == ("sms", "passkey") and second.points == 40


def test_every_combination_starts_with_the_password_or_a_passkey():
    # sms + email + totp reach 30, but nobody can log in with them: the login starts with
    # the password (or a passkey), so such a set never is a way in on its own.
    combos = methods_of(reaching_combinations(LevelSettings()))
    assert ("sms", "email", "totp") not in combos
    assert all({"password", "passkey"} & set(c) for c in combos)


def test_a_password_worth_nothing_is_still_the_first_step():
    settings = LevelSettings.from_mapping(20, {"password": 0, "sms": 10, "totp": 10})
    assert methods_of(reaching_combinations(settings)) == [("password", "sms", "totp")]
    assert first_steps(settings) == {"password"}


def test_a_disabled_passkey_cannot_start_a_login():
    settings = LevelSettings().with_changes(points={"passkey": 0})
    assert first_steps(settings) == {"password"}
    assert not reaches(settings, {"passkey", "totp"})


def test_the_remembered_device_is_never_part_of_a_combination():
    settings = LevelSettings().with_changes(points={"device": 50})
    assert all("device" not in c.methods for c in reaching_combinations(settings))


def test_a_level_only_the_remembered_device_would_complete_is_unreachable():
    # A device is remembered only after a full login, which these settings never allow.
    settings = LevelSettings.from_mapping(40, {"password": 20, "totp": 10, "device": 30})
    assert reaching_combinations(settings) == ()
    assert not preview_settings(LevelSettings(), settings, []).reachable


def test_a_level_above_every_method_together_is_unreachable():
    candidate = LevelSettings().with_changes(1000)
    preview = preview_settings(LevelSettings(), candidate, [member(1, "password", "totp")])
    assert not preview.reachable and preview.combinations == ()
    assert not preview.sms_only


# Who would lose access.

def test_raising_the_level_lists_who_loses_access_and_what_they_could_enrol():
    people = [member(1, "password", "totp", name="Ann"), member(2, "password", "passkey"),
              member(3, "password", name="Bob")]
    preview = preview_settings(LevelSettings(), LevelSettings().with_changes(50), people,
                               ENROLLABLE)
    assert [a.member.id for a in preview.losing] == [1]
    (ann,) = preview.losing
    assert ann.enrol_options == ("passkey",)  # 20 + 10 + 30: nothing else is enough
    assert [a.member.id for a in preview.still_short] == [3]
    assert preview.users == 3 and preview.gaining == 0
    assert preview.can_enrol == (ann,) and preview.locked_out == ()


def test_lowering_a_methods_points_lists_the_users_who_relied_on_it():
    people = [member(1, "password", "totp"), member(2, "password", "sms"),
              member(3, "password", "totp", "sms")]
    candidate = LevelSettings().with_changes(points={"totp": 5})
    preview = preview_settings(LevelSettings(), candidate, people, ENROLLABLE)
    assert [a.member.id for a in preview.losing] == [1]
    assert preview.losing[0].enrol_options == ("passkey", "sms", "email", "app")


def test_without_an_enrollable_method_that_helps_a_user_is_locked_out():
    people = [member(1, "password", "totp")]
    preview = preview_settings(LevelSettings(), LevelSettings().with_changes(50), people,
                               {"sms", "email", "app"})
    assert preview.locked_out == preview.losing and preview.losing[0].locked_out


def test_a_user_without_a_password_or_passkey_cannot_log_in_to_enrol_anything():
    assert enrol_options(LevelSettings(), frozenset({"totp"}), ENROLLABLE) == ()
    assert not reaches(LevelSettings(), {"totp", "sms", "email"})


def test_a_remembered_device_does_not_keep_anyone_in():
    settings = LevelSettings().with_changes(points={"device": 10})
    assert not reaches(settings, {"password", "device"})


def test_users_who_reach_only_the_new_level_are_counted_as_gaining():
    people = [member(1, "password"), member(2, "password", "totp")]
    candidate = LevelSettings().with_changes(20)
    preview = preview_settings(LevelSettings(), candidate, people)
    assert preview.gaining == 1 and preview.losing == () and preview.still_short == ()


def test_affected_users_are_sorted_by_name():
    people = [member(1, "password", "totp", name="zoe"), member(2, "password", "totp", name="Al"),
              member(3, "password", "totp")]
    preview = preview_settings(LevelSettings(), LevelSettings().with_changes(40), people)
    assert [a.member.display_name for a in preview.losing] == ["Al", "user3", "zoe"]


def test_enrol_counts_say_how_many_users_each_method_would_rescue():
    people = [member(1, "password", "totp"), member(2, "password", "sms")]
    preview = preview_settings(LevelSettings(), LevelSettings().with_changes(40), people,
                               ENROLLABLE)
    assert enrol_counts(preview.losing) == {"passkey": 2, "sms": 1, "email": 2, "totp": 1,
                                            "app": 2}
    assert list(enrol_counts(preview.losing)) == ["sms", "email", "totp", "app", "passkey"]


def test_unchanged_settings_change_nothing():
    preview = preview_settings(LevelSettings(), LevelSettings(), [member(1, "password", "sms")])
    assert not preview.changed and preview.losing == ()


# Reachable only through SMS.

SMS_ONLY = LevelSettings.from_mapping(30, {"password": 20, "sms": 10})


def test_a_level_that_only_sms_reaches_names_those_without_a_proven_mobile_number():
    people = [member(1, "password", "sms"), member(2, "password", "totp", name="Ann"),
              member(3, "password")]
    preview = preview_settings(LevelSettings(), SMS_ONLY, people, ENROLLABLE)
    assert preview.sms_only and preview.needs_confirmation
    assert [m.id for m in preview.sms_excluded] == [2, 3]
    assert preview.losing[0].enrol_options == ("sms",)


def test_sms_is_not_the_only_way_while_another_combination_avoids_it():
    preview = preview_settings(LevelSettings(), LevelSettings(), [member(1, "password")])
    assert not preview.sms_only and preview.sms_excluded == ()


def test_sms_only_is_noticed_when_sms_is_needed_even_next_to_other_methods():
    settings = LevelSettings.from_mapping(40, {"password": 20, "sms": 10, "totp": 10})
    assert reaching_combinations(settings)[0].methods == ("password", "sms", "totp")
    assert preview_settings(SMS_ONLY, settings, []).sms_only


def test_a_voice_call_code_is_restricted_like_sms_in_the_hints_and_the_preview():
    settings = LevelSettings.from_mapping(30, {"password": 20, "voice": 10})
    [combination] = reaching_combinations(settings)
    people = [member(1, "password", "voice"), member(2, "password", "sms"),
              member(3, "password", "totp")]

    preview = preview_settings(LevelSettings(), settings, people)

    assert combination.methods == ("password", "voice")
    assert combination.uses_sms and combination.sms_or_email_only
    assert combination.multi_factor and not combination.phishing_resistant
    assert preview.sms_only and preview.needs_confirmation
    assert [m.id for m in preview.sms_excluded] == [3]


# Properties over generated settings and users.

method_sets = st.frozensets(st.sampled_from(METHODS))
settings_strategy = st.builds(
    LevelSettings.from_mapping,
    st.integers(min_value=1, max_value=120),
    st.dictionaries(st.sampled_from(METHODS), st.integers(min_value=0, max_value=40)),
)
members = st.lists(method_sets, max_size=12).map(
    lambda sets: [Member(i, f"u{i}", None, s) for i, s in enumerate(sets)])


@given(settings_strategy)
def test_every_listed_combination_logs_in_at_the_level_and_is_minimal(settings):
    for combination in reaching_combinations(settings):
        chosen = frozenset(combination.methods)
        assert "device" not in chosen
        assert all(settings.points_of(m) > 0 or m == "password" for m in chosen)
        assert reaches(settings, chosen)
        assert not any(reaches(settings, chosen - {m}) for m in chosen)
        assert combination.points == settings.level_of(chosen)


@given(settings_strategy, method_sets)
def test_whoever_can_log_in_at_the_level_has_some_listed_combination(settings, methods):
    combos = [frozenset(c.methods) for c in reaching_combinations(settings)]
    assert reaches(settings, methods) == any(c <= methods for c in combos)


@given(settings_strategy)
def test_the_settings_are_refused_exactly_when_even_every_method_falls_short(settings):
    everything = frozenset(METHODS) - {"device"}
    assert bool(reaching_combinations(settings)) == reaches(settings, everything)


@given(settings_strategy)
def test_sms_only_means_nobody_reaches_the_level_without_a_phone_network_code(settings):
    preview = preview_settings(settings, settings, [])
    without_sms = frozenset(METHODS) - {"device", "sms", "voice"}
    assert preview.sms_only == (preview.reachable and not reaches(settings, without_sms))


@given(settings_strategy, settings_strategy, members, method_sets)
def test_the_preview_sorts_every_user_by_what_they_can_reach(current, candidate, people,
                                                              enrollable):
    preview = preview_settings(current, candidate, people, enrollable)
    losing = {a.member.id for a in preview.losing}
    short = {a.member.id for a in preview.still_short}
    for person in people:
        now_ok, then_ok = reaches(current, person.enrolled), reaches(candidate, person.enrolled)
        assert (person.id in losing) == (now_ok and not then_ok)
        assert (person.id in short) == (not now_ok and not then_ok)
    assert preview.gaining == sum(
        1 for p in people if reaches(candidate, p.enrolled) and not reaches(current, p.enrolled))
    assert preview.users == len(people)


@given(settings_strategy, settings_strategy, members, method_sets)
def test_a_user_counted_as_locked_out_can_indeed_not_reach_the_level(current, candidate, people,
                                                                     enrollable):
    preview = preview_settings(current, candidate, people, enrollable)
    for affected in preview.losing + preview.still_short:
        have = affected.member.enrolled
        assert not reaches(candidate, have)
        for method in enrollable - have:
            # The login's rule: log in with all you have (so you need a first step), then
            # enrol one enabled method that brings you to the level.
            rescued = bool(have & first_steps(candidate)) and method in STEP_UP_METHODS \
                and candidate.points_of(method) > 0 and reaches(candidate, have | {method})
            assert rescued == (method in affected.enrol_options)
        for method in affected.enrol_options:
            assert method in enrollable and method not in have
            assert reaches(candidate, have | {method})


@given(settings_strategy, members)
def test_sms_only_excludes_exactly_those_without_a_phone_network_code(settings, people):
    preview = preview_settings(LevelSettings(), settings, people)
    expected = ({p.id for p in people if not p.enrolled & {"sms", "voice"}}
                if preview.sms_only else set())
    assert {m.id for m in preview.sms_excluded} == expected


# The remembered device, listed for the admin after the combinations of a first login.

def test_a_remembered_browser_lets_the_password_reach_30_with_the_device_at_10():
    settings = LevelSettings().with_changes(points={"device": 10})
    combos = reaching_combinations(settings, remembered=True)
    [device] = [c for c in combos if c.remembered]
    assert device.methods == ("password", "device") and device.points == 30
    assert not device.multi_factor  # the device is not a second factor
    assert combos[-1] is device  # after every combination a first login can take
    assert [c for c in combos if not c.remembered] == list(reaching_combinations(settings))


def test_no_device_combination_contains_one_that_reaches_the_level_without_it():
    settings = LevelSettings().with_changes(40, points={"device": 10})
    combos = reaching_combinations(settings, remembered=True)
    plain = [frozenset(c.methods) for c in combos if not c.remembered]
    with_device = [frozenset(c.methods) for c in combos if c.remembered]
    assert frozenset({"password", "sms", "device"}) in with_device
    assert all(not p <= d - {"device"} for d in with_device for p in plain)


def test_a_device_worth_nothing_adds_no_combination():
    settings = LevelSettings().with_changes(points={"device": 0})
    assert reaching_combinations(settings, remembered=True) == reaching_combinations(settings)


def test_device_combinations_never_make_a_level_reachable_or_sms_only():
    settings = LevelSettings.from_mapping(40, {"password": 20, "sms": 10, "device": 30})
    preview = preview_settings(LevelSettings(), settings, [])
    assert [c.methods for c in preview.combinations] == [("password", "device")]
    assert not preview.reachable and not preview.sms_only


def test_the_preview_lists_the_device_combinations_of_the_candidate():
    candidate = LevelSettings().with_changes(points={"device": 10})
    preview = preview_settings(LevelSettings(), candidate, [])
    assert ("password", "device") in [c.methods for c in preview.combinations]
    assert preview.reachable and preview.first_logins == reaching_combinations(candidate)


# Recovery codes are a fallback: who would reach a level only by spending them.

def test_recovery_codes_are_the_method_whose_every_use_spends_a_secret():
    from idp.domain import FALLBACKS
    assert set(FALLBACKS) == {"recovery"}


def test_who_reaches_the_level_only_with_recovery_codes_is_at_risk_and_named():
    people = [member(1, "password", "recovery", name="Ann"), member(2, "password", "totp"),
              member(3, "password", "totp", "recovery"), member(4, "password", "recovery",
                                                                 name="Al")]
    preview = preview_settings(LevelSettings(), LevelSettings(), people, ENROLLABLE)
    assert [a.member.display_name for a in preview.at_risk] == ["Al", "Ann"]
    assert preview.at_risk[0].enrol_options == ("passkey", "sms", "email", "totp", "app")
    assert preview.losing == () and preview.still_short == ()  # they do reach it


def test_raising_the_level_puts_those_who_need_a_code_on_top_at_risk():
    people = [member(1, "password", "totp", "recovery"), member(2, "password", "totp")]
    preview = preview_settings(LevelSettings(), LevelSettings().with_changes(40), people,
                               ENROLLABLE)
    assert [a.member.id for a in preview.at_risk] == [1]
    assert preview.at_risk[0].enrol_options == ("passkey", "sms", "email", "app")
    assert [a.member.id for a in preview.losing] == [2]


def test_nobody_is_at_risk_who_reaches_the_level_without_recovery_codes():
    people = [member(1, "passkey", "recovery"), member(2, "password", "app", "recovery")]
    assert preview_settings(LevelSettings(), LevelSettings(), people).at_risk == ()


def test_those_who_cannot_reach_the_current_level_either_are_named_with_their_options():
    people = [member(1, "password", name="Zed"), member(2, "password", name="Bea"),
              member(3, "totp")]
    preview = preview_settings(LevelSettings(), LevelSettings().with_changes(40), people,
                               ENROLLABLE)
    assert [a.member.display_name for a in preview.still_short] == ["Bea", "user3", "Zed"]
    bea, user3, _zed = preview.still_short
    assert bea.enrol_options == ("passkey",)  # 20 + 30: no other method alone is enough
    assert user3.locked_out  # no password, no passkey: cannot log in to enrol anything
