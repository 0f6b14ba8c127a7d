import pytest

from idp.domain import (
    AcrRequest,
    Completion,
    InvalidAcrRequest,
    LevelSettings,
    UnmetAuthenticationRequirements,
    build_amr,
    check_request,
    effective_minimum,
    ensure_reachable,
    latest_auth_time,
    parse_acr_request,
    resolve_acr,
)
from idp.domain.acr import MAX_ACR_LENGTH


def essential(*values: str) -> dict:
    return {"id_token": {"acr": {"essential": True, "values": list(values)}}}


# parse_acr_request: acr_values (OIDC Core 3.1.2.1)


@pytest.mark.parametrize("acr_values", [None, "", "   "])
def test_no_acr_values_is_an_empty_request(acr_values):
    assert parse_acr_request(acr_values, None) == AcrRequest(
        values=(), essential=False, named=False
    )


def test_acr_values_are_space_separated_levels():
    assert parse_acr_request("30 40", None) == AcrRequest(values=(30, 40), named=True)


def test_acr_values_are_sorted_and_deduplicated():
    assert parse_acr_request("40  30 30\t20", None).values == (20, 30, 40)


@pytest.mark.parametrize(
    "value",
    [
        "urn:mace:incommon:iap:silver",
        "1.5",
        "-3",
        "+3",
        "0x10",
        "\u0663\u0660",  # Arabic-Indic digits for 30
        "\uff13\uff10",  # full-width digits for 30
        "30a",
    ],
)
def test_non_numeric_acr_values_are_named_but_not_levels(value):
    request = parse_acr_request(value, None)
    assert request.values == ()
    assert request.named is True


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("30", 30),
        ("040", 40),
        ("0040", 40),
        ("00", 0),
        ("1000", 1000),
        ("1001", 1001),
        ("200", 200),
        ("99999", 99999),
        ("9" * 18, 10**18 - 1),
        ("9" * 5000, 10**18),  # beyond every level, read cheaply
        ("0" * 5000 + "40", 40),
    ],
)
def test_every_value_of_ascii_digits_is_a_level_whatever_its_size_or_zeros(value, level):
    for request in (parse_acr_request(value, None),
                    parse_acr_request(None, essential(value))):
        assert request.values == (level,)
        # Answered as written, unless that is longer than an acr the provider asserts.
        assert request.spelled(level) == (value if len(value) <= MAX_ACR_LENGTH
                                          else str(level))


@pytest.mark.parametrize("value", ["1001", "200", "99999", "9" * 5000, "0200"])
@pytest.mark.parametrize("where", ["acr_values", "claims", "essential claims"])
def test_a_level_beyond_what_the_methods_reach_is_refused_however_it_is_written(
        settings, value, where):
    request = {
        "acr_values": lambda: parse_acr_request(value, None),
        "claims": lambda: parse_acr_request(None, {"id_token": {"acr": {"values": [value]}}}),
        "essential claims": lambda: parse_acr_request(None, essential(value)),
    }[where]()
    with pytest.raises(UnmetAuthenticationRequirements):
        check_request(settings, None, request)


@pytest.mark.parametrize(("value", "minimum"), [("040", 40), ("0030", 30), ("050", 50)])
def test_a_level_with_leading_zeros_raises_the_minimum_like_its_number(settings, value,
                                                                      minimum):
    assert check_request(settings, None, parse_acr_request(value, None)) == minimum


def test_a_level_written_with_leading_zeros_is_answered_as_written():
    request = parse_acr_request(None, essential("040"))
    assert resolve_acr(45, request) == "040"
    assert resolve_acr(45, parse_acr_request("030 040", None)) == "040"


def test_a_level_written_longer_than_an_acr_is_answered_as_a_plain_decimal():
    assert resolve_acr(45, parse_acr_request("000000000040", None)) == "40"
    assert resolve_acr(45, parse_acr_request("000000000040 0000000040", None)) == "0000000040"


def test_a_level_written_both_ways_is_answered_as_a_plain_decimal():
    assert resolve_acr(45, parse_acr_request("040 40", None)) == "40"
    assert resolve_acr(45, parse_acr_request("40 040", None)) == "40"


def test_the_lowest_level_named_is_the_minimum_even_beside_an_unreachable_one(settings):
    for values in ("30 1001", "30 200", "1001 30", "030 99999"):
        assert check_request(settings, None, parse_acr_request(values, None)) == 30


def test_numeric_values_survive_among_non_numeric_ones():
    assert parse_acr_request("urn:x 20 1.5 1000", None) == AcrRequest(values=(20, 1000), named=True)


def test_zero_is_a_level():
    assert parse_acr_request("0", None).values == (0,)


def test_acr_values_alone_are_never_essential():
    assert parse_acr_request("40", None).essential is False


# parse_acr_request: the acr claims request (OIDC Core 5.5, 5.5.1.1)


def test_essential_acr_claim_with_values_is_essential():
    assert parse_acr_request(None, essential("30", "40")) == AcrRequest(
        values=(30, 40), essential=True, named=True
    )


