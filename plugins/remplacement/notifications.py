"""E-mails of the pole, each with the mission as an iCalendar file (RFC 5545, the `icalendar` package)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection
from django.utils import timezone
from django.utils.formats import date_format
from icalendar import Calendar, Event

from core.models import StructureMembership
from plugins.remplacement.matching import local_zone
from plugins.remplacement.models import Offer, ReplacementRequest

ICS_TYPE = "text/calendar; charset=utf-8; method={method}"


def _domain() -> str:
    territory = getattr(connection, "tenant", None)
    return getattr(territory, "primary_domain", None) or "localhost"


def mission_ics(request: ReplacementRequest, *, status: str = "CONFIRMED", method: str = "PUBLISH") -> bytes:
    """The mission as a calendar: one event per slot (status TENTATIVE for an offer, CONFIRMED once
    filled, CANCELLED with method CANCEL)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Plateforme Petite Enfance//Pole remplacement//FR")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    structure = request.structure
    location = ", ".join(
        part for part in (structure.address, f"{structure.postcode} {structure.commune}".strip()) if part
    )
    for slot in request.slots.all():
        event = Event()
        event.add("uid", f"remplacement-{request.pk}-{slot.pk}@{_domain()}")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", slot.starts_at.astimezone(local_zone()))
        event.add("dtend", slot.ends_at.astimezone(local_zone()))
        event.add("summary", f"Remplacement — {structure.name}")
        event.add("location", location)
        event.add(
            "description",
            f"{request.qualification.label} · {request.get_age_group_display()} · "
            f"{request.children_present} enfants présents.\n{request.notes}".strip(),
        )
        event.add("status", status)
        event.add("sequence", request.waves_sent + (2 if status == "CANCELLED" else 1 if status == "CONFIRMED" else 0))
        calendar.add_component(event)
    return calendar.to_ical()


def _slots_text(request: ReplacementRequest) -> str:
    zone = local_zone()
    return "\n".join(
        f"  • {date_format(s.starts_at.astimezone(zone).date(), 'l j F Y')} de "
        f"{s.starts_at.astimezone(zone):%H:%M} à {s.ends_at.astimezone(zone):%H:%M}"
        for s in request.slots.all()
    )


def _day(request: ReplacementRequest) -> str:
    return date_format(request.first_slot_start.astimezone(local_zone()).date(), "j F")


def _send(*, to: list[str], subject: str, body: str, ics: bytes | None = None, method: str = "PUBLISH") -> None:
    to = [address for address in dict.fromkeys(to) if address]
    if not to:
        return
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to)
    if ics is not None:
        message.attach("mission.ics", ics, ICS_TYPE.format(method=method))
    message.send()


def structure_recipients(request: ReplacementRequest) -> list[str]:
    members = StructureMembership.objects.filter(structure=request.structure).values_list("user__email", flat=True)
    return [request.structure.email, *members]


def offer_sent(offer: Offer) -> None:
    request = offer.request
    portal = f"http://{_domain()}/remplacement/"
    _send(
        to=[offer.substitute.user.email],
        subject=f"Mission proposée : {request.structure.name} ({request.structure.commune})",
        body=(
            f"Bonjour {offer.substitute.user.first_name},\n\n"
            f"La structure {request.structure.name} à {request.structure.commune} ({offer.distance_km:.0f} km de "
            f"chez vous) cherche un·e {request.qualification.label} :\n{_slots_text(request)}\n\n"
            f"Répondez sur {portal}offres/{offer.pk}/\n\nL'équipe du pôle remplacement"
        ),
        ics=mission_ics(request, status="TENTATIVE"),
    )


def mission_filled(request: ReplacementRequest, other_offer_ids: list[int]) -> None:
    substitute = request.substitute
    _send(
        to=[substitute.user.email],
        subject=f"Mission confirmée : {request.structure.name}",
        body=(
            f"Bonjour {substitute.user.first_name},\n\nVotre mission à {request.structure.name} "
            f"({request.structure.commune}) est confirmée :\n{_slots_text(request)}\n\n"
            "Le fichier joint l'ajoute à votre agenda.\n\nL'équipe du pôle remplacement"
        ),
        ics=mission_ics(request, status="CONFIRMED", method="REQUEST"),
        method="REQUEST",
    )
    _send(
        to=structure_recipients(request),
        subject=f"Remplacement trouvé : {substitute} ({request.qualification.short_label or request.qualification})",
        body=(
            f"Bonjour,\n\n{substitute} ({request.qualification.label}) assurera le remplacement :\n"
            f"{_slots_text(request)}\n\nTéléphone : {substitute.phone or 'non communiqué'}\n\n"
            "L'équipe du pôle remplacement"
        ),
        ics=mission_ics(request, status="CONFIRMED"),
    )
    for offer in Offer.objects.filter(pk__in=other_offer_ids).select_related("substitute__user"):
        _send(
            to=[offer.substitute.user.email],
            subject=f"Mission pourvue : {request.structure.name}",
            body=(
                f"Bonjour {offer.substitute.user.first_name},\n\nLa mission à {request.structure.name} du "
                f"{date_format(request.first_slot_start.astimezone(local_zone()).date(), 'j F')} vient d'être "
                "pourvue. Merci de votre réactivité : d'autres missions suivront.\n\nL'équipe du pôle remplacement"
            ),
            ics=mission_ics(request, status="CANCELLED", method="CANCEL"),
            method="CANCEL",
        )


def mission_cancelled(request: ReplacementRequest, offer_ids: list[int]) -> None:
    for offer in Offer.objects.filter(pk__in=offer_ids).select_related("substitute__user"):
        _send(
            to=[offer.substitute.user.email],
            subject=f"Mission annulée : {request.structure.name}",
            body=(
                f"Bonjour {offer.substitute.user.first_name},\n\nLa structure {request.structure.name} a annulé "
                f"sa demande :\n{_slots_text(request)}\n\nL'équipe du pôle remplacement"
            ),
            ics=mission_ics(request, status="CANCELLED", method="CANCEL"),
            method="CANCEL",
        )


def volunteer(offer: Offer) -> None:
    request = offer.request
    _send(
        to=structure_recipients(request),
        subject=f"Un·e volontaire pour votre remplacement du {_day(request)}",
        body=(
            f"Bonjour,\n\n{offer.substitute} ({offer.distance_km:.0f} km) est volontaire. Choisissez parmi les "
            f"volontaires sur http://{_domain()}/remplacement/structure/demandes/{request.pk}/\n\n"
            "L'équipe du pôle remplacement"
        ),
    )


def timesheet_submitted(request: ReplacementRequest) -> None:
    _send(
        to=structure_recipients(request),
        subject=f"Heures à valider : {request.substitute} ({request.timesheet.hours} h)",
        body=(
            f"Bonjour,\n\n{request.substitute} a déclaré {request.timesheet.hours} h pour la mission du "
            f"{date_format(request.first_slot_start.astimezone(local_zone()).date(), 'j F')}.\n"
            f"Validez-les sur http://{_domain()}/remplacement/structure/demandes/{request.pk}/\n\n"
            "L'équipe du pôle remplacement"
        ),
    )
