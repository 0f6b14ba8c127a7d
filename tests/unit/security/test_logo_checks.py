"""Logo checks by content: a PNG that decodes, an SVG with nothing that runs or loads."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from idp.security.images import MAX_BYTES, LogoRefused, check_logo
from tests.support.logos import HOSTILE_SVG

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40">'
       b'<rect width="9" height="9"/></svg>')


def png(width: int = 64, height: int = 32, mode: str = "RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_png_is_known_by_its_bytes_with_its_size_and_hash():
    logo = check_logo(png())
    assert (logo.media_type, logo.width, logo.height) == ("image/png", 64, 32)
    assert len(logo.digest) == 64 and logo.content == png()


@pytest.mark.parametrize(("content", "size"), [
    (SVG, (120, 40)),
    (b'<?xml version="1.0"?>\n<!-- drawn by hand -->\n' + SVG, (120, 40)),
    (b'<svg xmlns="http://www.w3.org/2000/svg" width="200px" height="50"/>', (200, 50)),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 1"/>', (32, 16)),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100000 50000"/>', (4096, 2048)),
])
def test_a_passive_svg_is_taken_with_its_nominal_size(content, size):
    logo = check_logo(content)
    assert logo.media_type == "image/svg+xml" and (logo.width, logo.height) == size


@pytest.mark.parametrize("kind", sorted(HOSTILE_SVG))
def test_every_hostile_svg_is_refused(kind):
    with pytest.raises(LogoRefused) as refused:
        check_logo(HOSTILE_SVG[kind])
    assert refused.value.reason in {"active_content", "external_reference", "not_an_image"}


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"),
    (b"GIF89a....", "not_an_image"),
    (b"<html/>", "not_an_image"),
    (b"\xff\xfe<\x00s\x00v\x00g\x00", "not_an_image"),  # UTF-16: not what we serve
    (b"<svg xmlns='http://www.w3.org/2000/svg'>", "not_an_image"),  # not well-formed
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "dimensions"),  # no size at all
    (png(15, 15), "dimensions"),
    (png(4097, 600, "1"), "dimensions"),
    (png(800, 16), "dimensions"),
    (png()[:-20], "not_an_image"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_BYTES, "too_large"),
])
def test_what_is_not_a_sane_logo_is_refused_with_its_reason(content, reason):
    with pytest.raises(LogoRefused) as refused:
        check_logo(content)
    assert refused.value.reason == reason


def test_a_png_bomb_is_refused_before_it_is_decoded():
    # 4096 x 4096 of one colour compresses to a few KiB: within the limits, and decoded.
    check_logo(png(4096, 4096, "1"))
    with pytest.raises(LogoRefused):
        check_logo(png(8000, 8000, "1"))
