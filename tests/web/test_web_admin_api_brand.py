"""The admin API's brand: its texts and colour with the Brand page's checks (the contrast
refusal among them), and the logo with its checks of type, size and SVG content; audited
with the service account as actor; every answer checked against admin.openapi.yaml."""

from __future__ import annotations

import pytest
import requests

from tests.support.agent import Page
from tests.support.logos import HOSTILE_SVG
from tests.web.admin_api import AdminApi, assert_api_error, service_api
from tests.web.test_web_admin_settings import audit_events
from tests.web.test_web_brand import BRAND, header_of, png

PLAIN_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40">'
             b'<rect width="120" height="40" fill="#1a56a6"/></svg>')


@pytest.fixture
def api(directory) -> AdminApi:
    return service_api(directory, scopes="admin:brand")


def brand_events(directory):
    return audit_events(directory, "admin.brand_changed")


def upload(api: AdminApi, content: bytes, media_type: str = "image/png") -> requests.Response:
    return api.put("/brand/logo", data=content, headers={"Content-Type": media_type})


def test_the_brand_is_read(directory, api):
    assert api.get("/brand").json() == {
        "name": f"Test {directory.slug}", "accent": "#1a56a6", "sender_name": None,
        "support_email": None, "support_url": None, "support_phone": None, "logo": None}


def test_changing_the_brand_shows_on_the_pages_and_audits_the_service_account(directory, api):
    body = api.patch("/brand", json=BRAND).json()
    assert body == {**BRAND, "logo": None}
    page = Page(requests.get(f"{directory.issuer}/i/no-such-login", timeout=30))
    assert header_of(page)[0] == "Acme B.V."
    (event,) = brand_events(directory)
    assert event.detail["actor_client"] == api.client.client_id
    assert set(event.detail["fields"]) == set(BRAND) - {"accent"}  # the accent was already so


def test_fields_left_out_stay_and_null_clears_an_optional_one(directory, api):
    api.patch("/brand", json=BRAND)
    body = api.patch("/brand", json={"support_phone": None, "name": "Acme"}).json()
    assert body["name"] == "Acme" and body["support_phone"] is None
    assert body["support_email"] == BRAND["support_email"]


def test_a_colour_that_fails_contrast_is_refused_as_on_the_page(directory, api):
    refusal = assert_api_error(api.patch("/brand", json={"accent": "#ffff00"}), 400,
                               "invalid_request")
    assert refusal["error_description"].startswith("accent: #ffff00 is too light")
    assert "needs at least 4.5:1 (WCAG AA)" in refusal["error_description"]
    assert api.get("/brand").json()["accent"] == "#1a56a6"
    assert brand_events(directory) == []


@pytest.mark.parametrize(("body", "words"), [
    ({"name": ""}, "name: Enter the name people see"),
    ({"name": None}, "name: Enter the name people see"),
    ({"accent": "blue"}, "accent: Enter the colour as a hex code"),
    ({"sender_name": "Ac\u00e9me Bank Ltd"}, "sender_name: A sender name is 1 to"),
    ({"support_url": "http://acme.example"}, "support_url: Enter a web address starting"),
    ({"support_email": "not an email"}, "support_email: "),
    ({"name": 5}, "must be a str"),
    ({"name": "x" * 601}, "at most 600 characters"),
    ({"logo": "x"}, "Unknown field"),
])
def test_bad_fields_are_refused_naming_them_and_nothing_is_stored(directory, api, body, words):
    refusal = assert_api_error(api.patch("/brand", json={**body}), 400, "invalid_request")
    assert words in refusal["error_description"]
    assert api.get("/brand").json()["name"] == f"Test {directory.slug}"
    assert brand_events(directory) == []


def test_a_png_logo_is_stored_served_and_audited(directory, api):
    body = upload(api, png()).json()
    assert body["logo"]["media_type"] == "image/png"
    served = requests.get(body["logo"]["url"], timeout=30)
    assert served.status_code == 200 and served.content == png()
    page = Page(requests.get(f"{directory.issuer}/i/no-such-login", timeout=30))
    assert header_of(page)[1] == body["logo"]["url"].removeprefix(directory.live.url)
    (event,) = brand_events(directory)
    assert event.detail == {"actor_client": api.client.client_id, "fields": ["logo"]}


def test_a_plain_svg_is_stored_and_the_logo_can_be_removed(directory, api):
    url = upload(api, PLAIN_SVG, "image/svg+xml").json()["logo"]["url"]
    assert url.endswith(".svg")
    assert api.delete("/brand/logo").json()["logo"] is None
    assert requests.get(url, timeout=30).status_code == 404
    assert len(brand_events(directory)) == 2


@pytest.mark.parametrize("kind", sorted(HOSTILE_SVG))
def test_a_hostile_svg_is_refused_and_nothing_is_stored(directory, api, kind):
    refusal = assert_api_error(upload(api, HOSTILE_SVG[kind], "image/svg+xml"), 400,
                               "invalid_logo")
    assert any(words in refusal["error_description"] for words in (
        "This SVG contains scripts", "This SVG refers to other files", "must be a PNG or SVG"))
    assert api.get("/brand").json()["logo"] is None
    assert brand_events(directory) == []


@pytest.mark.parametrize(("content", "media_type", "words"), [
    (b"%PDF-1.7 not a picture", "image/png", "must be a PNG or SVG image"),
    (png()[:80], "image/png", "must be a PNG or SVG image"),
    (png(8, 8), "image/png", "must be 16 to 4096 pixels"),
    (b"", "image/png", "Choose a logo file to upload."),
    (PLAIN_SVG.replace(b"<rect", b"<foreignObject/><rect"), "image/svg+xml",
     "This SVG contains scripts"),
])
def test_a_file_that_is_not_a_sane_logo_is_refused_by_its_content(api, content, media_type,
                                                                   words):
    refusal = assert_api_error(upload(api, content, media_type), 400, "invalid_logo")
    assert words in refusal["error_description"]
    assert api.get("/brand").json()["logo"] is None


def test_a_logo_too_large_or_of_another_type_is_refused(api):
    large = assert_api_error(upload(api, b"\x89PNG\r\n\x1a\n" + b"\0" * (300 * 1024)), 413,
                             "invalid_request")
    assert "at most 256 KiB" in large["error_description"]
    huge = upload(api, b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024))
    assert_api_error(huge, 413, "invalid_request")
    assert_api_error(upload(api, png(), "application/json"), 415, "invalid_request")
    assert_api_error(upload(api, png(), "image/gif"), 415, "invalid_request")
    assert api.get("/brand").json()["logo"] is None


def test_the_brand_needs_the_brand_scope(directory):
    api = service_api(directory, scopes="admin:settings admin:policies admin:claims")
    assert_api_error(api.get("/brand"), 403, "insufficient_scope")
    assert_api_error(api.patch("/brand", json={"name": "Taken over"}), 403,
                     "insufficient_scope")
    assert_api_error(upload(api, png()), 403, "insufficient_scope")
    assert_api_error(api.delete("/brand/logo"), 403, "insufficient_scope")
    assert brand_events(directory) == []
