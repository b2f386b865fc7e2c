#!/usr/bin/env python
"""Django's command-line utility for the Plateforme Petite Enfance."""

import os
import sys
from importlib import import_module


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.dev")
    from django.core.management import execute_from_command_line

    from core.env import ConfigError

    try:
        # Read the settings first, so that a missing or malformed variable is one clear line.
        import_module(os.environ["DJANGO_SETTINGS_MODULE"])
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        print(f"Configuration invalide : {exc}", file=sys.stderr)  # noqa: T201
        sys.exit(2)


if __name__ == "__main__":
    main()
