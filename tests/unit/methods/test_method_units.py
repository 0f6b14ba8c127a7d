"""A sign-in method is one unit: everything that is its own is declared in its module.

The rules (``idp.domain``), the census, enrolments, user administration, notifications
and the profile read it from the registry; none of them names a method.
"""

from __future__ import annotations

import pytest

from idp.domain import (
    DEFAULT_POINTS,
    FACTORS,
    IDENTIFYING,
    METHOD_INFO,
    METHODS,
    STEP_UP_METHODS,
    LevelSettings,
    MethodFacts,
    MethodInfo,
    install_methods,
)
from idp.methods import METHOD_TYPES, SignInMethod

NAMES = [t.name for t in METHOD_TYPES]


@pytest.fixture
def extra_method():
    """Install the facts of one more method, a hardware token, and restore the eight after."""
    token = MethodFacts("token", 15, MethodInfo(("hwk", "otp"), frozenset({"possession"})))
    install_methods([*(t.facts() for t in METHOD_TYPES), token])
    yield token
    install_methods(t.facts() for t in METHOD_TYPES)


@pytest.mark.parametrize("method", METHOD_TYPES, ids=NAMES)
def test_every_method_declares_its_facts_in_its_module(method: type[SignInMethod]):
    facts = method.facts()
    assert facts.name == method.name
    assert isinstance(facts.default_points, int) and 0 <= facts.default_points <= 100
    assert isinstance(facts.info, MethodInfo)
    assert facts.info.factors <= set(FACTORS)
    assert "name" in vars(method) and "info" in vars(method) and "default_points" in vars(method)


def test_the_rules_list_exactly_the_registered_methods_in_their_order():
    assert tuple(METHODS) == tuple(NAMES)
    assert dict(DEFAULT_POINTS) == {t.name: t.default_points for t in METHOD_TYPES}
    assert dict(METHOD_INFO) == {t.name: t.info for t in METHOD_TYPES}
    assert set(IDENTIFYING) == {t.name for t in METHOD_TYPES if t.info.identifies}
    assert set(STEP_UP_METHODS) == {t.name for t in METHOD_TYPES if t.info.offered_in_step_up}


def test_a_new_method_needs_no_entry_in_the_rules_tables(extra_method):
    assert "token" in METHODS and METHODS[-1] == "token"
    assert DEFAULT_POINTS["token"] == 15
    assert METHOD_INFO["token"].amr == ("hwk", "otp")
    assert "token" in STEP_UP_METHODS and "token" not in IDENTIFYING
    assert LevelSettings().points_of("token") == 15
    assert LevelSettings().level_of(["password", "token"]) == 35


def test_the_tables_refuse_a_method_twice_or_points_out_of_range():
    twice = [t.facts() for t in METHOD_TYPES] + [METHOD_TYPES[0].facts()]
    with pytest.raises(ValueError):
        install_methods(twice)
    too_many = MethodFacts("token", 101, MethodInfo((), frozenset()))
    with pytest.raises(ValueError):
        install_methods([*(t.facts() for t in METHOD_TYPES), too_many])
    assert tuple(METHODS) == tuple(NAMES)


def test_the_app_registry_holds_one_instance_of_every_method(app):
    from idp.services import services

    with app.app_context():
        registry = services().methods
    assert set(registry) == set(NAMES)
    assert all(isinstance(registry[t.name], t) for t in METHOD_TYPES)
