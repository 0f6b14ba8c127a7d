"""Authentication level settings of a directory: the points of each method and the floor."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from idp.domain.errors import InvalidSettings

T = TypeVar("T")

DEFAULT_REQUIRED_LEVEL = 30
MAX_POINTS = 100
MAX_LEVEL = 1000

FACTORS: tuple[str, ...] = ("knowledge", "possession", "inherence")


@dataclass(frozen=True)
class MethodInfo:
    """Describe what a method proves: its RFC 8176 amr values and its factor categories."""

    amr: tuple[str, ...]
    factors: frozenset[str]
    phishing_resistant: bool = False
    restricted: bool = False  # NIST SP 800-63B 5.1.3.3: authentication via the PSTN
    # It names the user on the login form (a password, or a passkey's user handle); the
    # other methods add points to a user it named and never name one themselves.
    identifies: bool = False
    # The step-up page may offer it: it has a page of its own. The login form asks for the
    # password, and the browser brings the remembered device, so neither is offered there.
    offered_in_step_up: bool = True
    # Kept for when the everyday methods are lost, each use spending one of a few single-use
    # secrets (recovery codes): the step-up page offers to set up an everyday method before
    # one is spent (``plan_step_up``), and the lock-out preview counts people who need it
    # to reach a level as at risk.
    fallback: bool = False


@dataclass(frozen=True)
class MethodFacts:
    """What the rules know of one sign-in method: its name, default points and MethodInfo.

    Each method declares its own (``idp.methods``: ``SignInMethod.facts``); the rules
    cannot import the methods, so ``idp.methods`` hands them over with `install_methods`.
    """

    name: str
    default_points: int
    info: MethodInfo


_FACTS: dict[str, MethodFacts] = {}


def install_methods(facts: Iterable[MethodFacts]) -> None:
    """Make `facts` the methods there are, in this order (``idp.methods`` does, on import).

    Every table below (METHODS, DEFAULT_POINTS, METHOD_INFO, IDENTIFYING,
    STEP_UP_METHODS) is a live view of what was installed last.
    """
    chosen = tuple(facts)
    names = [f.name for f in chosen]
    if not chosen or len(set(names)) != len(names):
        raise ValueError(f"sign-in methods must be some, each once: {names}")
    for f in chosen:
        if not _is_int(f.default_points) or not 0 <= f.default_points <= MAX_POINTS:
            raise ValueError(f"default points of {f.name} must be 0..{MAX_POINTS}")
        if not f.info.factors <= set(FACTORS):
            raise ValueError(f"factors of {f.name} must be among {FACTORS}")
    _FACTS.clear()
    _FACTS.update((f.name, f) for f in chosen)


def _installed() -> dict[str, MethodFacts]:
    if not _FACTS:
        raise LookupError("no sign-in methods are installed: import idp.methods first")
    return _FACTS


class _MethodNames(Sequence[str]):
    """The installed method names, in order; equal to the tuple of the same names."""

    def _names(self) -> tuple[str, ...]:
        return tuple(_installed())

    def __getitem__(self, index):  # type: ignore[override]
        return self._names()[index]

    def __len__(self) -> int:
        return len(_installed())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, name: object) -> bool:
        return name in _installed()

    def __eq__(self, other: object) -> bool:
        return self._names() == (tuple(other) if isinstance(other, Sequence) else other)

    def __hash__(self) -> int:
        return hash(self._names())

    def __repr__(self) -> str:
        return repr(self._names())


class _MethodSet(AbstractSet[str]):
    """The installed methods whose MethodInfo passes `test`, as a read-only set."""

    def __init__(self, test: Callable[[MethodInfo], bool]):
        self._test = test

    def _names(self) -> frozenset[str]:
        return frozenset(n for n, f in _installed().items() if self._test(f.info))

    @classmethod
    def _from_iterable(cls, it: Iterable[str]) -> frozenset[str]:
        return frozenset(it)

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names(), key=tuple(_installed()).index))

    def __len__(self) -> int:
        return len(self._names())

    __hash__ = AbstractSet._hash

    def __repr__(self) -> str:
        return repr(self._names())


class _Table(Mapping[str, T]):
    """One fact of every installed method, by name, in order (read-only)."""

    def __init__(self, fact: Callable[[MethodFacts], T]):
        self._fact = fact

    def __getitem__(self, name: str) -> T:
        return self._fact(_installed()[name])

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_installed()))

    def __len__(self) -> int:
        return len(_installed())

    def __repr__(self) -> str:
        return repr(dict(self))


#: Every sign-in method, in the order the rules list them.
METHODS: Sequence[str] = _MethodNames()
#: The points each method is worth in a new directory.
DEFAULT_POINTS: Mapping[str, int] = _Table(lambda f: f.default_points)
#: What each method proves.
METHOD_INFO: Mapping[str, MethodInfo] = _Table(lambda f: f.info)
#: The methods that identify the user; a level always rests on one of them.
IDENTIFYING: AbstractSet[str] = _MethodSet(lambda info: info.identifies)
#: The methods the step-up page offers (each has a page of its own).
STEP_UP_METHODS: AbstractSet[str] = _MethodSet(lambda info: info.offered_in_step_up)
#: The fallback methods, for when the others are lost (recovery codes).
FALLBACKS: AbstractSet[str] = _MethodSet(lambda info: info.fallback)
def check_method(method: str) -> str:
    """Return `method` unchanged, or raise ValueError when it is not one of METHODS."""
    if method not in METHODS:
        raise ValueError(f"unknown authentication method {method!r}")
    return method


def multi_factor(methods: Iterable[str]) -> bool:
    """Say whether these methods together prove two or more factor categories.

    The one rule of "multi-factor": the settings' combinations table and the ID token's
    ``mfa`` (``build_amr``) both ask it. Each method declares its factors in its facts; a
    step that proves none (the email code: NIST SP 800-63B does not count it as something
    you have; the remembered device) never makes a login multi-factor.
    """
    factors = {f for m in methods for f in METHOD_INFO[check_method(m)].factors}
    return len(factors) >= 2


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validated_points(points: Mapping[str, int]) -> Mapping[str, int]:
    if not isinstance(points, Mapping):
        raise InvalidSettings("points must map method names to integers")
    full = dict.fromkeys(METHODS, 0)
    for method, value in points.items():
        if method not in METHODS:
            raise InvalidSettings(
                f"unknown authentication method {method!r}; expected one of {', '.join(METHODS)}"
            )
        if not _is_int(value):
            raise InvalidSettings(f"points for {method} must be a whole number, not {value!r}")
        if not 0 <= value <= MAX_POINTS:
            raise InvalidSettings(
                f"points for {method} must be between 0 and {MAX_POINTS}, not {value}"
            )
        full[method] = value
    return MappingProxyType(full)


def _validated_level(required_level: int) -> int:
    if not _is_int(required_level) or not 1 <= required_level <= MAX_LEVEL:
        raise InvalidSettings(
            f"required level must be a whole number between 1 and {MAX_LEVEL}, "
            f"not {required_level!r}"
        )
    return required_level


@dataclass(frozen=True)
class LevelSettings:
    """Hold a directory's required level and the points of every method, always valid."""

    required_level: int = DEFAULT_REQUIRED_LEVEL
    points: Mapping[str, int] = field(default_factory=lambda: DEFAULT_POINTS)

    def __post_init__(self) -> None:
        # Frozen, so normalise through object.__setattr__: every method present, read-only.
        object.__setattr__(self, "required_level", _validated_level(self.required_level))
        object.__setattr__(self, "points", _validated_points(self.points))

    def __hash__(self) -> int:
        return hash((self.required_level, tuple(self.points[m] for m in METHODS)))

    @classmethod
    def from_mapping(cls, required_level: int, points: Mapping[str, int]) -> LevelSettings:
        """Build validated settings; methods missing from `points` get 0 (disabled)."""
        return cls(required_level=required_level, points=points)

    def points_of(self, method: str) -> int:
        """Return the points a method is worth (0 means disabled)."""
        return self.points[check_method(method)]

    def enabled_methods(self) -> frozenset[str]:
        """Return the methods worth more than 0 points, which is what enables them."""
        return frozenset(m for m in METHODS if self.points[m] > 0)

    def level_of(self, methods: Iterable[str]) -> int:
        """Sum the points of the distinct `methods`; the remembered device never counts alone."""
        distinct = {check_method(m) for m in methods}
        others = sum(self.points[m] for m in distinct if m != "device")
        if others > 0 and "device" in distinct:
            return others + self.points["device"]
        return others

    def with_changes(
        self, required_level: int | None = None, points: Mapping[str, int] | None = None
    ) -> LevelSettings:
        """Return validated settings with a new level and/or some methods' points replaced."""
        return LevelSettings(
            required_level=self.required_level if required_level is None else required_level,
            points={**self.points, **(points or {})},
        )


def max_reachable(settings: LevelSettings, methods: Iterable[str] | None = None) -> int:
    """Return the highest level reachable with `methods` (default: all), each counted once."""
    return settings.level_of(METHODS if methods is None else methods)
