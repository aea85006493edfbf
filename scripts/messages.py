"""Extract the translatable strings of every havenwatch app and compile the catalogues.

    make messages            # extract (needs GNU gettext's xgettext) and compile
    make messages ARGS=--compile-only

Extraction uses Django's makemessages; compilation uses polib, so a machine without
gettext can still build the .mo files from the committed .po files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "demo", "access", "release", "controlroom", "reporting"]
LANGUAGES = ["nl", "fr"]


def extract(app_dir: Path) -> None:
    (app_dir / "locale").mkdir(exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "havenwatch.test_settings"}
    for domain in ("django", "djangojs"):
        # django-admin, not "python -m django": run from the app folder, -m would put the
        # folder on sys.path and our selectors.py would shadow the standard library's.
        args = [str(Path(sys.executable).with_name("django-admin")), "makemessages", "--no-obsolete", "--no-location",
                "-d", domain, *sum((["-l", lang] for lang in LANGUAGES), [])]
        if domain == "djangojs":
            if not any(app_dir.glob("static/**/*.js")):
                continue
            args += ["--ignore", "static/vendor/*"]
        subprocess.run(args, cwd=app_dir, env=env, check=True)


def compile_all() -> int:
    count = 0
    for app in APPS:
        for po_path in (ROOT / "src" / "havenwatch" / app / "locale").glob("*/LC_MESSAGES/*.po"):
            catalogue = polib.pofile(str(po_path))
            catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
            untranslated = len(catalogue.untranslated_entries()) + len(catalogue.fuzzy_entries())
            state = "complete" if not untranslated else f"{untranslated} to translate"
            print(f"  {po_path.relative_to(ROOT)}: {len(catalogue.translated_entries())} entries, {state}")
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compile-only", action="store_true")
    options = parser.parse_args()
    if not options.compile_only:
        if shutil.which("xgettext") is None:
            sys.exit("xgettext is missing: install GNU gettext (Debian: apt-get install gettext), "
                     "or run with --compile-only")
        for app in APPS:
            print(f"· extracting {app}")
            extract(ROOT / "src" / "havenwatch" / app)
    print("· compiling")
    compile_all()


if __name__ == "__main__":
    main()
