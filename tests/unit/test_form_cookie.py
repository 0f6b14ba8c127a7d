"""Flask's cookie for the forms' CSRF token: one signer per set of keys, not per request."""

from __future__ import annotations

from flask import Flask, session

from idp.web.form_cookie import FormCookie


def app_with(secret: str, *fallbacks: str) -> Flask:
    app = Flask(__name__)
    app.session_interface = FormCookie()
    app.config.update(SECRET_KEY=secret, SECRET_KEY_FALLBACKS=list(fallbacks))

    @app.post("/set")
    def set_token():
        session["csrf_token"] = "t"
        return ""

    @app.get("/get")
    def get_token():
        return session.get("csrf_token", "none")
    return app


def test_the_signer_is_built_once_for_the_same_keys():
    app = app_with("first")
    cookie = app.session_interface
    assert cookie.get_signing_serializer(app) is cookie.get_signing_serializer(app)


def test_a_new_key_gets_a_new_signer_and_the_old_key_still_opens_its_cookies():
    app = app_with("first")
    client = app.test_client()
    client.post("/set")
    assert client.get("/get").text == "t"
    before = app.session_interface.get_signing_serializer(app)
    app.config.update(SECRET_KEY="second", SECRET_KEY_FALLBACKS=["first"])
    assert app.session_interface.get_signing_serializer(app) is not before
    assert client.get("/get").text == "t", "signed with a fallback key"
    app.config.update(SECRET_KEY="third", SECRET_KEY_FALLBACKS=[])
    assert client.get("/get").text == "none", "signed with a key no longer trusted"
