"""The one small interface every sign-in method implements.

A method is one module: it says whether a user has enrolled it, prepares a
challenge (``begin``), checks the response (``verify``) and, when it can be
enrolled during login or from the profile, runs that enrolment. The web layer renders
the method's template with what ``begin`` or ``start_enrolment`` returns; it knows
nothing else of it.

Showing a page changes nothing (a GET is safe, RFC 9110 9.2.1): ``begin`` and
``start_enrolment`` store nothing. What a page needs of its own (a WebAuthn challenge,
a new authenticator app's key) travels sealed in its form (``Sealer.seal_form``); what
must be stored first (the app's activation code) is made by a POST of its own
(``prepare_enrolment``), on the person's request.

Everything else that is a method's own is declared on its class too, and the rest of the
provider loops over the registry instead of naming methods. Adding a method (a voice
call, a hardware token) is its module plus its line in ``METHOD_TYPES``
(``idp/methods/__init__.py``); it declares:

- how it is made: ``build(parts)`` from what the app is built with (``MethodParts``);
  a method that brings a delivery channel of its own names its sender's factory in
  ``channel_sender``;
- its facts: ``name``, ``title``, ``default_points``, ``info`` (``MethodInfo``: amr,
  factors, restricted, phishing-resistant, identifies, offered in step-up); the rules'
  tables (``idp.domain.METHODS``, ``DEFAULT_POINTS``, ``METHOD_INFO``) come from these;
- who has it: ``is_enrolled`` for one user, ``holders`` for many (census, user lists),
  saying the same of each user; a method whose rows alone say it declares that one query
  (``holding``) instead of both, and the login asks every such method in one statement
  (``enrolled_methods``), with the rows a method needs but that do not alone decide
  (``needing``);
- its items and their removal: ``items`` (``Enrolment``, with ``counts`` true exactly
  when ``is_enrolled``), ``remove``, ``removal_note`` (what removing it does to the
  person's contact details), ``several``, ``removable``, ``per_user``;
- its notices: ``added_notice``, ``removed_notice``; ``refusal`` when the person can
  say with it that a login is not theirs; its profile link:
  ``profile_addition`` (to ``account.profile_method`` with its own ``profile_template``
  when the profile has no page of its own for it; a page that sends a first challenge,
  as the voice call does, posts its ``challenge_fields`` to ``account.profile_method_send``);
- the login: ``template``, ``begin``, ``challenge``, ``verify``; its enrolment:
  ``enrol_template``, ``set_up_label`` (its button, a whole sentence),
  ``set_up_description`` (one line beside it: what it is), ``start_enrolment``,
  ``finish_enrolment``.

A method that sends a code uses ``delivered.DeliveredCode`` with its ``channel``; a channel
of its own comes with the method (``channel_sender``). tests/unit/methods/test_method_units.py
checks each registered method declares all of this.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import gettext
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    bindparam,
    literal,
    select,
    union_all,
)

from ..config import Settings
from ..domain import DestinationPolicy, MethodFacts, MethodInfo
from ..security.passwords import PasswordService
from ..security.sealing import Sealer
from ..storage import db
from ..storage.models import Directory, User
from .context import MethodContext

if TYPE_CHECKING:
    from .one_time_codes import CodeService


@dataclass(frozen=True)
class MethodParts:
    """What the app builds its sign-in methods with (``SignInMethod.build``)."""

    settings: Settings
    passwords: PasswordService
    sealer: Sealer
    codes: CodeService
    host: str  # the provider's host name, for the codes' origin-bound messages


class CommandFailed(Exception):
    """A method's own ``idp`` command cannot do what was asked; the message says why."""


class MethodFailed(Exception):
    """The response was wrong; the message is shown to the person and counts as a failure.

    `tries_left` is set when the message counts the tries the method itself still allows
    (a sent code's); the web then words it with the fewest any limit allows.
    """

    status = 400
    counts_as_failure = True
    tries_left: int | None = None


class NotAGuess(MethodFailed):
    """The answer could not be checked: a code already used or expired, no code sent, a
    malformed code, an expired form or challenge. Shown to the person, but no guess at a
    secret was made, so it uses none of the account's failure budget."""

    counts_as_failure = False


