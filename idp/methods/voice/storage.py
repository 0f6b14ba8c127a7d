"""The number a person's codes are read out to: their own, apart from their mobile number.

A landline may differ from the mobile number that gets text messages, so the voice
number has a table of its own. A row exists only for a number proven by a code read out
to it; removing the method deletes the row.
"""

from __future__ import annotations

from sqlalchemy import Double, ForeignKey, Select, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ...storage import db
from ...storage.models import User


class VoiceNumber(db.Model):
    """A user's proven number for voice-call codes (E.164, mobile or fixed line)."""

    __tablename__ = "voice_number"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    directory_id: Mapped[int] = mapped_column(
        ForeignKey("directory.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    verified_at: Mapped[float] = mapped_column(Double)


def voice_number(user: User) -> VoiceNumber | None:
    """Return the user's proven voice number, if any."""
    if user.id is None:
        return None
    return db.session.get(VoiceNumber, user.id)


def set_voice_number(user: User, phone: str, now: float) -> VoiceNumber:
    """Record `phone` as the user's proven voice number, replacing any before it."""
    row = voice_number(user)
    if row is None:
        row = VoiceNumber(user_id=user.id, directory_id=user.directory_id, phone=phone,
                          verified_at=now)
        db.session.add(row)
    else:
        row.phone = phone
        row.verified_at = now
    return row


def remove_voice_number(user: User) -> bool:
    """Forget the user's voice number; return whether there was one."""
    row = voice_number(user)
    if row is None:
        return False
    db.session.delete(row)
    return True


def voice_holders(directory_id: int) -> Select:
    """Return a query of the ids of the directory's users with a proven voice number."""
    return select(VoiceNumber.user_id).where(VoiceNumber.directory_id == directory_id)
