"""The lock-out preview: what candidate level settings would mean before they are saved.

Two questions an admin must be able to answer before raising the level or lowering a
method's points (PRODUCT.md, "Nobody locked out" and "Assurance hints"):

* Which combinations of enabled methods reach the level, and what each is worth in the
  terms auditors use: multi-factor, phishing-resistant, resting on SMS (a restricted
  authenticator, NIST SP 800-63B 5.1.3.3) or on email (not a possession factor there).
* Who could no longer reach it with what they have enrolled, and of those, who could
  still enrol one method at their next login (the login's own rule, ``plan_step_up``)
  and who would be locked out until an admin helps them.

Decisions, stated once:

* Every login starts with a first step that says who the person is: the password
  (always asked, even when it is worth 0 points) or a passkey (when enabled). So a
  combination contains one of them, and a user who has neither cannot log in at all.
* The remembered device is left out of the combinations a first login can take: it is
  remembered only after a full login, so it never opens the way to one. Its points still
  count at later logins as ``LevelSettings.level_of`` says, so the admin's table also
  lists, after those, the combinations that need the device (``remembered=True``: on a
  remembered browser, "Password + Remembered device" may reach the level). The device
  proves no factor: such a combination is never multi-factor on its account.
* A level is reachable when at least one combination without the device reaches it;
  otherwise the settings are refused.
* A combination is phishing-resistant when it contains a phishing-resistant method
  (``METHOD_INFO``; the passkey): every login through it needs an origin-bound step
  that a phishing site cannot relay, whatever else it contains.
* A combination is multi-factor when its methods cover two or more factor categories, as
  each method declares them (``MethodInfo.factors``; ``build_amr`` adds ``mfa`` by the same
  rule). The email code declares none: NIST SP 800-63B does not count it as something you
  have, so "Password + Email code" is not multi-factor.
* It rests on SMS or email only when every method in it beyond knowledge (the password)
  is an SMS or email code.
* Someone who reaches the level only with a method each use of which spends a single-use
  secret (``MethodInfo.fallback``: recovery codes) is at risk: every login spends a code,
  and when the codes run out they are locked out. The preview names them, with the
  methods of which enrolling one would let them log in without spending codes.
* The level is reachable only through SMS when every combination contains the SMS code;
  then everyone without a proven mobile number would be excluded, and is named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from idp.domain.settings import (
    FALLBACKS,
    IDENTIFYING,
    METHOD_INFO,
    METHODS,
    LevelSettings,
    check_method,
    multi_factor,
)
from idp.domain.stepup import plan_step_up


def _weak(method: str) -> bool:
    """Say whether NIST SP 800-63B counts this step as weak: a code by the phone network
    (SMS, voice call) is a restricted authenticator (5.1.3.3), and a step that proves no
    factor (the email code, 5.1.3.1) is not something you have. Each method declares both
    in its MethodInfo."""
    info = METHOD_INFO[method]
    return info.restricted or not info.factors


@dataclass(frozen=True)
class Combination:
    """One minimal set of enabled methods that reaches a level, with its assurance hints."""

    methods: tuple[str, ...]
    points: int
    multi_factor: bool
    phishing_resistant: bool
    uses_sms: bool
    uses_email: bool
    sms_or_email_only: bool

    @property
    def remembered(self) -> bool:
        """Say whether it needs a remembered browser (the device): never a first login."""
        return "device" in self.methods


@dataclass(frozen=True)
class Member:
    """A user as the preview sees them: who they are and which methods they have enrolled."""

    id: int
    username: str
    name: str | None
    enrolled: frozenset[str]

    @property
    def display_name(self) -> str:
        return self.name or self.username


@dataclass(frozen=True)
class Affected:
    """A user who cannot reach a level: the methods of which enrolling one would get them
    there (empty: locked out, they need an admin)."""

    member: Member
    enrol_options: tuple[str, ...]

    @property
    def locked_out(self) -> bool:
        return not self.enrol_options


@dataclass(frozen=True)
class SettingsPreview:
    """What saving `candidate` instead of `current` would do, for these users."""

    current: LevelSettings
    candidate: LevelSettings
    combinations: tuple[Combination, ...]
    users: int
    losing: tuple[Affected, ...]  # reach the current level now, not the candidate's
    still_short: tuple[Affected, ...]  # reach neither
    gaining: int  # reach the candidate's level, not the current one
    sms_excluded: tuple[Member, ...]  # when only SMS reaches it: those without a mobile
    can_enrol: tuple[Affected, ...] = ()  # of `losing`: one method would get them back
    locked_out: tuple[Affected, ...] = ()  # of `losing`: nothing they could enrol helps
    # Reach the candidate's level only by spending recovery codes (``FALLBACKS``); their
    # options: the methods of which enrolling one would spare the codes.
    at_risk: tuple[Affected, ...] = ()

    @property
    def first_logins(self) -> tuple[Combination, ...]:
        """Return the combinations a login can take without a remembered browser."""
        return tuple(c for c in self.combinations if not c.remembered)

    @property
    def reachable(self) -> bool:
        """Say whether any combination of enabled methods reaches the candidate level."""
        return bool(self.first_logins)

    @property
    def sms_only(self) -> bool:
        """Say whether every way to the candidate level goes through an SMS code."""
        return self.reachable and all(c.uses_sms for c in self.first_logins)

    @property
    def needs_confirmation(self) -> bool:
        """Say whether saving needs the admin's explicit confirmation (SMS only)."""
        return self.sms_only

    @property
    def changed(self) -> bool:
        return self.current != self.candidate


