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


def test_alsace_moselle_and_overseas_departements_have_their_own_holidays():
    good_friday, saint_stephen = date(2026, 4, 3), date(2026, 12, 26)
    assert is_working_day(good_friday, departement="35")
    for code in ("57", "67", "68"):
        assert not is_working_day(good_friday, departement=code)
    assert working_days_add(date(2027, 12, 24), 1, departement="35") == date(2027, 12, 27)  # Sat 25, Sun 26
    assert working_days_add(date(2026, 12, 24), 1, departement="67") == date(2026, 12, 28)
    assert not is_working_day(saint_stephen.replace(year=2025), departement="57")  # Fri 26 Dec 2025
    assert is_working_day(saint_stephen.replace(year=2025), departement="35")
    assert not is_working_day(date(2026, 5, 27), departement="971")  # abolition de l'esclavage, Guadeloupe
    assert is_working_day(date(2026, 5, 27), departement="35")


def test_the_current_territory_decides(territory, tenant):
    assert territory.code == "35"
    assert is_working_day(date(2026, 4, 3))
    territory.code = "57"  # the connection's territory object: its département decides
    try:
        assert not is_working_day(date(2026, 4, 3))
    finally:
        territory.code = "35"
