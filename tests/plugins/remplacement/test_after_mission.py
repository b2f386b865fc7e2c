"""After the mission: hours declared by each substitute to the minute, validated or sent back by the structure
(back in the substitute's list, with the comment and an e-mail), exported per mission and per shift with the
totals, and billed."""

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
def anna(make_substitute):
    return make_substitute("Anna")


@pytest.fixture
def mission(make_request, anna, book, monday):
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


def test_hours_cannot_be_declared_before_the_mission(mission, anna):
    with pytest.raises(ValidationError, match="pas encore commencé"):
        services.timesheet_submit(request=mission, lines=_lines(mission), actor=anna.user)


def test_times_are_taken_to_the_minute(mission, anna, after):
    after(mission.last_slot_end + dt.timedelta(hours=1))
    sheet = services.timesheet_submit(
        request=mission, lines=_lines(mission, first=("07:53", "12:07", 0), second=("13:02", "18:11", 17)),
        actor=anna.user,
    )  # fmt: skip
    assert sheet.minutes == 254 + 292  # 4 h 14 and 5 h 09 minus 17 min
    assert sheet.hours == Decimal("9.10")


def test_declare_validate_export_and_bill(mission, anna, structure_user, coordinator, after):
    after(mission.last_slot_end + dt.timedelta(hours=1))
    sheet = services.timesheet_submit(request=mission, lines=_lines(mission), actor=anna.user)
    assert sheet.hours == Decimal("9.00")  # 4.5 h + 5 h - 30 min
    mission.refresh_from_db()
    assert mission.state == RequestState.DONE
    with pytest.raises(PermissionDenied):
        services.timesheet_review(timesheet=sheet, actor=anna.user)
    services.timesheet_review(timesheet=sheet, actor=structure_user)
    mission.refresh_from_db()
    assert mission.state == RequestState.TIMESHEET_VALIDATED

    month = mission.first_slot_start.astimezone(timezone.get_current_timezone())
    hours = selectors.month_hours(year=month.year, month=month.month)
    assert [(r.label, r.missions, r.hours) for r in hours.by_substitute] == [("Anna", 1, Decimal("9.00"))]
    assert [(r.label, r.hours) for r in hours.by_structure] == [("Les Petits Loups", Decimal("9.00"))]
    worked = [(line.started_at.strftime("%H:%M"), line.ended_at.strftime("%H:%M"), line.hours) for line in hours.lines]
    assert worked == [("08:00", "12:30", Decimal("4.50")), ("13:00", "18:00", Decimal("4.50"))]

    payroll = exports.hours_csv(hours, by="substitute").decode("utf-8-sig").splitlines()
    assert payroll[0] == "Courriel;Remplaçant·e;Missions;Heures"
    assert payroll[1].endswith(";1;9,00")
    assert payroll[2] == ";Total;1;9,00"
    detail = exports.hours_csv(hours, by="lines").decode("utf-8-sig").splitlines()
    assert detail[0].startswith("Dossier;Structure;SIRET ou identifiant;Remplaçant·e")
    assert detail[1].startswith(f"{mission.case.reference};Les Petits Loups;")
    assert detail[1].endswith(";08:00;12:00;08:00;12:30;0;4,50")
    assert detail[2].endswith(";13:00;18:00;13:00;18:00;30;4,50")
    assert detail[-1].startswith("Total du mois;") and detail[-1].endswith(";9,00")  # noqa: PT018
    workbook = load_workbook(io.BytesIO(exports.hours_xlsx(hours, by="lines", title="2031-01")))
    assert workbook.sheetnames == ["Détail 2031-01", "Par remplaçant·e", "Par structure"]
    assert [c.value for c in workbook["Par structure"][2]][1:] == ["Les Petits Loups", 1, 9.0]
    assert workbook["Détail 2031-01"].max_row == 3  # the headers and one line per shift
    assert workbook["Détail 2031-01"]["M2"].number_format == "0.00"
    assert workbook["Par structure"]["A1"].font.bold

    assert services.requests_bill(year=month.year, month=month.month, actor=coordinator) == 1
    mission.refresh_from_db()
    assert mission.state == RequestState.BILLED


def test_a_name_that_looks_like_a_formula_is_exported_as_text():
    hours = selectors.MonthHours(by_substitute=[selectors.HoursRow("=1+1", '=HYPERLINK("x")', 1, Decimal("2.5"))])
    sheet = load_workbook(io.BytesIO(exports.hours_xlsx(hours, by="substitute", title="2031-01"))).active
    assert [cell.value for cell in sheet[2]] == ["=1+1", '=HYPERLINK("x")', 1, 2.5]
    assert [cell.data_type for cell in sheet[2]][:2] == ["s", "s"]  # texts, never formulas
    assert [cell.value for cell in sheet[3]] == [None, "Total", 1, 2.5]


