"""Authentication level settings of a directory: the points of each method and the floor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from idp.domain.errors import InvalidSettings

METHODS: tuple[str, ...] = (
    "password",
    "sms",
    "email",
    "voice",
    "totp",
    "app",
    "passkey",
    "recovery",
    "device",
)

DEFAULT_POINTS: Mapping[str, int] = MappingProxyType(
    {
        "password": 20,
        "sms": 10,
        "email": 10,
        "voice": 0,
        "totp": 10,
        "app": 10,
        "passkey": 30,
        "recovery": 10,
        "device": 0,
    }
)
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


METHOD_INFO: Mapping[str, MethodInfo] = MappingProxyType(
    {
        "password": MethodInfo(
            ("pwd",), frozenset({"knowledge"}), identifies=True, offered_in_step_up=False
        ),
        "sms": MethodInfo(("sms",), frozenset({"possession"}), restricted=True),
        # NIST does not count an email code as possession; for amr/mfa we do.
        "email": MethodInfo(("otp",), frozenset({"possession"})),
        # RFC 8176 "tel": confirmation by telephone call; the PSTN, like SMS.
        "voice": MethodInfo(("tel",), frozenset({"possession"}), restricted=True),
        "totp": MethodInfo(("otp",), frozenset({"possession"})),
        "app": MethodInfo(("pop", "pin"), frozenset({"possession", "knowledge"})),
        "passkey": MethodInfo(
            ("hwk", "user"),
            frozenset({"possession", "inherence"}),
            phishing_resistant=True,
            identifies=True,
        ),
        "recovery": MethodInfo(("otp",), frozenset({"possession"})),
        "device": MethodInfo((), frozenset(), offered_in_step_up=False),
    }
)

#: The methods that identify the user; a level always rests on one of them.
IDENTIFYING: frozenset[str] = frozenset(m for m in METHODS if METHOD_INFO[m].identifies)
#: The methods the step-up page offers (each has a page of its own).
STEP_UP_METHODS: frozenset[str] = frozenset(
    m for m in METHODS if METHOD_INFO[m].offered_in_step_up
)


def check_method(method: str) -> str:
    """Return `method` unchanged, or raise ValueError when it is not one of METHODS."""
    if method not in METHODS:
        raise ValueError(f"unknown authentication method {method!r}")
    return method


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
