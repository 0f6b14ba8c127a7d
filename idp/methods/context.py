"""What a sign-in method is given to work with at each step (``MethodContext``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..security.sealing import Sealer
from ..storage.models import Directory, User


@dataclass
class MethodContext:
    """What a method may use: the directory, the user, the time, the sealer, the browser."""

    directory: Directory
    user: User
    now: float
    sealer: Sealer
    session_id: int | None = None
    ip: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
