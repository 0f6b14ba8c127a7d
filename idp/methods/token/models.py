"""The inventory of hardware OATH tokens: one row per token a directory owns.

A token is imported with its seed (sealed at rest like an authenticator app's key) and is
either on the shelf (no user) or assigned to one user. ``counter`` is the next HOTP
counter the token may show; ``last_step`` the last TOTP time step accepted. Both only
grow, each by a compare-and-set, so a code is accepted once even when two requests race.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Double,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ...storage import db


class HardwareToken(db.Model):
    """A hardware OATH token (RFC 4226 HOTP or RFC 6238 TOTP), unique by serial in its
    directory."""

    __tablename__ = "hardware_token"
    __table_args__ = (
        UniqueConstraint("directory_id", "serial", name="uq_hardware_token_directory_serial"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    serial: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # "hotp" or "totp"
    digits: Mapped[int] = mapped_column(Integer, default=6)
    period: Mapped[int] = mapped_column(Integer, default=30)  # seconds, TOTP only
    algorithm: Mapped[str] = mapped_column(String(10), default="sha1")
    seed_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    counter: Mapped[int] = mapped_column(BigInteger, default=0)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True)
    created_at: Mapped[float] = mapped_column(Double)
    assigned_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    last_used_at: Mapped[float | None] = mapped_column(Double, nullable=True)
