"""Named guard functions of the développement pole (CEL). They read, never write, the territory's database."""

from __future__ import annotations

import datetime as dt

from plugins.developpement.models import DraftSection, Meeting


def _day(value) -> dt.date:
    if isinstance(value, dt.datetime):  # CEL timestamps (dates reach guards as midnight UTC)
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def developpement_days_left(deadline, today) -> int:
    """Days from `today` to `deadline` (CEL timestamps or ISO dates); negative when past. A missing deadline
    counts as past."""
    try:
        return (_day(deadline) - _day(today)).days
    except ValueError:
        return -1


def developpement_sections_done(reference: str) -> bool:
    """The joint response has sections and every one was delivered."""
    sections = DraftSection.objects.filter(case__reference=reference)
    return sections.exists() and not sections.filter(delivered_at__isnull=True).exists()


def developpement_meetings_held(reference: str) -> int:
    """How many consultation meetings a SIEG case recorded."""
    return Meeting.objects.filter(case__reference=reference).count()


GUARDS = {
    "developpement_days_left": developpement_days_left,
    "developpement_sections_done": developpement_sections_done,
    "developpement_meetings_held": developpement_meetings_held,
}
