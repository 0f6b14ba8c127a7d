"""A directory's brand: its admin page, the logo's checks and headers, and its name on every
page, in the text message, the email and the authenticator app's key of that directory."""

from __future__ import annotations

import io
import re
from email.utils import parseaddr
from urllib.parse import quote, unquote, urljoin

import pytest
import requests
from PIL import Image

from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.live import new_directory, new_mobile
from tests.support.logos import HOSTILE_SVG
from tests.support.rp import StrictRP
from tests.web.admin_api import service_api
from tests.web.helpers import assert_error_page, password_step, set_up_page, step_up_page
from tests.web.test_web_admin_users import admin_agent, audit_events, csrf, press, stored_user
from tests.web.test_web_app_approval import ask_app, set_up_app

BRAND = {"name": "Acme B.V.", "accent": "#1a56a6", "sender_name": "ACME",
         "support_email": "help@acme.example", "support_url": "https://acme.example/help",
         "support_phone": "+31201234567"}


def png(width: int = 64, height: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (26, 86, 166)).save(buffer, "PNG")
    return buffer.getvalue()


def brand_page(agent, directory) -> Page:
    page = Page(agent.get(f"{directory.issuer}/admin/brand"))
    assert page.status == 200, page.text[:300]
    return page


def save_brand(agent, directory, **changes: str) -> Page:
    return Page(press(agent, brand_page(agent, directory), "save", {**BRAND, **changes}))


def upload(agent, directory, content: bytes, filename: str = "logo.png",
           declared: str = "image/png") -> requests.Response:
    page = brand_page(agent, directory)
    return agent.follow(agent.http.post(
        f"{directory.issuer}/admin/brand/logo",
        data={"csrf_token": csrf(page), "action": "upload"},
        files={"logo": (filename, content, declared)}, allow_redirects=False, timeout=30))


def header_of(page: Page) -> tuple[str, str | None]:
    """Return the page header's name and its logo's URL (None without one)."""
    brand = page.soup.select_one("body > header .brand")
    image = brand.find("img")
    return brand.get_text(strip=True), image["src"] if image else None


def accent_of(agent, page: Page) -> str:
    """Return the accent the page's own brand style sheet sets."""
    links = [link["href"] for link in page.soup.find_all("link", rel="stylesheet")
             if "/brand/accent-" in link["href"]]
    assert len(links) == 1, links
    sheet = agent.http.get(urljoin(page.url, links[0]), timeout=30)
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/css")
    return re.search(r"--accent: (#[0-9a-f]{6})", sheet.text).group(1)


# --- the admin page ---------------------------------------------------------------------------

def test_a_user_without_the_admin_role_is_refused_the_brand_page_and_its_posts(directory):
    directory.add_user(totp=True, admin=True)
    _admin, agent, page = admin_agent(directory, "/account/")
    user = directory.add_user(totp=True)
    other, profile = open_account_page(directory, user)
    token = csrf(profile)

    assert_error_page(other.get(f"{directory.issuer}/admin/brand"), 403, "access_denied")
    refused = other.http.post(f"{directory.issuer}/admin/brand",
                              data={"csrf_token": token, "action": "save", **BRAND}, timeout=30)
    assert_error_page(refused, 403, "access_denied")
    refused = other.http.post(f"{directory.issuer}/admin/brand/logo",
                              data={"csrf_token": token, "action": "upload"},
                              files={"logo": ("logo.png", png(), "image/png")}, timeout=30)
    assert_error_page(refused, 403, "access_denied")
    assert header_of(Page(agent.get(f"{directory.issuer}/account/")))[0] == \
        f"Test {directory.slug}"


def test_the_brand_page_is_in_the_admin_navigation_and_shows_the_current_brand(directory):
    _admin, agent, page = admin_agent(directory, "/account/")
    link = page.soup.find("nav").find("a", string="Brand")
    assert link is not None and link["href"].endswith("/admin/brand")

    brand = brand_page(agent, directory)

    assert brand.soup.find(id="name")["value"] == f"Test {directory.slug}"
    assert brand.soup.find(id="preview-name").get_text() == f"Test {directory.slug}"


