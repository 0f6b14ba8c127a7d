"""Forget what has expired: pending and pushed logins, devices' requests, codes, spent
challenges, nonces, approvals, sessions, failure budgets, and audit events older than the
retention time.

Expired rows are already ignored by every check; purging keeps the tables small. Rows are
kept a grace period past their expiry where a check still needs them: a one-time code's
failures carry over for an hour, and an authorization code must stay to detect its replay
until the tokens it issued have expired. Audit events are kept ``IDP_AUDIT_RETENTION_DAYS``.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, or_, select

from ..domain.lifetimes import MAX_IDLE_MINUTES
from . import db
from .models import (
    AppActivation,
    AppApproval,
    AppNonce,
    AttemptBudget,
    AuditEvent,
    AuthorizationCode,
    BrowserSession,
    DeviceAuthorization,
    Interaction,
    OneTimeCode,
    PushedRequest,
    Registration,
    RememberedDevice,
    ServiceToken,
    SpentSeal,
    Token,
    TokenFamily,
)

HOUR = 3600.0
DAY = 24 * HOUR


def purge_expired(now: float, token_grace: float,
                  audit_days: int | None = None) -> dict[str, int]:
    """Delete expired rows; return how many of each kind.

    `token_grace`: the access-token lifetime; `audit_days`: how long audit events are kept
    (None keeps them all).
    """
    rules = {
        "interactions": delete(Interaction).where(Interaction.expires_at < now),
        "pushed requests": delete(PushedRequest).where(PushedRequest.expires_at < now),
        "device requests": delete(DeviceAuthorization).where(
            DeviceAuthorization.expires_at < now),
        "one-time codes": delete(OneTimeCode).where(OneTimeCode.sent_at < now - 2 * HOUR),
        # Kept past their expiry for the hourly limits per address and network.
        "sign-up codes": delete(Registration).where(Registration.sent_at < now - 2 * HOUR),
        "spent challenges": delete(SpentSeal).where(SpentSeal.expires_at < now),
        "app nonces": delete(AppNonce).where(AppNonce.expires_at < now),
        "app activations": delete(AppActivation).where(AppActivation.expires_at < now - HOUR),
        "app approvals": delete(AppApproval).where(AppApproval.expires_at < now - HOUR),
        "authorization codes": delete(AuthorizationCode).where(
            AuthorizationCode.expires_at < now - token_grace),
        "tokens": delete(Token).where(
            Token.expires_at < now,
            or_(Token.refresh_expires_at.is_(None), Token.refresh_expires_at < now)),
        "service account tokens": delete(ServiceToken).where(ServiceToken.expires_at < now),
        "remembered devices": delete(RememberedDevice).where(or_(
            RememberedDevice.expires_at < now, RememberedDevice.revoked_at < now - 30 * DAY)),
        "token grants": delete(TokenFamily).where(~exists(
            select(Token.id).where(Token.family == TokenFamily.id))),
        "browser sessions": delete(BrowserSession).where(or_(
            BrowserSession.expires_at < now, BrowserSession.ended_at < now - DAY,
            BrowserSession.last_seen_at < now - MAX_IDLE_MINUTES * 60)),
        # A lock-out lasts at most a day and lock-outs are forgotten a day after the last.
        "failure budgets": delete(AttemptBudget).where(AttemptBudget.updated_at < now - 2 * DAY),
    }
    if audit_days is not None:
        rules[f"audit events older than {audit_days} days"] = delete(AuditEvent).where(
            AuditEvent.at < now - audit_days * DAY)
    counts = {}
    for name, statement in rules.items():
        counts[name] = db.session.execute(
            statement.execution_options(synchronize_session=False)).rowcount or 0
    return counts


