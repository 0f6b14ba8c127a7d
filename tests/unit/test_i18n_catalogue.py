"""The translation catalogues: complete, faithful to the placeholders, in step with the sources.

Nobody can add an English string to a page or a message without its Dutch: the .pot must
be what extraction gives today (`make translations` refreshes it and the .po files), and
every .po must translate all of it, without fuzzy entries. The same holds for the
catalogue a method package keeps of its own (``idp/methods/NAME/translations``), whose
strings the pages' catalogue leaves out.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from idp.domain.brand import MAX_SMS_NAME
from idp.i18n import load_po, translations_for

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "idp" / "translations"
#: Every catalogue folder: the pages' own, then each method package's that keeps one.
FOLDERS = [TRANSLATIONS, *sorted((ROOT / "idp" / "methods").glob("*/translations"))]
CATALOGUES = sorted(path for folder in FOLDERS for path in
                    folder.glob("*/LC_MESSAGES/messages.po"))
# The same extraction as the Makefile's `translations` target: keep the two in step.
EXTRACT = ["extract", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2",
           "-k", "lazy_pgettext:1c,2", "-c", "TRANSLATORS:"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")  # %(name)s, and %(num)d as ngettext passes it
SMS = "%(code)s is your %(directory)s code. It expires in %(minutes)s minutes. Never share it."
# GSM 03.38 basic alphabet: anything else makes an SMS UCS-2 and halves its length.
GSM_7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
            "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def msgids(catalog: Catalog) -> set:
    return {(message.context, message.id) for message in catalog if message.id}


def locale_of(path: Path) -> str:
    return "/".join(path.relative_to(ROOT).parts[1:-2])


def folder_of(path: Path) -> str:
    return str(path.relative_to(ROOT))


def pot_of(catalogue: Path) -> Path:
    return catalogue.parents[2] / "messages.pot"


def extraction(folder: Path) -> list[str]:
    """Return the arguments that extract the strings of a catalogue folder."""
    if folder == TRANSLATIONS:  # everything but the packages with a catalogue of their own
        own = [other.parent.name for other in FOLDERS[1:]]
        return ["-F", "babel.cfg", "--ignore-dirs", " ".join([".*", "._", *own]), "."]
    return ["-F", "babel-method.cfg", str(folder.parent.relative_to(ROOT))]


def test_there_is_a_dutch_catalogue():
    assert TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po" in CATALOGUES


def test_no_compiled_catalogue_is_kept_next_to_the_sources():
    git = shutil.which("git")
    tracked = git and subprocess.run([git, "ls-files", "--", "idp"], cwd=ROOT,
                                     capture_output=True, text=True, check=False)
    if not tracked or tracked.returncode != 0:
        pytest.skip("not a git checkout")
    assert not [name for name in tracked.stdout.split() if name.endswith(".mo")]


@pytest.mark.parametrize("folder", FOLDERS, ids=folder_of)
def test_the_template_is_what_the_sources_give_today(tmp_path, folder):
    fresh = tmp_path / "messages.pot"
    *options, source = extraction(folder)
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", *EXTRACT, *options,
                    "-o", str(fresh), source], cwd=ROOT, check=True)

    extracted, committed = msgids(read(fresh)), msgids(read(folder / "messages.pot"))

    assert extracted - committed == set(), "new strings: run `make translations` and translate"
    assert committed - extracted == set(), "strings gone: run `make translations`"


@pytest.mark.parametrize("path", CATALOGUES, ids=locale_of)
def test_the_catalogue_has_exactly_the_messages_of_the_template(path):
    assert msgids(read(path)) == msgids(read(pot_of(path)))


@pytest.mark.parametrize("path", CATALOGUES, ids=locale_of)
def test_every_message_is_translated_and_none_is_fuzzy(path):
    catalog = read(path)

    assert not catalog.fuzzy, "the header is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not all(
        m.string if isinstance(m.string, tuple) else (m.string,))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not list(catalog.obsolete)


@pytest.mark.parametrize("path", CATALOGUES, ids=locale_of)
def test_translations_keep_the_placeholders_of_their_message(path):
    wrong = []
    for message in read(path):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            # Flask-Babel formats template strings with `%` even without variables:
            # a stray % other than a placeholder (or %%) would break the page.
            stray = PLACEHOLDER.sub("", string).replace("%%", "")
            if set(PLACEHOLDER.findall(string)) != expected or "%" in stray:
                wrong.append((message.id, string))
    assert wrong == []


def test_the_dutch_text_message_starts_with_the_code_and_stays_one_gsm_7_part():
    message = read(TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po")[SMS]

    assert message is not None and message.string.startswith("%(code)s ")
    assert set(message.string) <= GSM_7, set(message.string) - GSM_7
    # The longest name a text message gives (Brand.sms_name); a longer one gives the sender.
    worst = message.string % {"code": "123456", "directory": "D" * MAX_SMS_NAME, "minutes": 10}
    assert len(f"{worst}\n\n@login.example.org #123456") <= 160


def test_the_loader_compiles_a_po_in_memory_without_its_fuzzy_entries(tmp_path):
    catalog = Catalog(locale="nl")
    catalog.add("Log in", "Inloggen")
    catalog.add("Password", "Paswoord", flags=["fuzzy"])
    folder = tmp_path / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as handle:
        write_po(handle, catalog)

    direct = load_po(str(folder / "messages.po"), "nl")
    regional = translations_for((str(tmp_path),), Locale.parse("nl_BE"))
    english = translations_for((str(tmp_path),), Locale.parse("en"))

    assert direct.ugettext("Log in") == "Inloggen"
    assert direct.ugettext("Password") == "Password"  # fuzzy: not used
    assert regional.ugettext("Log in") == "Inloggen"  # nl_BE falls back to nl
    assert english.ugettext("Log in") == "Log in"
    assert english.ungettext("%(num)s point", "%(num)s points", 2) == "%(num)s points"
    assert translations_for((str(tmp_path),), Locale.parse("nl")) is \
        translations_for((str(tmp_path),), Locale.parse("nl"))  # parsed once per process
