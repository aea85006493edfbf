"""The UI is usable in Dutch and French: every string translated, placeholders intact,
and the compiled catalogues that Django loads say the same as the .po files."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

import havenwatch

SOURCE = Path(havenwatch.__file__).parent
CATALOGUES = sorted(SOURCE.glob("*/locale/*/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


def test_every_app_has_dutch_and_french_catalogues():
    languages = {(path.parts[-5], path.parts[-3]) for path in CATALOGUES}
    for app in ("core", "demo", "access", "release", "controlroom"):
        assert (app, "nl") in languages and (app, "fr") in languages, f"{app} lacks a catalogue"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-5]}-{p.parts[-3]}")
def test_every_string_is_translated_with_its_placeholders(path):
    catalogue = polib.pofile(str(path))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not missing, f"{len(missing)} untranslated in {path.name}, e.g. {missing[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {path.name}, e.g. {fuzzy[:5]}"
    for entry in catalogue.translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(entry.msgid)) or (
                entry.msgid_plural and set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(entry.msgid_plural))
            ), f"placeholders differ in {path}: {entry.msgid!r} → {text!r}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-5]}-{p.parts[-3]}")
def test_compiled_catalogue_matches_its_source(path):
    """A .po edited without `make messages` would ship stale .mo files."""
    compiled = polib.mofile(str(path.with_suffix(".mo")))
    source = polib.pofile(str(path))
    # Keyed by context and text: one text may be translated differently in two contexts.
    assert {(e.msgctxt, e.msgid): e.msgstr for e in compiled if not e.msgid_plural} == {
        (e.msgctxt, e.msgid): e.msgstr for e in source.translated_entries() if not e.msgid_plural
    }, f"{path.with_suffix('.mo')} is out of date: run `make messages ARGS=--compile-only`"


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_navigation_speaks_the_chosen_language(language):
    with translation.override(language):
        labels = [str(translation.gettext(text)) for text in ("Security levels", "Audit log", "Organisations")]
    assert labels != ["Security levels", "Audit log", "Organisations"]
    assert all(label for label in labels)
