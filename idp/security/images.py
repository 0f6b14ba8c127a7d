"""Check an uploaded logo by its content: a PNG that decodes, or an SVG with nothing active.

The type is read from the bytes, never from the file's name or the browser's claim. A PNG
must decode completely with Pillow, within the size and dimension limits. An SVG is
parsed with defusedxml (no entity expansion, no external entities) and **refused**, not
rewritten, when it holds anything that could run or load: scripts, event handlers
(``on…``), ``<foreignObject>``, links or ``url(…)`` to anything but a fragment of itself,
``xml:base``, processing instructions (``<?xml-stylesheet?>``), animations that change an
``href``, or elements of a namespace other than SVG's and the editors' metadata. Python
has no well-kept SVG sanitiser (bleach is deprecated, nh3 cleans HTML only), and a
rewritten picture can change silently; a refusal names the reason, so the admin can
export a clean file. The logo is also served with a CSP that forbids everything but
inline styles, and shown through ``<img>``, which never runs an SVG's scripts.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import xml.etree.ElementTree as ET  # noqa: N817  (only for its TreeBuilder and types)
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 256 * 1024
MAX_SIDE = 4096
MIN_SIDE = 16
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# What drawing programs add besides the picture itself: inert metadata.
METADATA_NS = frozenset({
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://purl.org/dc/elements/1.1/",
    "http://creativecommons.org/ns#", "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
})
FORBIDDEN_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "embed", "object",
                                "audio", "video", "handler", "listener"})
ANIMATIONS = frozenset({"set", "animate", "animateTransform", "animateMotion"})
URL_CALL = re.compile(r"url\s*\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
IMPORT = re.compile(r"@import", re.IGNORECASE)
XML_DECLARATION = re.compile(rb"^<\?xml\s[^>]*\?>")
NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(px)?\s*$")


class LogoRefused(ValueError):
    """The upload is not a logo we serve; ``reason`` says why, as a short code."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedLogo:
    """A logo that passed the checks: its bytes, type, pixel size and content hash."""

    content: bytes
    media_type: str
    width: int
    height: int

    @property
    def digest(self) -> str:
        """Return the SHA-256 of the content, in hex: it names the logo's URL."""
        return hashlib.sha256(self.content).hexdigest()


def check_logo(content: bytes) -> CheckedLogo:
    """Return the logo if it is a sane PNG or a passive SVG, else raise LogoRefused."""
    if not content:
        raise LogoRefused("empty")
    if len(content) > MAX_BYTES:
        raise LogoRefused("too_large")
    if content.startswith(PNG_SIGNATURE):
        return _check_png(content)
    if _looks_like_xml(content):
        return _check_svg(content)
    raise LogoRefused("not_an_image")


def _check_sides(width: int, height: int) -> None:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise LogoRefused("dimensions")
    if max(width, height) > 8 * min(width, height):
        raise LogoRefused("dimensions")


def _check_png(content: bytes) -> CheckedLogo:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=["PNG"]) as image:
                width, height = image.size
                _check_sides(width, height)
                image.verify()  # every chunk's checksum, up to the end chunk
            with Image.open(io.BytesIO(content), formats=["PNG"]) as image:
                image.load()  # decode it all: corrupt image data fails here
    except LogoRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise LogoRefused("not_an_image") from exc
    return CheckedLogo(content, "image/png", width, height)


def _looks_like_xml(content: bytes) -> bool:
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _check_svg(content: bytes) -> CheckedLogo:
    # The tree keeps no processing instruction outside the root: look at the bytes. After
    # the XML declaration, "<?" can only begin one (text must escape "<").
    body = XML_DECLARATION.sub(b"", content.lstrip(b"\xef\xbb\xbf \t\r\n"), count=1)
    if b"<?" in body:
        raise LogoRefused("active_content")
    builder = ET.TreeBuilder(insert_pis=True, insert_comments=False)
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    try:
        parser.feed(content)
        root = parser.close()
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise LogoRefused("not_an_image") from exc
    if root is None or root.tag != f"{{{SVG_NS}}}svg":
        raise LogoRefused("not_an_image")
    for element in root.iter():
        _check_element(element)
    width, height = _svg_size(root)
    _check_sides(width, height)
    return CheckedLogo(content, "image/svg+xml", width, height)


def _local(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _check_element(element: ET.Element) -> None:
    if not isinstance(element.tag, str):  # a processing instruction (<?xml-stylesheet?>)
        raise LogoRefused("active_content")
    namespace, local = _local(element.tag)
    if namespace in METADATA_NS:
        return
    if namespace != SVG_NS or local in FORBIDDEN_ELEMENTS:
        raise LogoRefused("active_content")
    if local in ANIMATIONS and "href" in (element.get("attributeName") or "").lower():
        raise LogoRefused("active_content")
    if local == "style" and _refers_outside(element.text or ""):
        raise LogoRefused("external_reference")
    for name, value in element.attrib.items():
        attribute_ns, attribute = _local(name)
        if attribute.lower().startswith("on"):
            raise LogoRefused("active_content")
        if attribute_ns == XML_NS and attribute == "base":
            raise LogoRefused("external_reference")
        if attribute == "href" and attribute_ns in ("", XLINK_NS):
            if not value.strip().startswith("#"):
                raise LogoRefused("external_reference")
        elif _refers_outside(value):
            raise LogoRefused("external_reference")


def _refers_outside(text: str) -> bool:
    """Return whether CSS or an attribute value points anywhere but into the picture."""
    if IMPORT.search(text):
        return True
    return any(not target.startswith("#") for target in URL_CALL.findall(text))


def _svg_size(root: ET.Element) -> tuple[int, int]:
    """Return the picture's nominal size: its width and height, or its viewBox's."""
    width, height = _number(root.get("width")), _number(root.get("height"))
    if width is not None and height is not None:
        return round(width), round(height)
    parts = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        box = [float(p) for p in parts]
    except ValueError:
        raise LogoRefused("dimensions") from None
    if len(box) != 4:
        raise LogoRefused("dimensions")
    # A viewBox is in user units, which scale freely: bring it within the limits.
    box_width, box_height = box[2], box[3]
    if box_width <= 0 or box_height <= 0:
        raise LogoRefused("dimensions")
    scale = max(1.0, MIN_SIDE / min(box_width, box_height))
    if max(box_width, box_height) * scale > MAX_SIDE:
        scale = MAX_SIDE / max(box_width, box_height)
    return round(box_width * scale), round(box_height * scale)


def _number(value: str | None) -> float | None:
    found = NUMBER.match(value or "")
    return float(found.group(1)) if found else None
