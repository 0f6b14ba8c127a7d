"""What the login of an authorization request needs from storage: the subject and the decision.

No HTTP here: the web layer hands in the directory, client, session and parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, case, literal, null

from ..domain import LoginOutcome
from ..methods import SignInMethod, enrollable_now, enrolled_methods
from ..storage.models import BrowserSession, Client, Directory, User
from ..tenants.accounts import active_user
from ..tenants.directories import level_settings
from ..users.consents import has_consent
from ..users.enrol_allowance import planned_enrolled
from ..users.sessions import completions
from .authorization import Decision, OidcParams, Subject, decide
from .claims import app_subject


@dataclass(frozen=True)
class LoginResult:
    """Who logged in, in which session, with which outcome and claims: the code grant's
    ``grant_user``, stored with the code it issues."""

    user: User
    session_id: int
    outcome: LoginOutcome
    claims: dict[str, Any] | None


def session_user(row: BrowserSession | None) -> User | None:
    """Return the active user of a session, if it has one."""
    return None if row is None else active_user(row.directory_id, row.user_id)


def evaluate(directory: Directory, client: Client, scope: str, params: OidcParams,
             session: BrowserSession | None, methods: dict[str, SignInMethod], now: float,
             interaction_started: float | None, consented: bool) -> Decision:
    """Decide the next step of a login for this browser session."""
    user = session_user(session)
    subject = None
    done = completions(session) if user is not None else ()
    if user is not None:
        # Under an admin's allowance, what this login has not completed counts as lost:
        # the plan then offers to set up a new method (``idp.users.enrol_allowance``).
        enrolled = planned_enrolled(user, enrolled_methods(user, methods),
                                    (c.method for c in done), now)
        subject = Subject(sub=app_subject(client, user), enrolled=enrolled,
                          enrollable=enrollable_now(methods, enrolled),
                          has_consent=client.first_party or has_consent(user, client, scope))
    return decide(level_settings(directory), client.min_acr, client.first_party, params,
                  subject, done, now, interaction_started, consented)


def refusing_method(methods: Iterable[tuple[str, SignInMethod]], session_id: ColumnElement[int],
                    since: ColumnElement[float]) -> ColumnElement[str | None]:
    """Return, in SQL, the method with which the person said that the login browser
    session `session_id` started at `since` is not theirs ("This wasn't me" in the app),
    or NULL (``SignInMethod.refusal``)."""
    said = [(refusal, literal(name, String)) for name, method in methods
            if (refusal := method.refusal(session_id, since)) is not None]
    return case(*said, else_=null()) if said else null()
