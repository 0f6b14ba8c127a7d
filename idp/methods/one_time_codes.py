"""One-time codes by SMS or email: send within the limits, accept each once, in one session.

A code is six digits from the CSPRNG, stored as a keyed hash, bound to the browser
session, user, channel and purpose ("login", "enrol" or "reset") it was sent for, so a
code sent to one browser is worthless in another. The rules (waits, limits, tries) are
in ``idp.domain.codes``; this module applies them to stored rows.

A code is sent while the request waits, and stored once the channel took it; or, sent in
the background, stored first (not yet ``delivered``) and handed to the background sender
when the request's transaction commits: a stored code on its way counts against the limits
and can be typed as soon as it arrives; one whose send fails is removed again, so it
counts as a failed send always did: not at all.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app
from flask_babel import ngettext
from sqlalchemy import delete, func, select, update

from ..config import Settings
from ..delivery import Delivery, DeliveryFailed, Message
from ..delivery.addresses import sms_refusal
from ..domain import (
    CodePolicy,
    CodeRefusal,
    RecentSends,
    SentCode,
    carried_failures,
    code_problem,
    refuse_send,
    resend_wait,
)
from ..storage import db
from ..storage.db import after_commit
from ..storage.models import OneTimeCode
from ..tenants.directories import sms_policy
from .context import MethodContext

DIGITS = 6


class CodeRefused(Exception):
    """A code cannot be sent or accepted; `reason` names why (``CodeRefusal``)."""

    def __init__(self, reason: CodeRefusal, *, retry_after: float = 0, tries_left: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.tries_left = tries_left


class DestinationRefused(Exception):
    """The directory does not send codes to this destination; the message says why, for
    its owner (``idp.delivery.addresses.sms_refusal``)."""


def destination_refusal(ctx: MethodContext, channel: str, destination: str) -> str | None:
    """Return why the directory's destination policy forbids this send, or None."""
    if channel == "sms":
        return sms_refusal(destination, sms_policy(ctx.directory))
    return None


def wait_text(retry_after: float) -> str:
    """Say, for the person, how long until another code may be asked for (TOO_SOON)."""
    return ngettext("A code was sent moments ago. You can ask for a new one in %(num)s second.",
                    "A code was sent moments ago. You can ask for a new one in "
                    "%(num)s seconds.", int(retry_after + 0.999))


def tries_left_text(tries_left: int) -> str:
    """Say, for the person, that a typed code is wrong and how many tries are left."""
    return ngettext("This code is not right. %(num)s try left.",
                    "This code is not right. %(num)s tries left.", tries_left)


def policy_from(settings: Settings) -> CodePolicy:
    """Return the code policy of the configuration."""
    return CodePolicy(ttl=settings.otp_ttl_seconds,
                      resend_after=settings.otp_resend_seconds,
                      per_destination=settings.otp_per_destination_per_hour,
                      per_user=settings.otp_per_user_per_hour,
                      per_ip=settings.otp_per_ip_per_hour)


def _sent(row: OneTimeCode) -> SentCode:
    return SentCode(sent_at=row.sent_at, expires_at=row.expires_at, failures=row.failures,
                    used_at=row.used_at)


