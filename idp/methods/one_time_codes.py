"""One-time codes by SMS or email: send within the limits, accept each once, in one session.

A code is six digits from the CSPRNG, stored as a keyed hash, bound to the browser
session, user, channel and purpose ("login" or "enrol") it was sent for, so a code
sent to one browser is worthless in another. The rules (waits, limits, tries) are
in ``idp.domain.codes``; this module applies them to stored rows.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import ngettext
from sqlalchemy import func, select, update

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
from ..storage.models import OneTimeCode
from ..tenants.directories import sms_policy
from .base import MethodContext

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

    def _delivered(self):
        return select(OneTimeCode).where(OneTimeCode.delivered.is_(True))

    def latest(self, ctx: MethodContext, channel: str, purpose: str) -> OneTimeCode | None:
        """Return the newest code sent to this browser session for this user and purpose."""
        return db.session.scalars(self._delivered().where(
            OneTimeCode.session_id == ctx.session_id, OneTimeCode.user_id == ctx.user.id,
            OneTimeCode.channel == channel, OneTimeCode.purpose == purpose,
        ).order_by(OneTimeCode.sent_at.desc(), OneTimeCode.id.desc())).first()

    def wait(self, ctx: MethodContext, channel: str) -> float:
        """Return the seconds before this session may ask for another code on the channel."""
        return resend_wait(self._session_sends(ctx, channel), ctx.now, self.policy)

    def _within_window(self, ctx: MethodContext):
        return self._delivered().where(OneTimeCode.sent_at > ctx.now - self.policy.window)

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
             compose: Callable[[str], Message]) -> OneTimeCode:
        """Send a new code to `destination`; raise DestinationRefused, CodeRefused or
        DeliveryFailed.

        Nothing is written before the channel took the message, so a slow or failing
        gateway holds no database lock or transaction, and a failed send is not counted.
        """
        # Every send, not only the typing of a number: a number stored before the
        # directory's policy forbade it is not texted.
        forbidden = destination_refusal(ctx, channel, destination)
        if forbidden is not None:
            raise DestinationRefused(forbidden)
        refusal = refuse_send(self._recent(ctx, channel, destination), ctx.now, self.policy)
        if refusal is not None:
            raise CodeRefused(refusal.reason, retry_after=refusal.retry_after)
        previous = db.session.scalars(self._delivered().where(
            OneTimeCode.user_id == ctx.user.id, OneTimeCode.channel == channel,
        ).order_by(OneTimeCode.sent_at.desc(), OneTimeCode.id.desc())).first()
        failures = carried_failures(_sent(previous) if previous else None, ctx.now, self.policy)
        code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
        message = compose(code)
        # End the read transaction: no connection sits idle in a transaction (nor SQLite
        # reader holds a snapshot) while the gateway takes its time.
        db.session.commit()
        self.delivery.send(message)
        row = OneTimeCode(
            directory_id=ctx.directory.id, user_id=ctx.user.id, session_id=ctx.session_id,
            channel=channel, purpose=purpose, destination=destination,
            code_hash=ctx.sealer.digest(code), ip=ctx.ip, sent_at=ctx.now,
            expires_at=ctx.now + self.policy.ttl, delivered=True, failures=failures)
        db.session.add(row)
        db.session.flush()
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


__all__ = ["CodeRefused", "CodeService", "DeliveryFailed", "policy_from", "tries_left_text",
           "wait_text"]
