"""The profile's rules about reaching the level and reading input, tested without an app."""

from __future__ import annotations

import pytest

from idp.domain import LevelSettings, reaching_combinations
from idp.users.enrolments import Enrolment
from idp.users.profile import (
    ProfileError,
    clean_text,
    parse_id,
    reachable_level,
    removal_effect,
    valid_key,
)

DEFAULT = LevelSettings()
LOGIN_ENROLLABLE = ("totp", "passkey", "app", "sms", "email")


def items(*keys: str) -> list[Enrolment]:
    return [Enrolment(key.partition(":")[0], key, key) for key in keys]


def combos(settings: LevelSettings, *methods: str) -> list[tuple[tuple[str, ...], int]]:
    return [(c.methods, c.points) for c in reaching_combinations(settings, methods)]


def test_a_password_and_one_more_method_reach_the_default_level():
    assert combos(DEFAULT, "password", "totp") == [(("password", "totp"), 30)]


def test_each_smallest_combination_is_listed_and_none_contains_another():
    found = combos(DEFAULT, "password", "totp", "sms", "passkey")
    assert found[0] == (("passkey",), 30)  # one method alone first
    assert (("password", "sms"), 30) in found and (("password", "totp"), 30) in found
    assert all("passkey" not in methods for methods, _ in found[1:])


def test_a_combination_must_start_a_login_with_the_password_or_a_passkey():
    settings = LevelSettings.from_mapping(20, {"password": 0, "totp": 10, "sms": 10})
    # Without a password nobody gets past the login page, whatever the codes are worth.
    assert combos(settings, "totp", "sms") == []
    assert reachable_level(settings, {"totp", "sms"}) == 0
    # A password worth nothing still starts the login.
    assert combos(settings, "password", "totp", "sms") == [(("password", "sms", "totp"), 20)]


def test_a_disabled_method_and_a_remembered_device_are_no_part_of_a_combination():
    settings = DEFAULT.with_changes(points={"sms": 0, "device": 10})
    assert combos(settings, "password", "sms", "device") == []
    assert reachable_level(settings, {"password", "sms", "device"}) == 20


def test_removing_one_of_two_passkeys_is_safe():
    effect = removal_effect(DEFAULT, items("password", "passkey:1", "passkey:2"), "passkey:1",
                            LOGIN_ENROLLABLE)
    assert effect is not None and effect.safe and not effect.refused


def test_removing_the_second_method_asks_to_confirm_when_another_can_be_set_up_at_login():
    effect = removal_effect(DEFAULT, items("password", "totp:3"), "totp:3", LOGIN_ENROLLABLE)
    assert effect is not None and not effect.safe and not effect.refused
    assert effect.level_after == 20 and effect.required == 30
    assert set(effect.enrol_after) == set(LOGIN_ENROLLABLE)


def test_removing_the_last_way_to_the_level_is_refused():
    settings = LevelSettings.from_mapping(40, {"password": 20, "totp": 10, "recovery": 10})
    effect = removal_effect(settings, items("password", "totp:1", "recovery"), "recovery",
                            LOGIN_ENROLLABLE)
    assert effect is not None and effect.refused
    # The authenticator app could be set up again at a login: only a confirmation.
    effect = removal_effect(settings, items("password", "totp:1", "recovery"), "totp:1",
                            LOGIN_ENROLLABLE)
    assert effect is not None and not effect.safe and not effect.refused
    assert effect.enrol_after == ("totp",)


def test_removing_the_only_passkey_of_a_user_without_a_password_is_refused():
    effect = removal_effect(DEFAULT, items("passkey:1"), "passkey:1", LOGIN_ENROLLABLE)
    assert effect is not None and effect.refused


def test_an_item_the_user_does_not_have_has_no_effect():
    assert removal_effect(DEFAULT, items("password", "totp:1"), "totp:2", ()) is None


@pytest.mark.parametrize("key", ["password", "sms", "email", "recovery", "totp:1",
                                 "passkey:2147483647", "app:12", "device:3"])
def test_keys_of_enrolled_items_are_accepted(key):
    assert valid_key(key)


@pytest.mark.parametrize("key", ["", "passkey", "passkey:", "passkey:abc", "passkey:0",
                                 "passkey:99999999999", "passkey:2147483648", "totp:1:2",
                                 "unknown:1", "<script>", "sms\x00", "PASSWORD", " totp:1",
                                 "totp:1\n", "totp:\u0661"])
def test_malformed_keys_are_refused(key):
    assert not valid_key(key)


@pytest.mark.parametrize("value", ["1", "2147483647"])
def test_ids_in_urls_are_read(value):
    assert parse_id(value) == int(value)


@pytest.mark.parametrize("value", ["", "0", "-1", "1.5", "abc", "2147483648", "1\x00",
                                   "\u0663", "99999999999", "1\n"])
def test_ids_that_cannot_be_rows_are_refused(value):
    assert parse_id(value) is None


def test_text_is_trimmed_and_its_inner_whitespace_collapsed():
    assert clean_text("  Anna \t van  Dijk \n", 200) == "Anna van Dijk"


@pytest.mark.parametrize("value", ["a\x00b", "bell\x07", "esc\x1b[31m", "del\x7f"])
def test_text_with_control_characters_is_refused(value):
    with pytest.raises(ProfileError) as refused:
        clean_text(value, 200)
    assert refused.value.reason == "control_character"


def test_text_longer_than_its_limit_is_refused():
    with pytest.raises(ProfileError) as refused:
        clean_text("x" * 201, 200)
    assert refused.value.reason == "too_long"


# --- one removal rule for the profile and the user administration --------------------------

def _every_removal():
    import itertools

    names = ("password", "sms", "email", "totp", "app", "passkey", "recovery")
    for size in range(1, len(names) + 1):
        for chosen in itertools.combinations(names, size):
            have = [Enrolment(m, f"{m}:1" if m in ("totp", "app", "passkey") else m, m)
                    for m in chosen]
            for item in have:
                yield have, item.key


def test_the_admin_and_the_profile_judge_every_removal_alike():
    from idp.admin.users import removal_effect as admin_effect

    for have, key in _every_removal():
        mine = removal_effect(DEFAULT, have, key, LOGIN_ENROLLABLE)
        theirs = admin_effect(DEFAULT, have, key, LOGIN_ENROLLABLE)
        assert (theirs.level_after, theirs.reachable, theirs.can_enrol_at_login) == (
            mine.level_after, mine.level_after >= mine.required, bool(mine.enrol_after)), key


@pytest.mark.parametrize("have,key", [
    # Codes worth 30 without a password or a passkey: no login starts, so nothing is reached
    # (the admin page used to say the level stayed reachable).
    (["sms", "email", "totp", "app:1"], "sms"),
    (["passkey:1", "sms", "email", "totp:1", "app:1"], "passkey:1"),
    # The last code of a user without a password: nothing could be set up at a login that
    # cannot start (the admin page used to say their next login would ask them to).
    (["totp:1"], "totp:1"),
])
def test_without_a_password_a_removal_leaving_no_first_step_reaches_nothing(have, key):
    from idp.admin.users import removal_effect as admin_effect

    have_items = items(*have)
    effect = admin_effect(DEFAULT, have_items, key, LOGIN_ENROLLABLE)
    assert (effect.level_after, effect.reachable, effect.can_enrol_at_login) == (0, False, False)
    removal = removal_effect(DEFAULT, have_items, key, LOGIN_ENROLLABLE)
    assert removal.level_after == 0 and removal.enrol_after == ()
