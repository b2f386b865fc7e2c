"""After the mission: hours declared by the substitute, validated by the structure, exported and billed."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from plugins.remplacement import exports, selectors, services
from plugins.remplacement.models import RequestState, Timesheet


@pytest.fixture
def after(monkeypatch):
    """`after(moment)`: the clock jumps to `moment` (the mission has taken place)."""

    def jump(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return jump


@pytest.fixture
def mission(make_request, make_substitute, book, monday):
    anna = make_substitute("Anna")
    request = make_request(
        slots=[
            {"date": monday, "start": "08:00", "end": "12:00"},
            {"date": monday + dt.timedelta(days=1), "start": "13:00", "end": "18:00"},
        ]
    )
    book(request, anna)
    request.refresh_from_db()
    return request


def _lines(request, *, first=("08:00", "12:30", 0), second=("13:00", "18:00", 30)):
    slots = list(request.slots.all())
    return [
        {"slot": slots[0].pk, "start": first[0], "end": first[1], "break_minutes": first[2]},
        {"slot": slots[1].pk, "start": second[0], "end": second[1], "break_minutes": second[2]},
    ]


def test_hours_cannot_be_declared_before_the_mission(mission):
    with pytest.raises(ValidationError, match="pas encore commencé"):
        services.timesheet_submit(request=mission, lines=_lines(mission), actor=mission.substitute.user)


def test_declare_validate_export_and_bill(mission, structure_user, coordinator, after):
    after(mission.last_slot_end + dt.timedelta(hours=1))
    sheet = services.timesheet_submit(request=mission, lines=_lines(mission), actor=mission.substitute.user)
    assert sheet.hours == Decimal("9.00")  # 4.5 h + 5 h - 30 min
    mission.refresh_from_db()
    assert mission.state == RequestState.DONE
    with pytest.raises(PermissionDenied):
        services.timesheet_validate(timesheet=sheet, actor=mission.substitute.user)
    services.timesheet_validate(timesheet=sheet, actor=structure_user)
    mission.refresh_from_db()
    assert mission.state == RequestState.TIMESHEET_VALIDATED

    month = mission.first_slot_start.astimezone(timezone.get_current_timezone())
    payroll = selectors.monthly_hours(year=month.year, month=month.month, by="substitute")
    billing = selectors.monthly_hours(year=month.year, month=month.month, by="structure")
    assert [(r.label, r.missions, r.hours) for r in payroll] == [(str(mission.substitute), 1, Decimal("9.00"))]
    assert [(r.label, r.hours) for r in billing] == [("Les Petits Loups", Decimal("9.00"))]

    text = exports.hours_csv(payroll, by="substitute").decode("utf-8-sig")
    assert text.splitlines()[0] == "Courriel;Remplaçant·e;Missions;Heures"
    assert text.splitlines()[1].endswith(";1;9,00")
    assert text.splitlines()[2] == ";Total;1;9,00"
    sheet_xlsx = load_workbook(io.BytesIO(exports.hours_xlsx(billing, by="structure", title="2031-01"))).active
    assert [c.value for c in sheet_xlsx[2]][1:] == ["Les Petits Loups", 1, 9.0]

    assert services.requests_bill(year=month.year, month=month.month, actor=coordinator) == 1
    mission.refresh_from_db()
    assert mission.state == RequestState.BILLED


def test_bad_hours_are_refused_and_a_rejected_sheet_can_be_sent_again(mission, structure_user, after):
    after(mission.last_slot_end + dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as caught:
        services.timesheet_submit(
            request=mission, lines=_lines(mission, first=("12:00", "08:00", 0)), actor=mission.substitute.user
        )
    assert "doit suivre l'arrivée" in caught.value.message_dict["lines"][0]
    assert not Timesheet.objects.exists()
    sheet = services.timesheet_submit(request=mission, lines=_lines(mission), actor=mission.substitute.user)
    with pytest.raises(ValidationError):
        services.timesheet_validate(timesheet=sheet, approve=False, actor=structure_user)  # a comment is needed
    services.timesheet_validate(timesheet=sheet, approve=False, comment="Pause de 45 min", actor=structure_user)
    again = services.timesheet_submit(
        request=mission, lines=_lines(mission, second=("13:00", "18:00", 45)), actor=mission.substitute.user
    )
    assert again.hours == Decimal("8.75")
    assert again.status == Timesheet.Status.SUBMITTED


def test_exports_through_the_board_for_coordinators_only(client_35, coordinator, structure_user, mission, after):
    after(mission.last_slot_end + dt.timedelta(hours=1))
    sheet = services.timesheet_submit(request=mission, lines=_lines(mission), actor=mission.substitute.user)
    services.timesheet_validate(timesheet=sheet, actor=structure_user)
    month = mission.first_slot_start.astimezone(timezone.get_current_timezone())
    url = f"/remplacement/export/{month.year}-{month.month}/structure.xlsx"
    client_35.force_login(structure_user)
    assert client_35.get(url).status_code == 403
    client_35.force_login(coordinator)
    response = client_35.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(
        f'remplacement-heures-structures-{month.year}-{month.month:02d}.xlsx"'
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][1:] == ("Les Petits Loups", 1, 9.0)
