"""Guesses at an account's secrets: one failure budget per account, drawn on by its source.

Every step that checks a secret (the password, a code, a passkey, the current password
on the profile) runs inside ``attempt_on(account)``: one attempt is reserved before the
check and settled after it. The account is the user the step is about: the one the
login form names, and after the password step always the session's user, never a
posted field. The source is the browser when it completed a full login as that user
before (``known_browser``), otherwise the client's address (IPv6 by its /64): each
source has its own budget, and the sources the account never logged in from share a
ceiling, so a stranger can neither guess for long nor keep the owner out of their own
browser. The limits and lock-out lengths are the directory's policies
(``idp.tenants.policies``; by default IDP_ACCOUNT_FAILURE_LIMIT and
IDP_ACCOUNT_FAILURE_CEILING).

A lock-out is audited (``account.locked``) and the owner is emailed, at most once a day.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import g, request, url_for
from flask_babel import get_locale, ngettext

from .. import audit
from ..clock import now
from ..domain.attempts import DAY, Lockout
from ..errors import IdpError
from ..security.attempts import (
    AttemptBudgets,
    AttemptRefused,
    BudgetKey,
    Reservation,
    user_account_key,
)
from ..services import services
from ..storage import db
from ..storage.db import after_commit, commit_keeping_loaded
from ..storage.models import User
from ..storage.outages import describe_outage, outage_of
from ..tenants.accounts import normalize_login
from ..tenants.policies import budget_policies
from ..users.notifications import Notice, Origin, notify
from .context import client_ip
from .known_browser import browser_nonce
from .languages import notice_language

log = logging.getLogger(__name__)

BUDGETS = AttemptBudgets()


class TooManyAttempts(IdpError):
    """The account takes no more guesses from this source for a while (HTTP 429)."""

    status = 429
    error = "slow_down"

    def __init__(self, retry_after: float):
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(ngettext("Too many attempts. Try again in %(num)s minute.",
                                  "Too many attempts. Try again in %(num)s minutes.", minutes))
        self.retry_after = max(1, math.ceil(retry_after))


@dataclass(frozen=True)
class Account:
    """Whose secrets an attempt guesses at: a user, or a login that names nobody."""

    key: str
    user: User | None = None
    login: str | None = None


def account_of(user: User) -> Account:
    """Return the account of a known user."""
    return Account(user_account_key(user.directory_id, user.id), user=user)


def account_named(directory_id: int, login: str, user: User | None) -> Account:
    """Return the account a typed login names: its user, or the login itself (no such user).

    A login that names nobody has a budget of its own, so that unknown and known
    usernames answer alike.
    """
    if user is not None:
        return account_of(user)
    typed = normalize_login(login)[:254]
    digest = hashlib.sha256(typed.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return Account(f"{directory_id}:l{digest}", login=typed[:100])


def source_address() -> str:
    """Return the client's address as a budget source: IPv4 as is, IPv6 by its /64."""
    raw = client_ip() or "-"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def budgets_of(account: Account) -> tuple[BudgetKey, ...]:
    """Return the budgets an attempt on `account` from this request draws on."""
    per_source, ceiling = budget_policies(g.directory)
    nonce = browser_nonce(account.user) if account.user is not None else None
    if nonce is not None:
        return (BudgetKey(f"{account.key}:b:{nonce}", per_source),)
    return (BudgetKey(f"{account.key}:ip:{source_address()}", per_source),
            BudgetKey(f"{account.key}:*", ceiling))


