"""A self-hosted OpenID Connect provider where each directory sets its login level in points.

Production serves the WSGI app ``idp:create_app()``; ``idp serve`` runs it for
development.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

__all__ = ["create_app"]


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the provider: settings, storage, services, protections and blueprints."""
    from .app import build_app

    return build_app(overrides)