def test_a_sent_back_timesheet_returns_to_the_substitute_with_the_comment_and_an_e_mail(  # noqa: PLR0917
    mission, anna, structure_user, after, django_capture_on_commit_callbacks, mailoutbox
):
    after(mission.last_slot_end + dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as caught:
        services.timesheet_submit(request=mission, lines=_lines(mission, first=("12:00", "08:00", 0)), actor=anna.user)
    assert "doit suivre l'arrivée" in caught.value.message_dict["lines"][0]
    assert not Timesheet.objects.exists()
    sheet = services.timesheet_submit(request=mission, lines=_lines(mission), actor=anna.user)
    with pytest.raises(ValidationError):
        services.timesheet_review(timesheet=sheet, approve=False, actor=structure_user)  # a comment is needed
    with django_capture_on_commit_callbacks(execute=True):
        services.timesheet_review(timesheet=sheet, approve=False, comment="Pause de 45 min", actor=structure_user)
    mission.refresh_from_db()
    assert mission.state == RequestState.FILLED  # the case went back: hours to declare again
    (row,) = selectors.substitute_missions(anna)["to_fix"]
    assert row.timesheet.review_comment == "Pause de 45 min"
    (message,) = [m for m in mailoutbox if m.subject.startswith("Heures à corriger")]
    assert message.to == [anna.user.email]
    assert "« Pause de 45 min »" in message.body
    assert f"/remplacement/missions/{mission.pk}/heures/" in message.body
    again = services.timesheet_submit(
        request=mission, lines=_lines(mission, second=("13:00", "18:00", 45)), actor=anna.user
    )
    assert again.pk == sheet.pk
    assert again.hours == Decimal("8.75")
    assert again.status == Timesheet.Status.SUBMITTED
    mission.refresh_from_db()
    assert mission.state == RequestState.DONE
    assert selectors.substitute_missions(anna)["to_fix"] == []


def test_two_people_each_declare_their_day_and_the_hours_are_validated_once_both_are(  # noqa: PLR0917
    make_request, make_substitute, set_pole_settings, structure_user, monday, after
):
    set_pole_settings(dispatch_policy="first_accept")
    anna = make_substitute("Anna", rules=[{"weekday": 0, "start": "07:00", "end": "19:00"}])
    bea = make_substitute("Béa", rules=[{"weekday": 1, "start": "07:00", "end": "19:00"}])
    request = make_request(
        slots=[
            {"date": monday, "start": "08:00", "end": "17:00"},
            {"date": monday + dt.timedelta(days=1), "start": "08:00", "end": "17:00"},
        ]
    )
    offers = {o.substitute_id: o for o in services.offer_wave_send(request_id=request.pk, wave=1)}
    services.offer_accept(offer=offers[anna.pk], actor=anna.user)
    services.offer_accept(offer=offers[bea.pk], actor=bea.user)
    monday_slot, tuesday_slot = request.slots.order_by("starts_at")
    after(tuesday_slot.ends_at + dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="créneau inconnu"):  # one declares only one's own shifts
        services.timesheet_submit(request=request, lines=[{"slot": tuesday_slot.pk, "start": "08:00",
                                                            "end": "17:00"}], actor=anna.user)  # fmt: skip
    first = services.timesheet_submit(
        request=request, lines=[{"slot": monday_slot.pk, "start": "08:00", "end": "17:00"}], actor=anna.user
    )
    request.refresh_from_db()
    assert request.state == RequestState.FILLED  # Béa has not declared yet
    second = services.timesheet_submit(
        request=request, lines=[{"slot": tuesday_slot.pk, "start": "08:10", "end": "17:00"}], actor=bea.user
    )
    request.refresh_from_db()
    assert request.state == RequestState.DONE
    services.timesheet_review(timesheet=first, actor=structure_user)
    request.refresh_from_db()
    assert request.state == RequestState.DONE
    services.timesheet_review(timesheet=second, actor=structure_user)
    request.refresh_from_db()
    assert request.state == RequestState.TIMESHEET_VALIDATED


def test_exports_for_coordinators_only(client_35, coordinator, structure_user, mission, anna, after):  # noqa: PLR0917
    after(mission.last_slot_end + dt.timedelta(hours=1))
    sheet = services.timesheet_submit(request=mission, lines=_lines(mission), actor=anna.user)
    services.timesheet_review(timesheet=sheet, actor=structure_user)
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
    detail = client_35.get(f"/remplacement/export/{month.year}-{month.month}/lines.csv")
    assert detail.status_code == 200
    assert detail.content.decode("utf-8-sig").count("Les Petits Loups") >= 3  # two shifts and the total


def test_a_mission_that_took_place_can_no_longer_be_cancelled_nor_its_people_freed(
    mission, anna, structure_user, client_35, after
):
    after(mission.last_slot_end + dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="La mission a eu lieu"):
        services.request_cancel(request=mission, actor=structure_user, reason="Erreur")
    client_35.force_login(structure_user)
    page = client_35.get(f"/remplacement/structure/demandes/{mission.pk}/").content.decode()
    assert "Annuler la demande" not in page
    assert "Libérer" not in page
    mission.refresh_from_db()
    assert mission.state == RequestState.FILLED