def test_acr_claim_with_a_single_value():
    claims = {"id_token": {"acr": {"essential": True, "value": "40"}}}
    assert parse_acr_request(None, claims) == AcrRequest(values=(40,), essential=True, named=True)


def test_acr_claim_value_and_values_are_combined():
    claims = {"id_token": {"acr": {"value": "50", "values": ["30", "50"]}}}
    assert parse_acr_request(None, claims) == AcrRequest(values=(30, 50), named=True)


def test_voluntary_acr_claim_with_values_is_not_essential():
    claims = {"id_token": {"acr": {"values": ["30"]}}}
    assert parse_acr_request(None, claims) == AcrRequest(values=(30,), essential=False, named=True)


def test_explicitly_voluntary_acr_claim_is_not_essential():
    claims = {"id_token": {"acr": {"essential": False, "values": ["30"]}}}
    assert parse_acr_request(None, claims).essential is False


def test_claims_values_take_precedence_over_acr_values():
    assert parse_acr_request("20 60", essential("40")) == AcrRequest(
        values=(40,), essential=True, named=True
    )


def test_essential_non_numeric_claim_values_still_take_precedence():
    assert parse_acr_request("30", essential("urn:x")) == AcrRequest(
        values=(), essential=True, named=True
    )


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"userinfo": {"email": None}},
        {"id_token": {}},
        {"id_token": {"auth_time": {"essential": True}}},
        {"id_token": {"acr": None}},
        {"id_token": {"acr": {}}},
        {"id_token": {"acr": {"values": []}}},
    ],
)
def test_claims_without_acr_values_fall_back_to_acr_values(claims):
    assert parse_acr_request("30", claims) == AcrRequest(values=(30,), named=True)


def test_essential_acr_claim_without_values_only_asks_for_the_claim():
    claims = {"id_token": {"acr": {"essential": True}}}
    assert parse_acr_request("30", claims) == AcrRequest(values=(30,), essential=False, named=True)
    assert parse_acr_request(None, claims) == AcrRequest()


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (["id_token"], "claims must be a JSON object"),
        ("acr", "claims must be a JSON object"),
        ({"id_token": None}, "claims.id_token must be a JSON object"),
        ({"id_token": ["acr"]}, "claims.id_token must be a JSON object"),
        ({"id_token": "acr"}, "claims.id_token must be a JSON object"),
        ({"id_token": {"acr": "30"}}, "claims.id_token.acr must be a JSON object or null"),
        ({"id_token": {"acr": ["30"]}}, "claims.id_token.acr must be a JSON object or null"),
        ({"id_token": {"acr": 30}}, "claims.id_token.acr must be a JSON object or null"),
        ({"id_token": {"acr": {"value": 30}}}, "acr.value must be a string"),
        ({"id_token": {"acr": {"value": None}}}, "acr.value must be a string"),
        ({"id_token": {"acr": {"values": "30"}}}, "acr.values must be a list of strings"),
        ({"id_token": {"acr": {"values": [30]}}}, "acr.values must be a list of strings"),
        ({"id_token": {"acr": {"values": {"30": 1}}}}, "acr.values must be a list of strings"),
        ({"id_token": {"acr": {"values": None}}}, "acr.values must be a list of strings"),
        ({"id_token": {"acr": {"essential": "true"}}}, "acr.essential must be true or false"),
        ({"id_token": {"acr": {"essential": 1}}}, "acr.essential must be true or false"),
        ({"id_token": {"acr": {"essential": None}}}, "acr.essential must be true or false"),
    ],
)
def test_malformed_claims_request_is_rejected(claims, message):
    with pytest.raises(InvalidAcrRequest, match=message) as caught:
        parse_acr_request("30", claims)
    assert caught.value.error == "invalid_request"


# effective_minimum and the directory floor


def test_effective_minimum_without_requests_is_the_required_level(settings):
    assert effective_minimum(settings, None, AcrRequest()) == 30


def test_client_minimum_above_the_floor_raises_the_minimum(settings):
    assert effective_minimum(settings, 40, AcrRequest()) == 40


def test_lowest_requested_level_raises_the_minimum(settings):
    assert effective_minimum(settings, 40, AcrRequest(values=(50, 60), named=True)) == 50


def test_client_minimum_above_the_request_wins(settings):
    assert effective_minimum(settings, 70, AcrRequest(values=(50, 60), named=True)) == 70


@pytest.mark.parametrize("client_min_acr", [None, 0, 10, -50])
@pytest.mark.parametrize("values", [(), (0,), (10,), (10, 20)])
def test_no_client_or_request_lowers_the_directory_floor(settings, client_min_acr, values):
    request = AcrRequest(values=values, named=bool(values))
    assert effective_minimum(settings, client_min_acr, request) == 30


# ensure_reachable and check_request (OpenID Connect Unmet Authentication Requirements 1.0)


def test_reachable_minimum_passes(settings):
    assert ensure_reachable(settings, 100) is None


