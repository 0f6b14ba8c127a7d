import dataclasses

import pytest

from idp.domain import (
    DEFAULT_POINTS,
    DEFAULT_REQUIRED_LEVEL,
    FACTORS,
    MAX_LEVEL,
    MAX_POINTS,
    METHOD_INFO,
    METHODS,
    InvalidSettings,
    LevelSettings,
    check_method,
    max_reachable,
)


def test_methods_are_the_ten_of_the_product_in_order():
    assert METHODS == ("password", "sms", "email", "voice", "totp", "token", "app", "passkey",
                       "recovery", "device")


@pytest.mark.parametrize(
    ("method", "points"),
    [
        ("password", 20),
        ("sms", 10),
        ("email", 10),
        ("voice", 0),
        ("totp", 10),
        ("app", 10),
        ("passkey", 30),
        ("recovery", 10),
        ("device", 0),
    ],
)
def test_default_points_follow_the_product_table(method, points):
    assert DEFAULT_POINTS[method] == points
    assert LevelSettings().points_of(method) == points


def test_default_points_name_every_method_and_nothing_else():
    assert set(DEFAULT_POINTS) == set(METHODS)


def test_default_required_level_is_30_and_limits_are_set():
    assert DEFAULT_REQUIRED_LEVEL == 30
    assert LevelSettings().required_level == 30
    assert (MAX_POINTS, MAX_LEVEL) == (100, 1000)


def test_default_points_cannot_be_changed():
    with pytest.raises(TypeError):
        DEFAULT_POINTS["sms"] = 50  # type: ignore[index]


@pytest.mark.parametrize(
    ("method", "amr", "factors"),
    [
        ("password", ("pwd",), {"knowledge"}),
        ("sms", ("sms",), {"possession"}),
        ("email", ("otp",), set()),
        ("totp", ("otp",), {"possession"}),
        ("app", ("pop", "pin"), {"possession", "knowledge"}),
        ("passkey", ("hwk", "user"), {"possession", "inherence"}),
        ("recovery", ("otp",), {"possession"}),
        ("device", (), set()),
    ],
)
def test_method_info_gives_rfc8176_amr_and_factor_categories(method, amr, factors):
    assert METHOD_INFO[method].amr == amr
    assert METHOD_INFO[method].factors == frozenset(factors)


def test_every_factor_is_one_of_the_three_categories():
    assert FACTORS == ("knowledge", "possession", "inherence")
    for info in METHOD_INFO.values():
        assert info.factors <= set(FACTORS)


def test_only_passkey_is_phishing_resistant():
    assert {m for m, info in METHOD_INFO.items() if info.phishing_resistant} == {"passkey"}


def test_only_the_phone_network_codes_are_restricted_authenticators():
    assert {m for m, info in METHOD_INFO.items() if info.restricted} == {"sms", "voice"}


def test_method_info_covers_every_method():
    assert tuple(METHOD_INFO) == METHODS


def test_method_info_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        METHOD_INFO["sms"].restricted = False  # type: ignore[misc]


def test_check_method_accepts_known_and_rejects_unknown_names():
    assert check_method("totp") == "totp"
    with pytest.raises(ValueError, match="'webauthn'"):
        check_method("webauthn")


def test_from_mapping_gives_missing_methods_zero_points():
    settings = LevelSettings.from_mapping(40, {"password": 20, "passkey": 40})
    assert settings.required_level == 40
    assert dict(settings.points) == {
        "password": 20,
        "sms": 0,
        "email": 0,
        "voice": 0,
        "totp": 0,
        "token": 0,
        "app": 0,
        "passkey": 40,
        "recovery": 0,
        "device": 0,
    }


def test_from_mapping_copies_the_given_points():
    points = {"password": 20, "totp": 10}
    settings = LevelSettings.from_mapping(30, points)
    points["totp"] = 90
    assert settings.points_of("totp") == 10


def test_settings_points_are_read_only():
    settings = LevelSettings.from_mapping(30, {"password": 30})
    with pytest.raises(TypeError):
        settings.points["password"] = 0  # type: ignore[index]


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        LevelSettings().required_level = 10  # type: ignore[misc]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ({"webauthn": 10}, "unknown authentication method 'webauthn'"),
        ({1: 10}, "unknown authentication method 1"),
        ({"sms": "10"}, "points for sms must be a whole number"),
        ({"sms": 1.5}, "points for sms must be a whole number"),
        ({"sms": 10.0}, "points for sms must be a whole number"),
        ({"sms": True}, "points for sms must be a whole number"),
        ({"sms": None}, "points for sms must be a whole number"),
        ({"sms": -1}, "points for sms must be between 0 and 100"),
        ({"passkey": 101}, "points for passkey must be between 0 and 100"),
    ],
)
def test_from_mapping_rejects_invalid_points(points, message):
    with pytest.raises(InvalidSettings, match=message) as caught:
        LevelSettings.from_mapping(30, points)
    assert caught.value.error == "invalid_request"


