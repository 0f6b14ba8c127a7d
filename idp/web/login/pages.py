"""The blueprint of a directory's pages for people (authorize, login steps, logout)."""

from __future__ import annotations

from ..context import directory_blueprint

pages = directory_blueprint("pages", __name__)