def test_a_post_without_the_csrf_token_changes_nothing(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")
    response = agent.http.post(f"{directory.issuer}/admin/brand",
                               data={"action": "save", **BRAND}, timeout=30)
    assert_error_page(response, 400, "invalid_request")
    assert brand_page(agent, directory).soup.find(id="name")["value"] == f"Test {directory.slug}"


def test_the_preview_shows_the_header_the_colour_and_the_text_message_before_saving(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")

    preview = Page(press(agent, brand_page(agent, directory), "preview",
                         {**BRAND, "accent": "#B00020"}))

    assert preview.status == 200
    assert preview.soup.find(id="preview-heading").get_text() == "Preview (not saved yet)"
    assert preview.soup.find(id="preview-name").get_text() == "Acme B.V."
    assert preview.soup.find(id="preview-colour").get_text() == "#b00020"
    sheets = [link["href"] for link in preview.soup.find_all("link", rel="stylesheet")]
    sheet = next(href for href in sheets if "/brand/preview-" in href)
    css = agent.http.get(urljoin(preview.url, sheet), timeout=30).text
    assert ".brand-preview { --accent: #b00020; }" in css
    sms = preview.soup.find(id="preview-sms").get_text()
    assert sms.startswith("123456 is your Acme B.V. code. It expires in 10 minutes.")
    assert "Sent as: ACME" in preview.text
    # Nothing is saved by a preview.
    assert header_of(preview)[0] == f"Test {directory.slug}"
    assert audit_events(directory, "admin.brand_changed") == []


def test_saving_the_brand_changes_every_page_header_and_is_audited(directory):
    admin, agent, _page = admin_agent(directory, "/admin/brand")

    saved = save_brand(agent, directory, accent="#005A32")

    assert saved.status == 200 and "Saved." in saved.text
    assert header_of(saved) == ("Acme B.V.", None)
    assert saved.soup.find("title").get_text().endswith("· Acme B.V.")
    assert accent_of(agent, saved) == "#005a32"
    profile = Page(agent.get(f"{directory.issuer}/account/"))
    assert header_of(profile)[0] == "Acme B.V."
    [event] = audit_events(directory, "admin.brand_changed")
    assert event.detail["actor"] == stored_user(directory, admin.username).id
    assert set(event.detail["fields"]) == set(BRAND)


@pytest.mark.parametrize(("colour", "message"), [
    ("#ffcc00", "#ffcc00 is too light: white text on it, and it as text on white, has a "
                "contrast of 1.51:1, and needs at least 4.5:1 (WCAG AA). Choose a darker colour."),
    ("#777777", "#777777 is too light"),
    ("yellow", "Enter the colour as a hex code such as #1a56a6."),
    ("#1a56a6;}body{color:red", "Enter the colour as a hex code such as #1a56a6."),
])
def test_a_colour_that_fails_contrast_or_is_no_colour_is_refused_with_a_clear_message(
        directory, colour, message):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")

    for action in ("preview", "save"):
        page = Page(press(agent, brand_page(agent, directory), action,
                          {**BRAND, "accent": colour}))
        assert page.status == 400
        assert message in page.soup.find(id="form-error").get_text()
        assert page.soup.find(id="accent")["aria-invalid"] == "true"
    assert header_of(brand_page(agent, directory))[0] == f"Test {directory.slug}"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Enter the name people see"),
    ("name", "x" * 101, "Enter the name people see"),
    ("sender_name", "ACME Bank B.V.", "A sender name is 1 to 11"),
    ("sender_name", "Zoë", "A sender name is 1 to 11"),
    ("sender_name", "0612345678", "A sender name is 1 to 11"),
    ("support_email", "not an address", "Enter an email address"),
    ("support_url", "javascript:alert(1)", "Enter a web address starting with https://"),
    ("support_url", "http://acme.example", "Enter a web address starting with https://"),
    ("support_phone", "call us", "Enter the phone number in international form"),
])
def test_a_bad_field_is_refused_naming_it(directory, field, value, message):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")
    page = save_brand(agent, directory, **{field: value})
    assert page.status == 400
    assert message in page.soup.find(id="form-error").get_text()
    assert page.soup.find(id=field)["aria-invalid"] == "true"


def test_oversized_or_odd_form_input_is_a_400_never_a_500(directory):
    _admin, agent, page = admin_agent(directory, "/admin/brand")
    token = csrf(page)
    for data in ({"action": "teleport"}, {"action": "save", "name": "\x00"},
                 {"action": "save", **BRAND, "accent": "#" + "f" * 5000},
                 {"action": "save", **BRAND, "name": "Acme\u2028B.V."}):
        response = agent.http.post(f"{directory.issuer}/admin/brand",
                                   data={"csrf_token": token, **data}, timeout=30)
        assert response.status_code == 400, (data, response.text[:300])


# --- the logo -----------------------------------------------------------------------------------