def describe_combination(settings: LevelSettings, methods: Iterable[str]) -> Combination:
    """Return `methods` (in METHODS order) with their points and assurance hints."""
    wanted = {check_method(m) for m in methods}
    chosen = tuple(m for m in METHODS if m in wanted)
    beyond_knowledge = {m for m in chosen
                        if m != "device" and METHOD_INFO[m].factors != {"knowledge"}}
    return Combination(
        methods=chosen,
        points=settings.level_of(chosen),
        multi_factor=multi_factor(chosen),
        phishing_resistant=any(METHOD_INFO[m].phishing_resistant for m in chosen),
        uses_sms=any(METHOD_INFO[m].restricted for m in chosen),
        uses_email="email" in chosen,
        sms_or_email_only=bool(beyond_knowledge) and all(map(_weak, beyond_knowledge)),
    )


def first_steps(settings: LevelSettings) -> frozenset[str]:
    """Return the methods a login can start with: the password, and the passkey if enabled.

    These are the identifying methods (IDENTIFYING); the password is asked even when it
    is worth 0 points, the others only when enabled.
    """
    return frozenset(m for m in IDENTIFYING if m == "password" or settings.points_of(m))


def _logs_in(settings: LevelSettings, methods: frozenset[str]) -> bool:
    return bool(methods & first_steps(settings)) and \
        settings.level_of(methods) >= settings.required_level


def reaching_combinations(settings: LevelSettings, methods: Iterable[str] | None = None, *,
                          remembered: bool = False) -> tuple[Combination, ...]:
    """Return the minimal sets of enabled methods that reach the level, of `methods` (a
    user's: the profile) or of all (the admin's preview).

    Each set starts with a first step (``first_steps``). Minimal: dropping any one method
    loses the first step or falls below the level; as adding a method never does either,
    no smaller subset qualifies. Fewest methods first, then most points. The remembered
    device is left out unless `remembered`: then the sets that reach the level only on a
    remembered browser follow the others (``Combination.remembered``), minimal the same
    way, so none contains a set that reaches the level without the device.
    """
    among = set(METHODS if methods is None else methods)
    usable = [m for m in METHODS if m in among and (m == "password" or (
        (remembered or m != "device") and settings.points_of(m) > 0))]
    found = []
    for mask in range(1, 1 << len(usable)):
        chosen = frozenset(m for i, m in enumerate(usable) if mask >> i & 1)
        if _logs_in(settings, chosen) and not any(
                _logs_in(settings, chosen - {m}) for m in chosen):
            found.append(describe_combination(settings, chosen))
    return tuple(sorted(found, key=lambda c: (
        c.remembered, len(c.methods), -c.points, tuple(METHODS.index(m) for m in c.methods))))


def reaches(settings: LevelSettings, enrolled: Iterable[str]) -> bool:
    """Say whether someone with these methods can log in at the required level."""
    return _logs_in(settings, frozenset(enrolled) - {"device"})


def enrol_options(settings: LevelSettings, enrolled: frozenset[str],
                  enrollable: frozenset[str]) -> tuple[str, ...]:
    """Return the methods of which enrolling one would bring this user to the level.

    The login's own rule: a user who completed all they have is offered the enabled,
    enrollable methods that, added to them, reach the minimum.
    """
    have = enrolled - {"device"}
    if not have & first_steps(settings):
        return ()  # nobody can log in to enrol anything
    plan = plan_step_up(settings, have, settings.required_level, have, enrollable - have)
    return plan.enrol_options