@dataclass
class CodeService:
    """Send and check the codes of every channel with one policy and one delivery."""

    delivery: Delivery
    policy: CodePolicy

    def can_send(self, channel: str) -> bool:
        """Return whether the channel has somewhere to send to."""
        return self.delivery.can_send(channel)

    def _stored(self):
        # Every stored code: sent, or on its way (a failed background send is removed).
        return select(OneTimeCode)

    def latest(self, ctx: MethodContext, channel: str, purpose: str) -> OneTimeCode | None:
        """Return the newest code sent to this browser session for this user and purpose."""
        return db.session.scalars(self._stored().where(
            OneTimeCode.session_id == ctx.session_id, OneTimeCode.user_id == ctx.user.id,
            OneTimeCode.channel == channel, OneTimeCode.purpose == purpose,
        ).order_by(OneTimeCode.sent_at.desc(), OneTimeCode.id.desc())).first()

    def wait(self, ctx: MethodContext, channel: str) -> float:
        """Return the seconds before this session may ask for another code on the channel."""
        return resend_wait(self._session_sends(ctx, channel), ctx.now, self.policy)

    def _within_window(self, ctx: MethodContext):
        return self._stored().where(OneTimeCode.sent_at > ctx.now - self.policy.window)

    def _session_sends(self, ctx: MethodContext, channel: str) -> list[float]:
        """Return when codes were sent to this browser session on the channel, this window."""
        return list(db.session.scalars(
            self._within_window(ctx).with_only_columns(OneTimeCode.sent_at)
            .where(OneTimeCode.session_id == ctx.session_id, OneTimeCode.channel == channel)))

    def _recent(self, ctx: MethodContext, channel: str, destination: str) -> RecentSends:
        recent = self._within_window(ctx)

        def count(*conditions) -> int:
            return db.session.scalar(
                recent.with_only_columns(func.count(OneTimeCode.id)).where(*conditions)) or 0

        return RecentSends(
            session=self._session_sends(ctx, channel),
            destination=count(OneTimeCode.destination == destination),
            user=count(OneTimeCode.user_id == ctx.user.id),
            ip=count(OneTimeCode.ip == ctx.ip) if ctx.ip else 0)

    def send(self, ctx: MethodContext, channel: str, purpose: str, destination: str,
             compose: Callable[[str], Message], *, background: bool = False,
             on_undelivered: Callable[[str], None] | None = None) -> OneTimeCode:
        """Send a new code to `destination`; raise DestinationRefused, CodeRefused or
        DeliveryFailed.

        Nothing is written before the channel took the message, so a slow or failing
        gateway holds no database lock or transaction, and a failed send is not counted.

        With `background`, the request does not wait for the channel: the code is stored
        in the current transaction and its message handed to the background sender once
        that commits (nothing is sent for a transaction rolled back). DeliveryFailed is
        then never raised: a failed send removes the code and calls `on_undelivered` with
        the reason, later, in a transaction of its own that it may add to.
        """
        # Every send, not only the typing of a number: a number stored before the
        # directory's policy forbade it is not texted.
        forbidden = destination_refusal(ctx, channel, destination)
        if forbidden is not None:
            raise DestinationRefused(forbidden)
        code, failures = self._new_code(ctx, channel, destination)
        message = compose(code)
        if background:
            return self._store_and_send_later(ctx, channel, purpose, destination, code,
                                              failures, message, on_undelivered)
        # End the read transaction: no connection sits idle in a transaction (nor SQLite
        # reader holds a snapshot) while the gateway takes its time.
        db.session.commit()
        self.delivery.send(message)
        row = self._row(ctx, channel, purpose, destination, code, failures, delivered=True)
        db.session.add(row)
        db.session.flush()
        return row

    def rehearse(self, ctx: MethodContext, channel: str, purpose: str, destination: str,
                 compose: Callable[[str], Message]) -> None:
        """Do the work of a send for nothing: the same checks, queries, code, message and
        hash, with nothing stored or sent. `ctx.user` may be a stand-in never stored.

        A page whose answer must not tell whether an account exists (the start of a
        password reset) rehearses for a name it does not know, so that both cost alike.
        """
        destination_refusal(ctx, channel, destination)
        try:
            code, failures = self._new_code(ctx, channel, destination)
        except CodeRefused:
            return
        compose(code)
        # Made and dropped: its keyed hash is the work a stored code costs.
        self._row(ctx, channel, purpose, destination, code, failures, delivered=False)

    def _new_code(self, ctx: MethodContext, channel: str, destination: str) -> tuple[str, int]:
        """Return a new code and the failures it carries over; raise CodeRefused."""
        refusal = refuse_send(self._recent(ctx, channel, destination), ctx.now, self.policy)
        if refusal is not None:
            raise CodeRefused(refusal.reason, retry_after=refusal.retry_after)
        previous = db.session.scalars(self._stored().where(
            OneTimeCode.user_id == ctx.user.id, OneTimeCode.channel == channel,
        ).order_by(OneTimeCode.sent_at.desc(), OneTimeCode.id.desc())).first()
        failures = carried_failures(_sent(previous) if previous else None, ctx.now, self.policy)
        return f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}", failures

    def _row(self, ctx: MethodContext, channel: str, purpose: str, destination: str,
             code: str, failures: int, *, delivered: bool) -> OneTimeCode:
        return OneTimeCode(
            directory_id=ctx.directory.id, user_id=ctx.user.id, session_id=ctx.session_id,
            channel=channel, purpose=purpose, destination=destination,
            code_hash=ctx.sealer.digest(code), ip=ctx.ip, sent_at=ctx.now,
            expires_at=ctx.now + self.policy.ttl, delivered=delivered, failures=failures)

    def _store_and_send_later(self, ctx: MethodContext, channel: str, purpose: str,
                              destination: str, code: str, failures: int, message: Message,
                              on_undelivered: Callable[[str], None] | None) -> OneTimeCode:
        row = self._row(ctx, channel, purpose, destination, code, failures, delivered=False)
        db.session.add(row)
        db.session.flush()
        row_id, app = row.id, current_app._get_current_object()  # type: ignore[attr-defined]

        def sent() -> None:
            with _own_transaction(app):
                db.session.execute(update(OneTimeCode).where(OneTimeCode.id == row_id)
                                   .values(delivered=True)
                                   .execution_options(synchronize_session=False))

        def failed(exc: DeliveryFailed) -> None:
            with _own_transaction(app):
                db.session.execute(delete(OneTimeCode).where(OneTimeCode.id == row_id)
                                   .execution_options(synchronize_session=False))
                if on_undelivered is not None:
                    on_undelivered(str(exc))

        after_commit(lambda: self.delivery.send_later(message, on_sent=sent,
                                                      on_failure=failed))
        return row

    def check(self, ctx: MethodContext, channel: str, purpose: str, typed: str) -> OneTimeCode:
        """Accept the typed code once, or raise CodeRefused.

        Only a wrong code counts as a failure of the code: a code that is used, expired or
        locked is refused before its digits are compared, so typing it again (a double
        submit, a second tab) guesses nothing.
        """
        row = self.latest(ctx, channel, purpose)
        problem = code_problem(_sent(row) if row else None, ctx.now, self.policy)
        if row is None or problem is not None:
            raise CodeRefused(problem or CodeRefusal.NO_CODE)
        if not hmac.compare_digest(ctx.sealer.digest(typed), row.code_hash):
            failures = self._count_failure(row)
            raise CodeRefused(CodeRefusal.WRONG,
                              tries_left=max(0, self.policy.max_failures - failures))
        # Compare-and-set: of two requests racing with the right code, one wins.
        claimed = db.session.execute(
            update(OneTimeCode)
            .where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None),
                   OneTimeCode.failures < self.policy.max_failures,
                   OneTimeCode.expires_at > ctx.now)
            .values(used_at=ctx.now)
            .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            raise CodeRefused(CodeRefusal.USED)
        return row

    def _count_failure(self, row: OneTimeCode) -> int:
        """Add a failure to the code atomically and durably; return the new count.

        Committed at once: the page's error handling rolls back, the count must stay.
        """
        db.session.execute(
            update(OneTimeCode).where(OneTimeCode.id == row.id)
            .values(failures=OneTimeCode.failures + 1)
            .execution_options(synchronize_session=False))
        failures = db.session.scalar(
            select(OneTimeCode.failures).where(OneTimeCode.id == row.id)) or 0
        db.session.commit()
        return failures


@contextmanager
def _own_transaction(app: Flask) -> Iterator[None]:
    """Run a block in an app context and transaction of its own, committed at its end: work
    done after the request that started it (the outcome of a background send)."""
    with app.app_context():  # leaving it ends the session, rolling back what was not committed
        yield
        db.session.commit()


__all__ = ["CodeRefused", "CodeService", "DeliveryFailed", "policy_from", "tries_left_text",
           "wait_text"]
