"""Storage: SQLAlchemy models and small queries, no policy."""

from .db import db

__all__ = ["db"]
