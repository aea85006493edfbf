"""The ``havenwatch`` console command: Django's management commands with our settings.

``havenwatch demo``, ``serve``, ``worker``, ``migrate``, ``seed``, ``createuser``,
``createtoken`` and ``audit verify`` are all management commands of the core app.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "havenwatch.settings")
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "demo":
        os.environ.setdefault("HAVENWATCH_PROFILE", "demo")
    from havenwatch.config import ConfigError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["havenwatch", *argv[1:]])
    except ConfigError as exc:
        sys.stderr.write(f"havenwatch: configuration error: {exc}\n")
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
