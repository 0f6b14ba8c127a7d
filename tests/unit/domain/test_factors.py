"""Multi-factor, one rule: the settings' combinations table and the ID token's ``mfa``.

NIST SP 800-63B does not count an email code as something you have (5.1.3.1), so the
email code declares no factor: it adds points, never a second factor.
"""

import itertools

import pytest

from idp.domain import (
    METHOD_INFO,
    METHODS,
    Completion,
    LevelSettings,
    build_amr,
    describe_combination,
    multi_factor,
    reaching_combinations,
)


def amr_of(*methods: str) -> list[str]:
    return build_amr(Completion(m, 1000.0 + i) for i, m in enumerate(methods))


def test_the_email_code_proves_no_factor():
    assert METHOD_INFO["email"].factors == frozenset()


def test_a_password_and_an_email_code_is_not_multi_factor():
    combination = describe_combination(LevelSettings(), ["password", "email"])
    assert not combination.multi_factor
    assert combination.sms_or_email_only  # still shown as resting on an email code
    assert amr_of("password", "email") == ["pwd", "otp"]


def test_a_password_and_an_authenticator_app_is_multi_factor():
    assert describe_combination(LevelSettings(), ["password", "totp"]).multi_factor
    assert amr_of("password", "totp") == ["pwd", "otp", "mfa"]


def test_an_email_code_beside_a_possession_method_adds_no_factor():
    assert not multi_factor(["email", "totp"])
    assert multi_factor(["password", "email", "sms"])


@pytest.mark.parametrize("size", [1, 2, 3])
def test_the_table_and_the_id_token_agree_on_every_set_of_methods(size):
    for methods in itertools.combinations(METHODS, size):
        hinted = describe_combination(LevelSettings(), methods).multi_factor
        assert hinted is ("mfa" in amr_of(*methods)), methods


def test_no_default_combination_with_only_an_email_code_beyond_the_password_says_mfa():
    for combination in reaching_combinations(LevelSettings()):
        if combination.methods == ("password", "email"):
            assert not combination.multi_factor
            break
    else:
        pytest.fail("password + email code should reach the default level")