def test_a_png_logo_is_shown_in_the_header_and_served_with_cache_and_safety_headers(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")

    page = Page(upload(agent, directory, png()))

    assert page.status == 200 and "The new logo is saved." in page.text
    _name, src = header_of(page)
    assert src is not None and re.search(r"/d/[^/]+/brand/logo-[0-9a-f]{64}\.png$", src)
    logo = requests.get(urljoin(page.url, src), timeout=30)  # no session needed
    assert logo.status_code == 200 and logo.content == png()
    assert logo.headers["Content-Type"] == "image/png"
    assert logo.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in logo.headers["Cache-Control"]
    assert "immutable" in logo.headers["Cache-Control"]
    assert logo.headers["ETag"].strip('"') in src
    again = requests.get(urljoin(page.url, src), headers={"If-None-Match": logo.headers["ETag"]},
                         timeout=30)
    assert again.status_code == 304 and again.content == b""
    # Another hash, or another directory's slug, finds nothing.
    assert requests.get(urljoin(page.url, re.sub(r"logo-[0-9a-f]{8}", "logo-00000000", src)),
                        timeout=30).status_code == 404
    assert requests.get(urljoin(page.url, src).replace(".png", ".svg"),
                        timeout=30).status_code == 404


def test_a_plain_svg_logo_is_served_with_a_content_security_policy_that_forbids_all(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")
    svg = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
           b'viewBox="0 0 120 40"><style>.a{fill:#1a56a6}</style><defs><linearGradient id="g"/>'
           b'</defs><rect class="a" width="120" height="40" fill="url(#g)"/></svg>')

    page = Page(upload(agent, directory, svg, "logo.svg", "image/svg+xml"))

    _name, src = header_of(page)
    assert src.endswith(".svg")
    logo = requests.get(urljoin(page.url, src), timeout=30)
    assert logo.headers["Content-Type"] == "image/svg+xml"
    assert logo.headers["Content-Security-Policy"] == ("default-src 'none'; "
                                                       "style-src 'unsafe-inline'")
    assert logo.headers["X-Content-Type-Options"] == "nosniff"




@pytest.mark.parametrize("kind", sorted(HOSTILE_SVG))
def test_a_hostile_svg_is_refused_and_no_logo_is_stored(directory, kind):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")

    page = Page(upload(agent, directory, HOSTILE_SVG[kind], "logo.svg", "image/svg+xml"))

    assert page.status == 400
    assert re.search(r"This SVG (contains scripts|refers to other files)|must be a PNG or SVG",
                     page.soup.find(id="form-error").get_text())
    assert page.soup.find(id="logo")["aria-invalid"] == "true"
    assert header_of(page)[1] is None


@pytest.mark.parametrize(("content", "filename", "declared", "message"), [
    (b"%PDF-1.7 not a picture", "logo.png", "image/png", "must be a PNG or SVG image"),
    (b"<html><body>hello</body></html>", "logo.svg", "image/svg+xml",
     "must be a PNG or SVG image"),
    (png()[:80], "logo.png", "image/png", "must be a PNG or SVG image"),  # truncated
    (png(8, 8), "logo.png", "image/png", "must be 16 to 4096 pixels"),
    (png(1600, 20), "logo.png", "image/png", "at most 8 times as wide as high"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (300 * 1024), "logo.png", "image/png",
     "The logo is too large: at most 256 KiB."),
    (b"", "logo.png", "image/png", "Choose a logo file to upload."),
])
def test_a_file_that_is_not_a_sane_png_or_svg_is_refused_by_its_content(
        directory, content, filename, declared, message):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")

    page = Page(upload(agent, directory, content, filename, declared))

    assert page.status == 400
    assert message in page.soup.find(id="form-error").get_text()
    assert header_of(page)[1] is None


def test_an_upload_far_above_the_limit_is_answered_413_not_500(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")
    response = upload(agent, directory, b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024))
    assert_error_page(response, 413, "invalid_request")


def test_removing_the_logo_takes_it_from_the_header_and_its_url(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")
    _name, src = header_of(Page(upload(agent, directory, png())))

    page = Page(press(agent, brand_page(agent, directory), "remove"))

    assert "The logo is removed." in page.text and header_of(page)[1] is None
    assert requests.get(urljoin(page.url, src), timeout=30).status_code == 404
    assert len(audit_events(directory, "admin.brand_changed")) == 2


# --- the support contact ------------------------------------------------------------------------

def test_the_support_contact_is_on_error_pages_and_on_the_unreachable_page(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")
    save_brand(agent, directory)

    error = assert_error_page(requests.get(f"{directory.issuer}/i/no-such-login", timeout=30),
                              400)
    support = error.soup.find(id="support-heading").find_parent("section")
    hrefs = [a["href"] for a in support.find_all("a")]
    assert hrefs == ["mailto:help@acme.example", "tel:+31201234567", "https://acme.example/help"]

    directory.set_levels(totp=0, sms=0, email=0, passkey=0, app=0)
    rp = StrictRP(directory, directory.add_client())
    page = Page(password_step(rp, directory.add_user()))
    assert page.title == "You cannot log in here yet"
    assert page.soup.find(id="support-heading") is not None
    assert "mailto:help@acme.example" in page.text or "help@acme.example" in page.text


@pytest.mark.parametrize("path", ["/no-such-page", "/account/no/such/page", "/brand/x.css"])
def test_an_unknown_address_below_a_directory_shows_that_directorys_brand(directory, path):
    api = service_api(directory, scopes="admin:brand")
    api.patch("/brand", json={**BRAND, "accent": "#8b1a1a"})
    api.put("/brand/logo", data=png(), headers={"Content-Type": "image/png"})
    agent = Agent(directory.live.url)

    page = assert_error_page(agent.get(directory.issuer + path), 404, "not_found")

    name, logo = header_of(page)
    assert name == "Acme B.V."
    assert logo is not None and f"/d/{directory.slug}/brand/logo-" in logo
    assert accent_of(agent, page) == "#8b1a1a"
    support = page.soup.find(id="support-heading").find_parent("section")
    assert [a["href"] for a in support.find_all("a")] == [
        "mailto:help@acme.example", "tel:+31201234567", "https://acme.example/help"]


@pytest.mark.parametrize("path", ["/d/no-such-directory/admin/", "/d/no-such-directory",
                                  "/d/NOT A SLUG/x", "/nothing/here"])
def test_an_unknown_directory_or_address_keeps_the_neutral_error_page(live, path):
    page = assert_error_page(requests.get(live.url + path, timeout=30), 404, "not_found")
    assert header_of(page) == ("Sign-in service", None)
    assert not [link for link in page.soup.find_all("link", rel="stylesheet")
                if "/brand/" in link["href"]]
    assert page.soup.find(id="support-heading") is None


def test_without_a_support_contact_no_empty_help_section_is_shown(directory):
    error = assert_error_page(requests.get(f"{directory.issuer}/i/no-such-login", timeout=30),
                              400)
    assert header_of(error)[0] == f"Test {directory.slug}"
    assert error.soup.find(id="support-heading") is None


# --- a second directory, side by side ---------------------------------------------------------

def test_a_second_directory_shows_its_own_name_in_pages_text_messages_email_and_otpauth(
        live, directory, gateway, mail):
    second = new_directory(live)
    _admin, agent, _page = admin_agent(second, "/admin/brand")
    save_brand(agent, second, name="Acme Bank", sender_name="ACMEBANK")
    first_name, second_name = f"Test {directory.slug}", "Acme Bank"

    for target, name in ((directory, first_name), (second, second_name)):
        user = target.add_user(phone=new_mobile(), email_verified=True)
        rp = StrictRP(target, target.add_client())
        page = step_up_page(rp, user)
        assert header_of(page)[0] == name
        Page(rp.agent.submit(page, "Text a code to"))
        sms = gateway.wait_for(user.phone)
        assert re.match(rf"\d{{6}} is your {re.escape(name)} code\.", sms["message"])

        email_rp = StrictRP(target, target.add_client())
        Page(email_rp.agent.submit(step_up_page(email_rp, user), "Email a code to"))
        email = mail.wait_for(user.email)
        assert re.fullmatch(rf"\d{{6}} is your {re.escape(name)} code", email["Subject"])

        newcomer = target.add_user()  # only a password: offered an authenticator app
        totp_rp = StrictRP(target, target.add_client())
        enrol = Page(totp_rp.agent.get(set_up_page(totp_rp, newcomer).link(
            "Set up an authenticator app")))
        uri = enrol.soup.find(id="totp-link")["href"]
        assert unquote(uri).startswith(f"otpauth://totp/{name}:{newcomer.username}?")
        assert f"issuer={quote(name)}" in uri

        sender = "ACMEBANK" if target is second else first_name[:11]
        assert sms["from"] == sender
        assert parseaddr(email["From"])[0] == sender


def test_the_brand_page_and_its_refusals_are_in_dutch_for_a_dutch_browser(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")
    agent.http.headers["Accept-Language"] = "nl-NL,nl;q=0.9"

    page = brand_page(agent, directory)
    refused = Page(press(agent, page, "preview", {**BRAND, "accent": "#ffcc00"}))

    assert page.title == "Huisstijl"
    assert page.soup.find("nav").find("a", string="Huisstijl") is not None
    assert "Voorbeeld" in page.text and "Accentkleur" in page.text
    assert refused.soup.find(id="form-error").get_text(strip=True).startswith(
        "#ffcc00 is te licht: witte tekst erop")
    assert "Verstuurd als:" in refused.text


def test_the_authenticator_app_shows_the_directorys_brand_when_approving(directory):
    _admin, agent, _page = admin_agent(directory, "/admin/brand")
    save_brand(agent, directory, accent="#005a32")
    _name, src = header_of(Page(upload(agent, directory, png())))
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()
    app = set_up_app(rp, user)
    browser = StrictRP(directory, rp.client)
    ask_app(browser, user)

    [pending] = app.pending()

    assert (pending["directory"], pending["accent"]) == ("Acme B.V.", "#005a32")
    assert pending["logo"] == urljoin(directory.issuer, src)
    assert requests.get(pending["logo"], timeout=30).content == png()
