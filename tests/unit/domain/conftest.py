"""Fixtures for the pure domain tests: no app, no database, no clock."""

from collections.abc import Callable

import pytest

from idp.domain import Completion, LevelSettings

NOW = 1_700_000_000.0


@pytest.fixture
def settings() -> LevelSettings:
    """Return the product's default settings: level 30, password 20, passkey 30, ..."""
    return LevelSettings()


@pytest.fixture
def now() -> float:
    """Return a fixed moment to pass in as the current time."""
    return NOW


@pytest.fixture
def complete() -> Callable[..., list[Completion]]:
    """Return a factory of completions, one per method, all a minute before `now`."""

    def factory(*methods: str, at: float = NOW - 60) -> list[Completion]:
        return [Completion(method, at) for method in methods]

    return factory
