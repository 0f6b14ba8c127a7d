"""Sample relying portal that asks for a minimum authentication level per page.

Each protected page needs an ``acr`` of at least its level (20, 30 or 40 points). When the
ID token in the portal's session is below that, the portal sends the user back to the provider
with ``acr_values`` set to the page's level, and the provider steps the user up by asking only
for the methods still needed; the fresh ID token then replaces the old one.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, render_template, request, session
from joserfc.errors import JoseError

DEFAULTS = {
    "PORTAL_ISSUER": "http://localhost:5000/d/default",
    "PORTAL_CLIENT_ID": "portal",
    "PORTAL_CLIENT_SECRET": "",
    "PORTAL_BASE_URL": "http://localhost:5001",
    "PORTAL_SECRET_KEY": "",
}
CLAIMS = ("sub", "acr", "amr", "auth_time", "name", "preferred_username", "email")
# name: (title, required acr, what the page stands for)
PAGES = {
    "account": ("Account", 20, "Your profile details."),
    "billing": ("Billing", 30, "Invoices and payment details."),
    "security": ("Security", 40, "Security settings such as linked devices."),
}
_PROCESS_SECRET_KEY = secrets.token_hex(32)
#: Logins a session may have under way at once (one per tab), the oldest forgotten first.
MAX_PENDING = 5


def level_of(acr: object) -> int:
    """Return the points of an acr value, or 0 when it is not a decimal number."""
    try:
        return int(str(acr))
    except ValueError:
        return 0


def safe_path(path: object) -> str:
    """Return path when it is a local absolute path, else "/"."""
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//"):
        return path if "\\" not in path else "/"
    return "/"


def display_name(user: dict) -> str:
    """Return how to name the signed-in person: their name, username or email, else "you"."""
    return str(user.get("name") or user.get("preferred_username") or user.get("email") or "you")


def readable_time(timestamp: object) -> str:
    """Format a Unix time as a readable UTC time."""
    if not isinstance(timestamp, int | float):
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


#: What the error page says for the errors people meet: a headline and what to do next
#: (any other error: "Something went wrong" and the provider's description).
ERRORS = {
    "access_denied": ("Login cancelled",
                      "You did not log in, so this page stays closed. Nothing was changed."),
    "unmet_authentication_requirements": (
        "Your sign-in methods are not enough for this page",
        "The provider could not verify you strongly enough for this page. Set up another "
        "sign-in method in your account at the provider, or ask its administrator."),
    "insufficient_acr": ("Your login was not strong enough for this page",
                         "Open the page again to log in with another step."),
    "provider_unreachable": ("The sign-in service cannot be reached",
                             "Try again in a moment."),
}


def error_page(error: str, description: str | None, status: int = 400):
    """Render the error page: what happened in words, what to do, the code in small print."""
    headline, advice = ERRORS.get(error, ("Something went wrong", None))
    return render_template("error.html", error=error, description=description,
                           headline=headline, advice=advice), status


def create_portal(config: dict | None = None) -> Flask:
    """Create the portal app; config overrides the PORTAL_* environment variables."""
    settings = {key: os.environ.get(key, default) for key, default in DEFAULTS.items()}
    settings.update(config or {})
    settings["PORTAL_ISSUER"] = settings["PORTAL_ISSUER"].rstrip("/")
    settings["PORTAL_BASE_URL"] = settings["PORTAL_BASE_URL"].rstrip("/")
    app = Flask(__name__)
    app.config.update(settings)
    app.config.update(
        SECRET_KEY=settings["PORTAL_SECRET_KEY"] or _PROCESS_SECRET_KEY,
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["PORTAL_BASE_URL"].startswith("https:"),
    )
    issuer, base_url = settings["PORTAL_ISSUER"], settings["PORTAL_BASE_URL"]
    secret = settings["PORTAL_CLIENT_SECRET"]
    client_kwargs = {
        "scope": "openid profile email phone",
        "code_challenge_method": "S256",
        "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
    }
    oauth = OAuth(app)
    idp = oauth.register(
        "idp",
        client_id=settings["PORTAL_CLIENT_ID"],
        client_secret=secret or None,
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )

    def csrf_token() -> str:
        """Return this session's token for the logout form, creating it when needed."""
        return session.setdefault("csrf", secrets.token_urlsafe(24))

    app.jinja_env.globals.update(csrf_token=csrf_token, pages=PAGES)

    @app.errorhandler(requests.RequestException)
    def provider_unreachable(exc: requests.RequestException):
        """Show an error page when the provider cannot be reached."""
        return error_page("provider_unreachable", f"Could not reach the provider: {exc}", 502)

    @app.get("/")
    def index():
        """Show who is signed in and link to the protected pages."""
        return render_template("index.html", user=session.get("user"))

    def protected_page(name: str):
        """Show a protected page, or step the user up to its level first."""
        title, required, blurb = PAGES[name]
        user = session.get("user")
        if not user or level_of(user.get("acr")) < required:
            # Each login of its own, keyed by its state: two tabs may be logging in at once.
            state = secrets.token_urlsafe(24)
            pending = dict(session.get("pending") or {})
            while len(pending) >= MAX_PENDING:
                pending.pop(next(iter(pending)))
            pending[state] = {"acr": required, "next": safe_path(request.path)}
            session["pending"] = pending
            return idp.authorize_redirect(base_url + "/callback", acr_values=str(required),
                                          state=state)
        when = readable_time(user.get("auth_time"))
        return render_template(
            "page.html", title=title, required=required, blurb=blurb, user=user, when=when,
            level=level_of(user.get("acr")), who=display_name(user)
        )

    for name in PAGES:
        app.add_url_rule(f"/{name}", name, protected_page, defaults={"name": name})

    @app.get("/callback")
    def callback():
        """Finish the login: exchange the code, validate the ID token and check its acr."""
        pending = dict(session.get("pending") or {})
        asked = pending.pop(str(request.args.get("state", ""))[:100], None) or {}
        session["pending"] = pending
        wanted = level_of(asked.get("acr", 0))
        target = safe_path(asked.get("next", "/"))
        if "error" in request.args:
            return error_page(request.args["error"], request.args.get("error_description"))
        try:
            token = idp.authorize_access_token(
                claims_options={"iss": {"essential": True, "values": [issuer]}}
            )
        except (AuthlibBaseError, JoseError) as exc:
            return error_page(exc.error or "invalid_response", exc.description)
        claims = token.get("userinfo")
        if not claims:
            return error_page("invalid_response", "The provider returned no ID token.")
        if level_of(claims.get("acr")) < wanted:
            got = claims.get("acr")
            return error_page("insufficient_acr", f"Asked for acr {wanted}, received {got}.")
        session.pop("csrf", None)
        session["user"] = {key: claims[key] for key in CLAIMS if key in claims}
        # The name and email come from userinfo (the ID token carries the login's claims).
        try:
            info = idp.userinfo(token=token)
        except (AuthlibBaseError, requests.RequestException, ValueError):
            info = {}
        if info.get("sub") == claims.get("sub"):
            session["user"].update({key: info[key] for key in ("name", "preferred_username",
                                                               "email") if key in info})
        session["id_token"] = token["id_token"]
        return redirect(target)

    @app.post("/logout")
    def logout():
        """Clear the portal session and end the session at the provider."""
        expected = session.get("csrf")
        if not expected or not secrets.compare_digest(request.form.get("csrf", ""), expected):
            return error_page("invalid_request", "The logout form has expired; please try again.")
        id_token = session.get("id_token")
        session.clear()
        if not id_token or not idp.load_server_metadata().get("end_session_endpoint"):
            return redirect("/")
        result = idp.create_logout_url(
            post_logout_redirect_uri=base_url + "/",
            id_token_hint=id_token,
            client_id=settings["PORTAL_CLIENT_ID"],
            state=secrets.token_urlsafe(16),
        )
        return redirect(result["url"])

    return app
