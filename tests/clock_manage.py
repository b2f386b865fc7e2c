"""`manage.py` with the clock moved to a given moment, from which time runs on (`time-machine`, in every thread
of the process): a test server on which next week's mission has already taken place, so that a browser can
declare its hours. Usage: `python tests/clock_manage.py <ISO 8601 moment> runserver ...` (`tests.live`)."""

from __future__ import annotations

import sys
from pathlib import Path

import time_machine


def main() -> None:
    moment = sys.argv.pop(1)
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    with time_machine.travel(moment, tick=True):
        import manage

        manage.main()


if __name__ == "__main__":
    main()
