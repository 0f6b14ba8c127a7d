"""The blueprint of a directory's pages for people (authorize, login steps, logout)."""

from __future__ import annotations

from flask import Blueprint, g

from .context import load_directory

pages = Blueprint("pages", __name__, url_prefix="/d/<slug>")
pages.url_value_preprocessor(load_directory)


@pages.url_defaults
def _add_slug(_endpoint: str, values: dict) -> None:
    directory = g.get("directory")
    if directory is not None:
        values.setdefault("slug", directory.slug)
