"""Take the README's screenshots: the demo provider in Chromium, English and Dutch.

Run: .venv/bin/python docs/make_screenshots.py [GROUP ...]   (needs /usr/bin/chromium)
It serves the demo (the provider, the sample portal and the sample API) on a temporary
SQLite database and writes docs/screenshots/*.png: every group, or only those named
(pages, reset, portal-api).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyotp
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clients.api import create_api  # noqa: E402
from clients.portal import create_portal  # noqa: E402
from idp import create_app  # noqa: E402
from idp.clock import now  # noqa: E402
from idp.demo import seed_demo  # noqa: E402
from idp.services import services  # noqa: E402
from idp.storage import db  # noqa: E402
from idp.storage.migrate import upgrade_schema  # noqa: E402
from idp.tenants.directories import ensure_default_directory
from tests.support.live import free_port  # noqa: E402

OUT = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
TOTP_STEP = 30
APP = {}  # the served app, to read the development outbox and change settings


def serve_in_thread(app, port: int) -> None:
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def serve() -> tuple[str, dict[str, str]]:
    """Start the demo provider, the portal and the API; return the provider's issuer and
    the TOTP secret by user (the operator's too). The portal's URL is APP["portal"], bob's
    recovery codes APP["codes"]."""
    port, portal_port, api_port = free_port(), free_port(), free_port()
    portal_url = f"http://localhost:{portal_port}"
    database = os.path.join(tempfile.mkdtemp(), "shots.sqlite3")
    app = create_app({"IDP_ENV": "development", "IDP_DATABASE_URL": f"sqlite:///{database}",
                      "IDP_BASE_URL": f"http://localhost:{port}"})
    with app.app_context():
        upgrade_schema()
        directory, _ = ensure_default_directory(services().sealer, now())
        data = seed_demo(directory, services(), now(), portal_url=portal_url)
        db.session.commit()
        secrets = {username: totp for username, _pw, totp in data.users if totp}
        if data.operator is not None:
            secrets[data.operator[0]] = data.operator[2]
    APP["app"] = app
    serve_in_thread(app, port)
    issuer = f"http://localhost:{port}/d/default"
    serve_in_thread(create_portal({
        "PORTAL_ISSUER": issuer, "PORTAL_CLIENT_ID": data.portal_client_id,
        "PORTAL_CLIENT_SECRET": data.portal_secret, "PORTAL_BASE_URL": portal_url,
        "PORTAL_API_URL": f"http://localhost:{api_port}"}), portal_port)
    serve_in_thread(create_api({"API_ISSUER": issuer, "API_AUDIENCE": data.portal_client_id}),
                    api_port)
    APP["portal"], APP["codes"] = portal_url, data.recovery_codes["bob"]
    return issuer, secrets


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


def portal_api_shots(browser, secrets: dict[str, str]) -> None:
    """Bob reads his invoices through the portal, then steps up for the API to change his
    bank account."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(APP["portal"] + "/invoices")
    page.get_by_label("Username or email").fill("bob")
    page.get_by_label("Password", exact=True).fill("bob-demo-password")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.get_by_role("link", name="Continue with authenticator app").click()
    page.get_by_label("Code").fill(pyotp.TOTP(secrets["bob"]).now())
    page.get_by_role("button", name="Verify").click()
    page.get_by_label("New IBAN").fill("NL91 ABNA 0417 1643 00")
    page.get_by_role("button", name="Change bank account").click()
    page.get_by_role("link", name="Continue with recovery code").wait_for()
    page.screenshot(path=OUT / "portal-api-step-up-ask.png", full_page=True)
    page.get_by_role("link", name="Continue with recovery code").click()
    page.get_by_label("Code").fill(APP["codes"][0])
    page.get_by_role("button", name="Verify", exact=True).click()
    page.get_by_role("button", name="Continue").click()
    page.locator("#notice").wait_for()
    page.screenshot(path=OUT / "portal-api-step-up.png", full_page=True)
    context.close()


def page_shots(browser, issuer: str, secrets: dict[str, str]) -> None:
    """The login, step-up, profile, admin, operator and Dutch pages."""
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


GROUPS = ("pages", "reset", "portal-api")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", choices=[[], *GROUPS], metavar="GROUP",
                        help=f"only these ({', '.join(GROUPS)}); all when none is named")
    groups = set(parser.parse_args().groups or GROUPS)
    OUT.mkdir(exist_ok=True)
    issuer, secrets = serve()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"])
        if "pages" in groups:
            page_shots(browser, issuer, secrets)
        if "reset" in groups:
            reset_shots(browser, issuer)
        if "portal-api" in groups:
            if "pages" in groups:  # bob's app code of this window is spent
                time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 1)
            portal_api_shots(browser, secrets)
        browser.close()
    print("\n".join(str(path) for path in sorted(OUT.glob("*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