class Attempt:
    """One reserved attempt: say how it went; unless told, it was not a guess."""

    def __init__(self, account: Account, reservation: Reservation, method: str):
        self.account = account
        self.reservation = reservation
        self.method = method
        self.outcome = "released"

    def failed(self) -> None:
        """The answer was wrong: the reservation stays a failure."""
        self.outcome = "failed"

    def tries_left(self, method_allows: int) -> int:
        """Return the tries left after this failed one: the fewest that the method itself
        (`method_allows`) and every failure budget of the account allow."""
        try:
            budgets_allow = BUDGETS.left(self.reservation, now())
        except Exception as exc:  # the method's own count is then the best we know
            _log_failure(exc, "could not read the budgets of %s", self.account.key)
            return method_allows
        return min(method_allows, budgets_allow)

    def succeeded(self) -> None:
        """The answer was right: the reservation is given back with the step's own writes,
        when they commit (only a completed login ends the consecutive failures, see
        ``login_completed``). Call it before the step commits: one commit then keeps both.
        Should the step roll back, or have committed already, the reservation is given
        back after the block."""
        self.outcome = "succeeded"
        try:
            BUDGETS.release_with_step(self.reservation, now())
        except LookupError:  # a budget vanished meanwhile: settling after the block says so
            return
        after_commit(self._given_back)

    def _given_back(self) -> None:
        self.outcome = "given back"


@contextmanager
def attempt_on(account: Account, method: str) -> Iterator[Attempt]:
    """Reserve an attempt on the account's budgets, run the check, then settle it.

    Raises TooManyAttempts before anything is checked when the source is locked out.
    Settling runs after the block, so the block commits or rolls back its own work first.
    """
    moment = now()
    try:
        reservation = BUDGETS.reserve(g.directory.id, budgets_of(account), moment)
    except AttemptRefused as exc:
        raise TooManyAttempts(exc.retry_after) from exc
    attempt = Attempt(account, reservation, method)
    try:
        yield attempt
    finally:
        _settle(attempt)


def _settle(attempt: Attempt) -> None:
    moment = now()
    try:
        if attempt.outcome == "failed":
            for budget, lockout in BUDGETS.fail(attempt.reservation, moment):
                _locked_out(attempt, budget, lockout, moment)
            return
        if attempt.outcome == "succeeded":
            # Given back with the block's writes, still to be committed (as settling would
            # commit them first anyway); or rolled back with them, and given back below.
            commit_keeping_loaded()
        if attempt.outcome != "given back":
            BUDGETS.release(attempt.reservation, moment)
    except Exception as exc:  # the reservation then stays a failure: safe; the page answers
        _log_failure(exc, "could not settle an attempt on %s", attempt.account.key)


def login_completed(user: User) -> None:
    """End the user's consecutive failures from this source, in the transaction that
    records the login: a whole login succeeded.

    Called when a login reaches the directory's level; later steps of the same person
    start with a full budget again.
    """
    BUDGETS.clear(budgets_of(account_of(user)), now())


def _log_failure(exc: Exception, message: str, *args) -> None:
    """Log a failed write of a budget: one line for an outage, a traceback for a bug."""
    found = outage_of(exc)
    if found is not None:
        log.warning(message + " (%s unavailable: %s)", *args, found[0],
                    describe_outage(found[1]))
    else:
        log.exception(message, *args)


def _locked_out(attempt: Attempt, budget: BudgetKey, lockout: Lockout, moment: float) -> None:
    """Audit a lock-out and tell the owner (at most once a day) that someone is guessing."""
    account = attempt.account
    scope = "browser" if ":b:" in budget.key else (
        "unknown_sources" if budget.key.endswith(":*") else "address")
    detail = {"method": attempt.method, "scope": scope, "seconds": round(lockout.until - moment),
              "lockouts": lockout.lockouts + 1, "limit": budget.policy.limit}
    if account.login is not None:
        detail["login"] = account.login
    audit.record(g.directory.id, audit.events.ACCOUNT_LOCKED, moment,
                 user_id=account.user.id if account.user else None, ip=client_ip(),
                 user_agent=request.user_agent.string, **detail)
    db.session.commit()
    user = account.user
    if user is None or not user.email or not BUDGETS.claim_notice(
            g.directory.id, f"{account.key}:notice", moment, DAY):
        return
    notify(services().delivery, user, Notice("alert", "guessing"),
           Origin(moment, request.user_agent.string, client_ip()),
           locale=notice_language(user.locale, str(get_locale() or "en")),
           account_url=services().base_url + url_for("account.profile"))