class AccountDisabled(NotAGuess):
    """The person proved who they are (the right password, a valid passkey), but an admin
    disabled the account: said only then, so nothing is revealed to anyone else. No guess
    failed, and the login goes no further."""

    status = 403

    def __init__(self, user: User):
        super().__init__(gettext("Your account is disabled, so you cannot log in. Ask your "
                                 "administrator to enable it again."))
        self.user = user


class StepExpired(NotAGuess):
    """The page's sealed state is too old, used, or not this person's: start the step again."""


class MethodRefused(NotAGuess):
    """The method may not be used this way by the directory's policy (a code to a number
    it does not text)."""


class MethodThrottled(MethodFailed):
    """The method refuses for now (a code was sent moments ago, an hourly limit is reached)."""

    status = 429
    counts_as_failure = False

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class MethodUnavailable(MethodFailed):
    """The method cannot be used right now (its delivery channel is down); nothing is lost."""

    status = 503
    counts_as_failure = False


@dataclass(frozen=True)
class Verified:
    """A successful verification and the RFC 8176 amr values it earned."""

    amr: tuple[str, ...] = ()


@dataclass(frozen=True)
class Addition:
    """The profile's link to set up (one more of) a method: the web endpoint of its profile
    page, that endpoint's arguments, and the link's text."""

    endpoint: str
    text: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Enrolment:
    """One item a user has of a method (the proven phone, a passkey, an app): its method,
    its key within its user (``passkey:12``), and what a list shows of it."""

    method: str
    key: str
    label: str
    created_at: float | None = None
    last_used_at: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    #: Whether this item lets the user complete its method now (an app once confirmed and
    #: not blocked, a code only while its channel sends): a user's items of a method count
    #: exactly when ``is_enrolled`` is true (tests/unit/methods/test_method_units.py).
    counts: bool = True
    #: Whether the item can be removed (the password is changed, never removed).
    removable: bool = True
    #: What a list shows of it beside its method's title, line by line (a passkey's name
    #: and kind, the number codes go to, how many codes are left); empty: the title says all.
    shown: tuple[Any, ...] = ()
    #: What a list warns of it (a passkey that looked copied, an app blocked).
    warnings: tuple[Any, ...] = ()
    #: Whether its owner may give it another name (a passkey, an app).
    renamable: bool = False
    #: The link to finish setting it up, while that is left to do (an app not yet approved).
    unfinished: Addition | None = None


def holder_ids(query: Select, user_column: Any, user_ids: Collection[int] | None,
               parameters: Mapping[str, Any] | None = None) -> set[int]:
    """Return the user ids a query selects, only those among `user_ids` unless it is None."""
    if user_ids is not None:
        if not user_ids:
            return set()
        query = query.where(user_column.in_(list(user_ids)))
    return set(db.session.connection().execute(query.distinct(), parameters).scalars())


def enrolled_methods(user: User, methods: Mapping[str, SignInMethod]) -> frozenset[str]:
    """Return the names of the methods of `methods` the user can use now.

    The methods whose rows alone say it (``SignInMethod.holding``) are asked together, in
    one statement, with those whose rows are needed (``SignInMethod.needing``): each of the
    latter that the user has rows of is then asked its ``is_enrolled``, as is each of the
    others, most with no statement at all (the password, a proven address).
    """
    by_rows = tuple((name, method) for name, method in methods.items()
                    if method.held_by_one is not None)
    names = {name for name, method in methods.items()
             if method.held_by_one is None and method.is_enrolled(user)}
    if by_rows:
        names.update(name for name in db.session.scalars(_held_by_one_of(by_rows), {
            "directory": user.directory_id, "user": user.id})
            if methods[name].rows_decide or methods[name].is_enrolled(user))
    return frozenset(names)


@lru_cache(maxsize=64)
def _held_by_one_of(by_rows: tuple[tuple[str, SignInMethod], ...]) -> Select | CompoundSelect:
    """Return the statement naming which of `by_rows` one user holds, built once."""
    asked = [select(literal(name, String).label("method")).where(method.held_by_one.exists())
             for name, method in by_rows]
    return asked[0] if len(asked) == 1 else union_all(*asked)