def test_minimum_above_every_enabled_method_is_unmet(settings):
    with pytest.raises(UnmetAuthenticationRequirements, match="101") as caught:
        ensure_reachable(settings, 101)
    assert caught.value.error == "unmet_authentication_requirements"


def test_remembered_device_alone_does_not_make_a_minimum_reachable():
    settings = LevelSettings.from_mapping(10, {"device": 50, "password": 10})
    ensure_reachable(settings, 60)
    with pytest.raises(UnmetAuthenticationRequirements):
        ensure_reachable(LevelSettings.from_mapping(10, {"device": 50}), 10)


def test_check_request_returns_the_effective_minimum(settings):
    assert check_request(settings, 20, parse_acr_request("40 50", None)) == 40


def test_check_request_refuses_an_unreachable_request(settings):
    with pytest.raises(UnmetAuthenticationRequirements):
        check_request(settings, None, parse_acr_request("110", None))


def test_check_request_refuses_an_unreachable_client_minimum(settings):
    with pytest.raises(UnmetAuthenticationRequirements):
        check_request(settings, 200, AcrRequest())


def test_check_request_refuses_essential_values_none_of_which_is_a_level(settings):
    with pytest.raises(UnmetAuthenticationRequirements, match="essential"):
        check_request(settings, None, parse_acr_request(None, essential("urn:x", "1.5")))


def test_check_request_ignores_voluntary_values_that_are_not_levels(settings):
    assert (
        check_request(settings, None, parse_acr_request("urn:mace:incommon:iap:silver", None)) == 30
    )


def test_check_request_accepts_essential_values_with_one_level(settings):
    assert check_request(settings, None, parse_acr_request(None, essential("urn:x", "40"))) == 40


# resolve_acr (OIDC Core 5.5.1.1)


def test_acr_is_the_session_level_when_no_values_were_named():
    assert resolve_acr(50, AcrRequest()) == "50"


def test_acr_is_the_highest_requested_value_the_level_meets():
    assert resolve_acr(45, AcrRequest(values=(20, 30, 40, 50), named=True)) == "40"


def test_acr_is_a_requested_value_met_exactly():
    assert resolve_acr(30, AcrRequest(values=(30,), essential=True, named=True)) == "30"


def test_unmet_essential_acr_is_refused_not_answered_with_another_value():
    with pytest.raises(UnmetAuthenticationRequirements):
        resolve_acr(30, AcrRequest(values=(40, 50), essential=True, named=True))


def test_essential_acr_without_levels_is_refused():
    with pytest.raises(UnmetAuthenticationRequirements):
        resolve_acr(30, AcrRequest(values=(), essential=True, named=True))


def test_unmet_voluntary_acr_is_answered_with_the_session_level():
    assert resolve_acr(30, AcrRequest(values=(40,), named=True)) == "30"


def test_voluntary_non_numeric_acr_is_answered_with_the_session_level():
    assert resolve_acr(30, AcrRequest(values=(), named=True)) == "30"


# build_amr (RFC 8176)


def test_password_alone_is_pwd_without_mfa():
    assert build_amr([Completion("password", 1)]) == ["pwd"]


def test_password_and_totp_are_multi_factor():
    assert build_amr([Completion("password", 1), Completion("totp", 2)]) == ["pwd", "otp", "mfa"]


def test_two_possession_methods_are_not_multi_factor():
    assert build_amr([Completion("email", 1), Completion("totp", 2), Completion("sms", 3)]) == [
        "sms",
        "otp",
    ]


@pytest.mark.parametrize(
    ("method", "amr"),
    [("app", ["pop", "pin", "mfa"]), ("passkey", ["hwk", "user", "mfa"])],
)
def test_a_method_proving_two_factors_is_multi_factor_alone(method, amr):
    assert build_amr([Completion(method, 1)]) == amr


def test_remembered_device_adds_no_amr_and_no_factor():
    assert build_amr([Completion("device", 1)]) == []
    assert build_amr([Completion("device", 1), Completion("sms", 1)]) == ["sms"]


def test_amr_order_does_not_depend_on_completion_order():
    forward = build_amr([Completion("password", 1), Completion("passkey", 2)])
    backward = build_amr([Completion("passkey", 2), Completion("password", 1)])
    assert forward == backward == ["pwd", "hwk", "user", "mfa"]


def test_amr_override_is_used_and_mfa_is_not_repeated():
    completions = [Completion("passkey", 1, amr=("swk", "mfa")), Completion("password", 2)]
    assert build_amr(completions) == ["pwd", "swk", "mfa"]


def test_amr_of_nothing_is_empty():
    assert build_amr([]) == []


# latest_auth_time (OIDC Core 2)


def test_auth_time_is_the_most_recent_completion_in_whole_seconds():
    completions = [Completion("password", 100.9), Completion("totp", 250.7), Completion("sms", 3)]
    assert latest_auth_time(completions) == 250


def test_auth_time_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="no completed authentication"):
        latest_auth_time([])
