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


def _known_method(method: str, *, list_known: bool = False) -> str:
    """Return `method` when it is one of METHODS; otherwise raise InvalidSettings naming it,
    and the methods there are when `list_known`."""
    if method not in METHODS:
        known = f"; expected one of {', '.join(METHODS)}" if list_known else ""
        raise InvalidSettings(f"unknown authentication method {method!r}{known}")
    return method


def _validated_points(points: Mapping[str, int]) -> Mapping[str, int]:
    if not isinstance(points, Mapping):
        raise InvalidSettings("points must map method names to integers")
    full = dict.fromkeys(METHODS, 0)
    for method, value in points.items():
        _known_method(method, list_known=True)
        if not _is_int(value):
            raise InvalidSettings(f"points for {method} must be a whole number, not {value!r}")
        if not 0 <= value <= MAX_POINTS:
            raise InvalidSettings(
                f"points for {method} must be between 0 and {MAX_POINTS}, not {value}"
            )
        full[method] = value
    return MappingProxyType(full)


#: How long a method's completion may count at most, and at least (when it is limited).
MAX_COUNTS_FOR = 365 * 86400
MIN_COUNTS_FOR = 60
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int | None:
    """Return the seconds of a duration written as a whole number and a unit (``90m``,
    ``12h``, ``30d``; ``s`` for seconds); None for an empty text (no limit). Raises
    InvalidSettings for anything else, or outside MIN_COUNTS_FOR..MAX_COUNTS_FOR."""
    text = text.strip().lower().replace(" ", "")
    if not text:
        return None
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not number.isascii() or not number.isdigit() or len(number) > 9:
        raise InvalidSettings(f"a duration is a whole number and m, h or d (90m, 12h, 30d), "
                              f"not {text[:20]!r}")
    return _validated_duration(int(number) * _UNITS[unit])


def format_duration(seconds: int | None) -> str:
    """Write seconds in the largest unit that divides them (``43200`` is ``12h``); an
    empty text for no limit."""
    if seconds is None:
        return ""
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def _validated_duration(seconds: object) -> int:
    if not _is_int(seconds) or not MIN_COUNTS_FOR <= seconds <= MAX_COUNTS_FOR:  # type: ignore[operator]
        raise InvalidSettings(f"a method counts for {MIN_COUNTS_FOR} seconds to "
                              f"{MAX_COUNTS_FOR // 86400} days, not {seconds!r}")
    return seconds  # type: ignore[return-value]


def _validated_counts_for(counts_for: Mapping[str, int | None]) -> Mapping[str, int | None]:
    if not isinstance(counts_for, Mapping):
        raise InvalidSettings("counts_for must map method names to seconds or None")
    full: dict[str, int | None] = dict.fromkeys(METHODS)
    for method, value in counts_for.items():
        _known_method(method)
        full[method] = None if value is None else _validated_duration(value)
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
    """Hold a directory's required level, the points of every method and how long each
    counts once completed (`counts_for`, seconds; None: for the whole session), always
    valid. A completion older than its method's time no longer counts towards a level
    (``counted_completions``): a step-up asks for that method again, and for nothing else."""

    required_level: int = DEFAULT_REQUIRED_LEVEL
    points: Mapping[str, int] = field(default_factory=lambda: DEFAULT_POINTS)
    counts_for: Mapping[str, int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Frozen, so normalise through object.__setattr__: every method present, read-only.
        object.__setattr__(self, "required_level", _validated_level(self.required_level))
        object.__setattr__(self, "points", _validated_points(self.points))
        object.__setattr__(self, "counts_for", _validated_counts_for(self.counts_for))

    def __hash__(self) -> int:
        return hash((self.required_level, tuple(self.points[m] for m in METHODS),
                     tuple(self.counts_for[m] for m in METHODS)))

    @classmethod
    def from_mapping(cls, required_level: int, points: Mapping[str, int],
                     counts_for: Mapping[str, int | None] | None = None) -> LevelSettings:
        """Build validated settings; methods missing from `points` get 0 (disabled), and
        those missing from `counts_for` count for the whole session."""
        return cls(required_level=required_level, points=points, counts_for=counts_for or {})

    def points_of(self, method: str) -> int:
        """Return the points a method is worth (0 means disabled)."""
        return self.points[check_method(method)]

    def enabled_methods(self) -> frozenset[str]:
        """Return the methods worth more than 0 points, which is what enables them."""
        return frozenset(m for m in METHODS if self.points[m] > 0)

    def aging_methods(self) -> tuple[str, ...]:
        """Return the enabled methods that count for a limited time, in METHODS order."""
        return tuple(m for m in METHODS if self.points[m] > 0 and self.counts_for[m] is not None)

    def level_of(self, methods: Iterable[str]) -> int:
        """Sum the points of the distinct `methods`; the remembered device never counts alone."""
        distinct = {check_method(m) for m in methods}
        others = sum(self.points[m] for m in distinct if m != "device")
        if others > 0 and "device" in distinct:
            return others + self.points["device"]
        return others

    def with_changes(
        self, required_level: int | None = None, points: Mapping[str, int] | None = None,
        counts_for: Mapping[str, int | None] | None = None,
    ) -> LevelSettings:
        """Return validated settings with a new level and/or some methods' points or times
        replaced."""
        return LevelSettings(
            required_level=self.required_level if required_level is None else required_level,
            points={**self.points, **(points or {})},
            counts_for={**self.counts_for, **(counts_for or {})},
        )


def max_reachable(settings: LevelSettings, methods: Iterable[str] | None = None) -> int:
    """Return the highest level reachable with `methods` (default: all), each counted once."""
    return settings.level_of(METHODS if methods is None else methods)
