"""Start Django for a benchmark script (dev settings: the embedded PostgreSQL or DATABASE_URL)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.dev")
    os.environ.setdefault("HUEY_IMMEDIATE", "true")
    import django

    django.setup()
