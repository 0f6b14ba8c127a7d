"""The limiter counts in the views it decorates, not in a hook before every request."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from idp.web.ratelimit import check_in_views_only, limiter


def limited_app(blueprint: Blueprint | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(RATELIMIT_STORAGE_URI="memory://")
    if blueprint is not None:
        app.register_blueprint(blueprint)
    limiter.init_app(app)
    return app


def test_the_hook_before_every_request_is_left_out():
    app = limited_app()
    assert limiter._check_request_limit in app.before_request_funcs[None]
    check_in_views_only(app)
    assert limiter._check_request_limit not in app.before_request_funcs[None]


def test_a_blueprint_limit_keeps_the_hook_and_says_why():
    blueprint = Blueprint("limited_as_a_whole", __name__)
    limiter.limit("1 per minute")(blueprint)
    app = limited_app(blueprint)
    with pytest.raises(RuntimeError, match="blueprint limits"):
        check_in_views_only(app)
