"""The facts the standard claims' rules get from the world: IANA zones and BCP 47 locales."""

from __future__ import annotations

import pytest

from idp.users.claims import canonical_locale, is_zone


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/Argentina/Buenos_Aires", "UTC"])
def test_iana_time_zones_are_zones(zone):
    assert is_zone(zone)


@pytest.mark.parametrize("name", ["Europe/Atlantis", "europe/amsterdam", "localtime",
                                  "posixrules", "../etc/passwd", "", "CET-1"])
def test_other_names_are_not_zones(name):
    assert not is_zone(name)


@pytest.mark.parametrize(("tag", "canonical"), [
    ("nl", "nl"), ("nl-NL", "nl-NL"), ("en-us", "en-US"), ("zh-Hant-TW", "zh-Hant-TW"),
    ("FY-nl", "fy-NL")])
def test_known_bcp47_tags_are_given_in_their_usual_case(tag, canonical):
    assert canonical_locale(tag) == canonical


@pytest.mark.parametrize("tag", ["en_US", "xx", "nl-XX", "und", "x-private", "en-", "-",
                                 "i-klingon", "1234", "a" * 35])
def test_unknown_or_malformed_tags_are_refused(tag):
    assert canonical_locale(tag) is None