@pytest.mark.parametrize("level", [0, -30, 1001, True, "30", 30.0, None])
def test_from_mapping_rejects_a_required_level_out_of_range(level):
    with pytest.raises(InvalidSettings, match="required level must be a whole number between 1"):
        LevelSettings.from_mapping(level, {"password": 30})


@pytest.mark.parametrize("points", [None, [("password", 20)], "password=20"])
def test_from_mapping_rejects_points_that_are_not_a_mapping(points):
    with pytest.raises(InvalidSettings, match="points must map method names"):
        LevelSettings.from_mapping(30, points)


@pytest.mark.parametrize(("level", "points"), [(1, 0), (1000, 100)])
def test_limits_themselves_are_accepted(level, points):
    settings = LevelSettings.from_mapping(level, {"totp": points})
    assert (settings.required_level, settings.points_of("totp")) == (level, points)


def test_constructing_directly_validates_too():
    with pytest.raises(InvalidSettings):
        LevelSettings(required_level=30, points={"sms": 500})
    with pytest.raises(InvalidSettings):
        LevelSettings(required_level=0)


def test_constructing_directly_fills_missing_methods_with_zero():
    assert LevelSettings(points={"passkey": 30}).points_of("sms") == 0


def test_points_of_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="unknown authentication method"):
        LevelSettings().points_of("fax")


def test_enabled_methods_are_those_worth_more_than_zero():
    # Off by default: the remembered device, the voice call, and hardware tokens until some
    # are handed out.
    assert LevelSettings().enabled_methods() == frozenset(METHODS) - {"device", "voice", "token"}
    settings = LevelSettings.from_mapping(30, {"password": 20, "device": 5, "sms": 0})
    assert settings.enabled_methods() == {"password", "device"}


def test_with_changes_replaces_only_the_named_points():
    settings = LevelSettings().with_changes(points={"sms": 0, "totp": 20})
    assert settings.points_of("sms") == 0
    assert settings.points_of("totp") == 20
    assert settings.points_of("password") == 20
    assert settings.required_level == 30


def test_with_changes_replaces_the_required_level():
    original = LevelSettings()
    changed = original.with_changes(required_level=50)
    assert changed.required_level == 50
    assert changed.points == original.points
    assert original.required_level == 30


def test_with_changes_without_changes_returns_equal_settings():
    assert LevelSettings().with_changes() == LevelSettings()


@pytest.mark.parametrize(
    "changes", [{"required_level": 0}, {"points": {"sms": -5}}, {"points": {"fax": 10}}]
)
def test_with_changes_validates_the_result(changes):
    with pytest.raises(InvalidSettings):
        LevelSettings().with_changes(**changes)


def test_equal_settings_are_equal_and_hash_alike():
    a = LevelSettings.from_mapping(30, dict(DEFAULT_POINTS))
    b = LevelSettings()
    assert a == b
    assert hash(a) == hash(b)
    assert {a: "x"}[b] == "x"


def test_different_settings_are_not_equal():
    assert LevelSettings() != LevelSettings().with_changes(points={"sms": 20})
    assert LevelSettings() != LevelSettings().with_changes(required_level=31)


def test_level_of_counts_each_method_once():
    assert LevelSettings().level_of(["password", "password", "totp", "totp"]) == 30


def test_level_of_counts_the_device_only_with_another_method():
    settings = LevelSettings().with_changes(points={"device": 10})
    assert settings.level_of(["device"]) == 0
    assert settings.level_of(["device", "password"]) == 30


def test_level_of_does_not_count_the_device_with_only_disabled_methods():
    settings = LevelSettings().with_changes(points={"device": 10, "sms": 0})
    assert settings.level_of(["device", "sms"]) == 0


def test_level_of_rejects_unknown_methods():
    with pytest.raises(ValueError, match="'fax'"):
        LevelSettings().level_of(["password", "fax"])


def test_max_reachable_with_default_settings_is_the_sum_of_enabled_points():
    assert max_reachable(LevelSettings()) == 100


def test_max_reachable_with_some_methods_counts_only_those():
    assert max_reachable(LevelSettings(), ["password", "sms"]) == 30
    assert max_reachable(LevelSettings(), []) == 0


def test_max_reachable_counts_repeated_methods_once():
    assert max_reachable(LevelSettings(), ["passkey", "passkey"]) == 30


def test_max_reachable_ignores_disabled_methods():
    settings = LevelSettings.from_mapping(30, {"password": 20, "sms": 10})
    assert max_reachable(settings) == 30
    assert max_reachable(settings, ["password", "passkey"]) == 20


def test_max_reachable_counts_the_device_only_with_another_method():
    settings = LevelSettings.from_mapping(30, {"device": 20, "totp": 10})
    assert max_reachable(settings) == 30
    assert max_reachable(settings, ["device"]) == 0
    assert max_reachable(settings, ["device", "totp"]) == 30
