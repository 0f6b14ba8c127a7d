"""Translations read from the .po catalogues themselves: no compiled .mo in the repository.

Flask-Babel's own ``Domain`` only loads ``messages.mo`` files. Here each locale's
``<directory>/<locale>/LC_MESSAGES/<domain>.po`` is parsed once per process, compiled to
an in-memory .mo (``babel.messages.mofile.write_mo``, which leaves out fuzzy and
untranslated entries) and loaded by ``babel.support.Translations`` as usual. A locale
without a catalogue, such as English, the source language, gets an empty catalogue:
every message stays as written.
"""

from __future__ import annotations

import os
import threading
from io import BytesIO

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask_babel import Babel, Domain, get_babel, get_locale
from werkzeug.utils import cached_property

_cache: dict[tuple[tuple[str, ...], str, str], Translations] = {}
_lock = threading.Lock()


def _candidates(locale: Locale) -> list[str]:
    """Return the catalogue folders to try for a locale, most specific first (nl_BE, nl)."""
    names = [str(locale), locale.language]
    return list(dict.fromkeys(names))


def load_po(path: str, locale: str, domain: str = "messages") -> Translations:
    """Return the translations of one .po file, compiled in memory."""
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=locale, domain=domain)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=domain)


def translations_for(directories: tuple[str, ...], locale: Locale,
                     domain: str = "messages") -> Translations:
    """Return the merged translations of `locale` from `directories`, cached for the process."""
    key = (directories, str(locale), domain)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        merged = Translations(domain=domain)
        for directory in directories:
            for name in _candidates(locale):
                path = os.path.join(directory, name, "LC_MESSAGES", f"{domain}.po")
                if os.path.isfile(path):
                    catalog = load_po(path, name, domain)
                    merged.merge(catalog)
                    # merge() copies the messages only; keep the catalogue's plural rule.
                    merged.plural = catalog.plural  # type: ignore[attr-defined]
                    break
        _cache[key] = merged
        return merged


class PoDomain(Domain):
    """A Flask-Babel domain whose translations come from the .po files."""

    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        if locale is None:  # outside a request or app context
            return NullTranslations()
        return translations_for(tuple(self.translation_directories), locale, self.domain[0])


class PoBabel(Babel):
    """Flask-Babel with `PoDomain` as the default domain."""

    @cached_property
    def domain_instance(self) -> PoDomain:  # type: ignore[override]
        return PoDomain(domain=self.domain)

    def list_translations(self) -> list[Locale]:
        """Return the locales that have a .po catalogue (and the default locale)."""
        found = [self.default_locale]
        for directory in get_babel().translation_directories:
            if not os.path.isdir(directory):
                continue
            for name in sorted(os.listdir(directory)):
                if os.path.isfile(os.path.join(directory, name, "LC_MESSAGES",
                                               f"{self.domain}.po")):
                    locale = Locale.parse(name)
                    if locale not in found:
                        found.append(locale)
        return found


def N_(message: str) -> str:  # noqa: N802 -- the conventional name of a gettext marker
    """Mark a message for translation; whoever shows it translates it (gettext) then."""
    return message
