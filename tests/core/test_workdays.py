"""French working days: weekends and public holidays are skipped."""

from datetime import date

from core.workdays import is_working_day, working_days_add


def test_public_holidays_and_weekends_are_not_working_days():
    assert not is_working_day(date(2026, 12, 25))  # Noël
    assert not is_working_day(date(2026, 5, 1))  # fête du Travail
    assert not is_working_day(date(2026, 11, 28))  # a Saturday
    assert is_working_day(date(2026, 11, 26))


def test_working_days_add_skips_them():
    assert working_days_add(date(2026, 12, 24), 1) == date(2026, 12, 28)  # Thu 24 → (Fri 25 off) → Mon 28
    assert working_days_add(date(2026, 11, 27), 5) == date(2026, 12, 4)
    assert working_days_add(date(2026, 11, 27), 0) == date(2026, 11, 27)