class SignInMethod:
    """A way to prove who you are that earns the directory's points for it.

    Its facts are class attributes, declared in its module: `name`, `default_points`
    (what a new directory gives it) and `info` (amr, factors, restricted,
    phishing-resistant, whether it identifies the user, whether the step-up page offers
    it). ``idp.methods`` lists every method class once (``METHOD_TYPES``) and hands
    their facts to the rules (``idp.domain.install_methods``); nothing else names them.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    template: ClassVar[str]
    enrol_template: ClassVar[str | None] = None
    #: The whole sentence of the button that sets the method up (translated as a whole,
    #: never built from its title); every enrollable method declares one.
    set_up_label: ClassVar[Any] = None
    #: One line beside that button saying what the method is, for someone who has never
    #: used it (a whole sentence, translated as a whole); every enrollable method has one.
    set_up_description: ClassVar[Any] = None
    #: Its page to set it up from the profile, for a method the profile has no page of
    #: its own for (``account.profile_method``); it posts ``code`` and `fields`.
    profile_template: ClassVar[str | None] = None
    #: A folder of its own templates, for a method that is a package (None: the web's).
    template_folder: ClassVar[str | None] = None
    #: A folder of its own translation catalogues (``make translations`` keeps them).
    translations_folder: ClassVar[str | None] = None
    #: The form fields its pages post besides the common ones, each with its longest length.
    fields: ClassVar[Mapping[str, int]] = {}
    #: The fields its profile page posts to send a first challenge (the number to call),
    #: each with its longest length; empty: the page sends nothing before ``code``.
    challenge_fields: ClassVar[Mapping[str, int]] = {}
    default_points: ClassVar[int]
    info: ClassVar[MethodInfo]
    #: The factory of the delivery channel the method brings, ``(settings, timeout) ->
    #: sender or None``, keyed by its ``channel`` (None: it brings none).
    channel_sender: ClassVar[Any] = None

    @classmethod
    def facts(cls) -> MethodFacts:
        """Return what the rules know of this method (``idp.domain.MethodFacts``)."""
        return MethodFacts(cls.name, cls.default_points, cls.info)

    @classmethod
    def build(cls, parts: MethodParts) -> SignInMethod:
        """Return the method, made from what the app is built with."""
        return cls()

    @classmethod
    def add_commands(cls, sub: Any, *, app: Any, directory: Any, sealer: Any) -> None:
        """Add the method's own ``idp`` commands to the parser's subcommands `sub`; `app`
        builds the app, `directory` finds one by slug, `sealer` returns the app's sealer."""

    #: Whether the method belongs to the user, so that the census and the user lists count
    #: it; the remembered device belongs to one browser and is never counted.
    per_user: ClassVar[bool] = True
    #: Whether its items can be removed (the password is changed, never removed).
    removable: ClassVar[bool] = True
    #: Whether a user may have several of its items, each keyed ``name:row id``
    #: (``passkey:12``), or at most one, keyed by the method's name (``sms``).
    several: ClassVar[bool] = False

    # What the person is told by email (``idp.users.notifications``): the subject of the
    # notice when they set the method up, and when they remove one of its items. A method
    # whose items can be removed declares `removed_notice`, and one that belongs to the
    # user also `added_notice` (tests/unit/methods/test_method_units.py); a notice of a
    # method without its text is refused when it is made, never silently dropped.
    added_notice: ClassVar[Any] = None
    removed_notice: ClassVar[Any] = None

    # Who has it: one rule, asked of one user or of many at once.

    def holding(self) -> Select | None:
        """Return the query of the users who can use this method now, when their rows
        alone say it: a select of one column, the user id (which may repeat), of the
        directory ``bindparam("directory")``.

        A method that declares it needs neither ``is_enrolled`` nor ``holders``: both ask
        it. None: the method writes those two itself (a number that the destination
        policy judges, the password of the user's own row).
        """
        return None

    def needing(self) -> Select | None:
        """Return, in ``holding``'s form, the query of the users who have the rows this
        method needs, for a method whose rows are needed but do not alone decide (a number
        that the destination policy judges): ``enrolled_methods`` asks it with the others'
        ``holding``, so that a user without them costs no statement of the method's own,
        and asks ``is_enrolled`` of a user who has them. Such a method writes
        ``is_enrolled`` and ``holders`` itself."""
        return None

    @cached_property
    def rows_decide(self) -> bool:
        """Whether the method's rows alone say who can use it (it declares ``holding``)."""
        return self.holding() is not None

    @cached_property
    def held_by_one(self) -> Select | None:
        """``holding`` (or ``needing``) of one user, ``bindparam("user")``, built once; None
        without either."""
        query = self.holding() if self.rows_decide else self.needing()
        if query is None:
            return None
        return query.where(query.selected_columns[0] == bindparam("user")).limit(1)

    def is_enrolled(self, user: User) -> bool:
        """Return whether the user can use this method now."""
        if not self.rows_decide:
            raise NotImplementedError
        return db.session.execute(self.held_by_one, {
            "directory": user.directory_id, "user": user.id}).first() is not None

    def holders(self, directory: Directory, user_ids: Collection[int] | None = None,
                destinations: DestinationPolicy | None = None) -> set[int]:
        """Return the ids of the users for whom ``is_enrolled`` is true, in a query or two
        for all of them: of `user_ids`, or of every user of the directory when None.

        `destinations` is the destination policy to judge a phone number by (a candidate
        the admin previews); the directory's own when None. Only methods that send to a
        number use it.
        """
        query = self.holding()
        if query is None:
            raise NotImplementedError
        return holder_ids(query, query.selected_columns[0], user_ids,
                          {"directory": directory.id})

    # The items a user has, as the profile and the user administration list them.

    def items(self, user: User, now: float) -> list[Enrolment]:
        """Return the user's items of this method, oldest first."""
        raise NotImplementedError

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        """Remove one item of the user (one of `items`); the caller commits."""
        raise NotImplementedError

    def removal_note(self, user: User) -> str | None:
        """Return what removing the method does besides, to say before it is removed (the
        email address or number its codes go to stays, unproven), or None."""
        return None

    def profile_addition(self, user: User, items: list[Enrolment]) -> Addition | None:
        """Return the profile's link to set the method up (or add one more) now, given the
        user's items of every method, or None when there is nothing to add. The profile
        offers it only while the directory gives the method points."""
        return None

    def choice_label(self, user: User) -> str:
        """Return the text of the button that picks this method on the step-up page."""
        return gettext("Continue with %(method)s", method=str(self.title).lower())

    def notice(self, user: User) -> str | None:
        """Return why a method the user set up cannot be used now, to show at login."""
        return None

    def refusal(self, session_id: ColumnElement[int],
                since: ColumnElement[float]) -> ColumnElement[bool] | None:
        """Return the condition, in SQL, that the person said with this method, at or after
        `since`, that a login of browser session `session_id` was not theirs (the app's
        "This wasn't me"): that login ends with access_denied
        (``idp.web.login.interaction.while_open``, which asks it with the login's own row).
        None: the method cannot say it."""
        return None

    #: Whether the method sends or creates a challenge when asked (a POST), before `verify`.
    challenges: ClassVar[bool] = False

    def begin(self, ctx: MethodContext) -> dict[str, Any]:
        """Return what the method's page shows now (no side effects: this answers a GET)."""
        return {}

    def challenge(self, ctx: MethodContext, form: Mapping[str, str]) -> str:
        """Send or create a challenge; return the confirmation shown to the person."""
        raise NotImplementedError

    def challenge_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> str:
        """Send the first challenge of an enrolment; return the confirmation shown."""
        raise NotImplementedError

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        """Check the response or raise MethodFailed."""
        raise NotImplementedError

    @property
    def enrollable(self) -> bool:
        """Return whether the method can be enrolled during login."""
        return self.enrol_template is not None

    def start_enrolment(self, ctx: MethodContext,
                        shown: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Return what the enrolment page shows now (no side effects: this answers a GET).

        `shown` is the form posted from this page when it is shown again after a refused
        answer, so that what the person already took from it (a key they scanned) stays.
        """
        raise NotImplementedError

    #: Whether the enrolment makes something on request (a POST) before it can go on.
    prepares: ClassVar[bool] = False

    def prepare_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> str:
        """Make what the enrolment needs first (the app's activation code), on the person's
        request; return the confirmation shown. This is the enrolment's only step that
        stores something before its first challenge."""
        raise NotImplementedError

    def finish_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        """Confirm the enrolment with a first response, or raise MethodFailed."""
        raise NotImplementedError
