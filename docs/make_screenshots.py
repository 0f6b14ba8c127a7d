"""Take the README's screenshots: the demo provider in Chromium, English and Dutch.

Run: .venv/bin/python docs/make_screenshots.py   (needs /usr/bin/chromium)
It serves the demo on a temporary SQLite database and writes docs/screenshots/*.png.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

import pyotp
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from idp import create_app  # noqa: E402
from idp.clock import now  # noqa: E402
from idp.demo import seed_demo  # noqa: E402
from idp.tenants.directories import ensure_default_directory
from idp.services import services  # noqa: E402
from idp.storage import db  # noqa: E402
from idp.storage.migrate import upgrade_schema  # noqa: E402
from tests.support.live import free_port  # noqa: E402

OUT = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
APP = {}  # the served app, to read the development outbox and change settings


def serve() -> tuple[str, dict[str, str]]:
    """Start the demo provider; return its issuer and the TOTP secret by user (the
    operator's too)."""
    port = free_port()
    database = os.path.join(tempfile.mkdtemp(), "shots.sqlite3")
    app = create_app({"IDP_ENV": "development", "IDP_DATABASE_URL": f"sqlite:///{database}",
                      "IDP_BASE_URL": f"http://localhost:{port}"})
    with app.app_context():
        upgrade_schema()
        directory, _ = ensure_default_directory(services().sealer, now())
        data = seed_demo(directory, services(), now())
        db.session.commit()
        secrets = {username: totp for username, _pw, totp in data.users if totp}
        if data.operator is not None:
            secrets[data.operator[0]] = data.operator[2]
    APP["app"] = app
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://localhost:{port}/d/default", secrets


def log_in(page, issuer: str, username: str, password: str, secret: str, path: str) -> None:
    page.goto(f"{issuer}{path}")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.get_by_role("link", name="Continue with authenticator app").click()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify").click()


def last_code() -> str:
    """Return the code of the newest message in the development outbox."""
    import re

    with APP["app"].app_context():
        _at, message = services().delivery.outbox.messages()[0]
    found = re.search(r"\b(\d{6})\b", message.text)
    assert found is not None, message.text
    return found.group(1)


def reset_shots(browser, issuer: str) -> None:
    """The pages of "Forgot your password?": carol, with her email address and number."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(f"{issuer}/account/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Username or email").fill("carol")
    page.screenshot(path=OUT / "reset-start.png", full_page=True)
    page.get_by_role("button", name="Send a code").click()
    page.screenshot(path=OUT / "reset-code.png", full_page=True)
    page.get_by_label("Code").fill(last_code())
    page.get_by_role("button", name="Continue").click()
    # An email code (10) and a texted one (10) do not reach 30: carol is told whom to ask.
    page.screenshot(path=OUT / "reset-stuck.png", full_page=True)
    context.close()
    from idp.tenants.directories import get_directory, update_levels

    with APP["app"].app_context():
        update_levels(get_directory("default"), None, {"email": 20})
        db.session.commit()
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(f"{issuer}/account/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Username or email").fill("carol")
    page.get_by_role("button", name="Send a code").click()
    page.get_by_label("Code").fill(last_code())
    page.get_by_role("button", name="Continue").click()
    page.screenshot(path=OUT / "reset-step-up.png", full_page=True)
    page.locator("ul.choices button").first.click()
    page.get_by_label("Code").fill(last_code())
    page.get_by_role("button", name="Verify").click()
    page.screenshot(path=OUT / "reset-password.png", full_page=True)
    context.close()


def main() -> int:
    OUT.mkdir(exist_ok=True)
    issuer, secrets = serve()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"])
        english = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
        page = english.new_page()
        page.goto(f"{issuer}/account/")
        page.screenshot(path=OUT / "login.png", full_page=True)
        page.get_by_label("Username or email").fill("bob")
        page.get_by_label("Password", exact=True).fill("bob-demo-password")
        page.get_by_role("button", name="Log in", exact=True).click()
        page.screenshot(path=OUT / "step-up.png", full_page=True)
        page.get_by_role("link", name="Continue with authenticator app").click()
        page.get_by_label("Code").fill(pyotp.TOTP(secrets["bob"]).now())
        page.get_by_role("button", name="Verify").click()
        page.screenshot(path=OUT / "profile.png", full_page=True)
        admin = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
        page = admin.new_page()
        log_in(page, issuer, "admin", "admin-demo-password", secrets["admin"], "/admin/settings")
        page.get_by_label("Required level").fill("40")
        page.get_by_role("button", name="Preview").click()
        page.screenshot(path=OUT / "admin-preview.png", full_page=True)
        page.goto(f"{issuer}/admin/users")
        page.screenshot(path=OUT / "admin-users.png", full_page=True)
        page.get_by_role("link", name="carol", exact=True).first.click()
        page.locator("#reset-link").screenshot(path=OUT / "admin-reset-link.png")
        page.goto(f"{issuer}/admin/settings")
        page.locator("form").first.screenshot(path=OUT / "admin-reset-level.png")
        operator = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
        page = operator.new_page()
        operators = issuer.replace("/d/default", "/d/operators")
        log_in(page, operators, "ops", "ops-demo-password", secrets["ops"],
               "/operator/directories/new")
        page.get_by_label("Slug", exact=True).fill("acme")
        page.get_by_label("Name", exact=True).fill("Acme B.V.")
        page.get_by_label("Email address of its first admin").fill("it@acme.example")
        page.screenshot(path=OUT / "operator-new.png", full_page=True)
        page.get_by_role("button", name="Create and invite the admin").click()
        page.screenshot(path=OUT / "operator-console.png", full_page=True)
        dutch = browser.new_context(locale="nl-NL", viewport={"width": 1100, "height": 800})
        page = dutch.new_page()
        page.goto(f"{issuer}/account/")
        page.screenshot(path=OUT / "login-nl.png", full_page=True)
        reset_shots(browser, issuer)
        browser.close()
    print("\n".join(str(path) for path in sorted(OUT.glob("*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