def _by_name(member: Member) -> tuple[str, str, int]:
    return (member.display_name.casefold(), member.username.casefold(), member.id)


def preview_settings(current: LevelSettings, candidate: LevelSettings,
                     users: Iterable[Member],
                     enrollable: Iterable[str] = ()) -> SettingsPreview:
    """Return what saving `candidate` would do to `users`.

    `enrollable` names the methods a user can enrol during login (the same for everyone);
    users are grouped by what they have enrolled, so the rules run once per group.
    """
    can_add = frozenset(enrollable)
    combinations = reaching_combinations(candidate, remembered=True)
    first_logins = [c for c in combinations if not c.remembered]
    sms_only = bool(first_logins) and all(c.uses_sms for c in first_logins)
    restricted = frozenset(m for m in METHODS if METHOD_INFO[m].restricted)
    verdicts: dict[frozenset[str], tuple[bool, bool, tuple[str, ...], bool]] = {}
    losing: list[Affected] = []
    short: list[Affected] = []
    at_risk: list[Affected] = []
    excluded: list[Member] = []
    count = gaining = 0
    for member in users:
        count += 1
        verdict = verdicts.get(member.enrolled)
        if verdict is None:
            now_ok = reaches(current, member.enrolled)
            then_ok = reaches(candidate, member.enrolled)
            unspent = member.enrolled - FALLBACKS
            risky = then_ok and not reaches(candidate, unspent)
            options = enrol_options(candidate, unspent if risky else member.enrolled,
                                    can_add) if risky or not then_ok else ()
            verdict = verdicts[member.enrolled] = (now_ok, then_ok, options, risky)
        now_ok, then_ok, options, risky = verdict
        if not then_ok:
            (losing if now_ok else short).append(Affected(member, options))
        elif not now_ok:
            gaining += 1
        if risky:
            at_risk.append(Affected(member, options))
        if sms_only and not member.enrolled & restricted:
            excluded.append(member)
    losing.sort(key=lambda a: _by_name(a.member))
    return SettingsPreview(
        current=current,
        candidate=candidate,
        combinations=combinations,
        users=count,
        losing=tuple(losing),
        still_short=tuple(sorted(short, key=lambda a: _by_name(a.member))),
        gaining=gaining,
        sms_excluded=tuple(sorted(excluded, key=_by_name)),
        can_enrol=tuple(a for a in losing if not a.locked_out),
        locked_out=tuple(a for a in losing if a.locked_out),
        at_risk=tuple(sorted(at_risk, key=lambda a: _by_name(a.member))),
    )


def enrol_counts(affected: Iterable[Affected]) -> Mapping[str, int]:
    """Count, per method in METHODS order, the users for whom enrolling it would suffice."""
    counts = dict.fromkeys(METHODS, 0)
    for person in affected:
        for method in person.enrol_options:
            counts[method] += 1
    return {m: n for m, n in counts.items() if n}


@dataclass(frozen=True)
class MethodLoss:
    """What a change that takes one method from some users (a stricter SMS destination
    policy) does to them: who loses it, who then falls short of the level, and of those,
    who could still enrol something at their next login and who is locked out."""

    method: str
    losing: tuple[Member, ...]
    short: tuple[Affected, ...] = ()

    @property
    def can_enrol(self) -> tuple[Affected, ...]:
        return tuple(a for a in self.short if not a.locked_out)

    @property
    def locked_out(self) -> tuple[Affected, ...]:
        return tuple(a for a in self.short if a.locked_out)


def preview_method_loss(settings: LevelSettings, method: str, before: Iterable[Member],
                        after: Iterable[Member], enrollable: Iterable[str] = ()) -> MethodLoss:
    """Return what losing `method` does to the users who have it in `before` and not in
    `after` (the same users, counted under the current and the candidate rule)."""
    check_method(method)
    can_add = frozenset(enrollable)
    keeps = {m.id for m in after if method in m.enrolled}
    losing, short = [], []
    for member in before:
        if method not in member.enrolled or member.id in keeps:
            continue
        losing.append(member)
        left = member.enrolled - {method}
        if reaches(settings, member.enrolled) and not reaches(settings, left):
            short.append(Affected(member, enrol_options(settings, left, can_add)))
    losing.sort(key=_by_name)
    short.sort(key=lambda a: _by_name(a.member))
    return MethodLoss(method, tuple(losing), tuple(short))
