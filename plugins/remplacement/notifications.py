"""E-mails of the pole, each with the shifts as an iCalendar file (RFC 5545/5546, the `icalendar` package).

Calendar files are built for the common clients (Outlook, Google, Apple, Thunderbird): a VTIMEZONE for
Europe/Paris, an ORGANIZER (the pole) and an ATTENDEE (the substitute), one VEVENT per shift with a stable UID
(request, shift, person) and a SEQUENCE that grows with every change, so that a confirmation, an update or a
cancellation replaces the event already in the calendar. An offer is published TENTATIVE; a booking is a
REQUEST (CONFIRMED); a cancellation or a release is a CANCEL.

Links carry the territory's real address (`core.links`-style: scheme, host and port from the settings).
"""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection
from django.utils import timezone
from django.utils.formats import date_format
from icalendar import Calendar, Event, vCalAddress, vText

from core.links import territory_url
from core.models import StructureMembership
from core.roles import Role
from plugins.remplacement import selectors
from plugins.remplacement.matching import local_zone
from plugins.remplacement.models import Offer, ReplacementRequest, RequestSlot, Substitute, Timesheet

ICS_TYPE = "text/calendar; charset=utf-8; method={method}"
SIGNATURE = "\n\nL'équipe du pôle remplacement"


def site_url(path: str) -> str:
    """An absolute link to a page of the current territory (scheme, host and port of the real site)."""
    return territory_url(path)


def _domain() -> str:
    territory = getattr(connection, "tenant", None)
    return getattr(territory, "primary_domain", None) or "localhost"


def organizer_address() -> tuple[str, str]:
    """The pole's name and address for calendars and replies (pole setting `contact_email`, else the
    platform's sender)."""
    configured = str(selectors.pole_settings().get("contact_email") or "").strip()
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return "Pôle remplacement", configured or address or f"remplacement@{_domain()}"


def _location(request: ReplacementRequest) -> str:
    structure = request.structure
    return ", ".join(part for part in (structure.address, f"{structure.postcode} {structure.commune}".strip()) if part)


def mission_ics(
    request: ReplacementRequest,
    *,
    substitute: Substitute,
    slots: list[RequestSlot],
    status: str = "CONFIRMED",
    method: str = "REQUEST",
) -> bytes:
    """The shifts of one person as a calendar: TENTATIVE (an offer, method PUBLISH), CONFIRMED (a booking,
    REQUEST) or CANCELLED (CANCEL)."""
    zone = local_zone()
    calendar = Calendar()
    calendar.add("prodid", "-//Plateforme Petite Enfance//Pole remplacement//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    organizer_name, organizer_email = organizer_address()
    structure = request.structure
    sequence = request.calendar_sequence * 2 + (0 if status == "TENTATIVE" else 1)
    for slot in slots:
        event = Event()
        event.add("uid", f"remplacement-{request.pk}-{slot.pk}-{substitute.pk}@{_domain()}")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", slot.starts_at.astimezone(zone))
        event.add("dtend", slot.ends_at.astimezone(zone))
        event.add("summary", f"Remplacement — {structure.name}")
        event.add("location", _location(request))
        event.add(
            "description",
            f"{request.qualification.label} · {request.get_age_group_display()} · "
            f"{request.children_present} enfants présents.\n{request.notes}".strip(),
        )
        event.add("status", status)
        event.add("sequence", sequence)
        event.add("transp", "OPAQUE")
        organizer = vCalAddress(f"mailto:{organizer_email}")
        organizer.params["cn"] = vText(organizer_name)
        event.add("organizer", organizer)
        attendee = vCalAddress(f"mailto:{substitute.user.email}")
        attendee.params["cn"] = vText(str(substitute))
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED" if status == "CONFIRMED" else "NEEDS-ACTION")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _slots_text(slots) -> str:
    zone = local_zone()
    return "\n".join(
        f"  • {date_format(s.starts_at.astimezone(zone).date(), 'l j F Y')} de "
        f"{s.starts_at.astimezone(zone):%H:%M} à {s.ends_at.astimezone(zone):%H:%M}"
        for s in slots
    )


def _day(request: ReplacementRequest) -> str:
    return date_format(request.first_slot_start.astimezone(local_zone()).date(), "j F")


def _send(*, to: list[str], subject: str, body: str, ics: bytes | None = None, method: str = "PUBLISH") -> None:
    to = [address for address in dict.fromkeys(to) if address]
    if not to:
        return
    _organizer, organizer_email = organizer_address()
    message = EmailMessage(
        subject=subject,
        body=body + SIGNATURE,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=[organizer_email],
    )
    if ics is not None:
        message.attach("mission.ics", ics, ICS_TYPE.format(method=method))
    message.send()


def structure_recipients(request: ReplacementRequest) -> list[str]:
    members = StructureMembership.objects.filter(structure=request.structure).values_list("user__email", flat=True)
    return [request.structure.email, *members]


def coordinator_recipients() -> list[str]:
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(groups__name=Role.POLE_COORDINATOR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def _request_url(request: ReplacementRequest) -> str:
    return site_url(f"/remplacement/structure/demandes/{request.pk}/")


def offer_sent(offer: Offer, *, reminder: bool = False) -> None:
    request = offer.request
    slots = list(offer.slots.order_by("starts_at")) or list(request.slots.all())
    substitute = offer.substitute
    _send(
        to=[substitute.user.email],
        subject=f"{'Relance — ' if reminder else ''}Mission proposée : {request.structure.name} "
        f"({request.structure.commune})",
        body=(
            f"Bonjour {substitute.user.first_name},\n\n"
            f"La structure {request.structure.name} à {request.structure.commune} ({offer.distance_km:.0f} km de "
            f"chez vous) cherche un·e {request.qualification.label} :\n{_slots_text(slots)}\n\n"
            f"Répondez sur {site_url(f'/remplacement/offres/{offer.pk}/')}"
        ),
        ics=mission_ics(request, substitute=substitute, slots=slots, status="TENTATIVE", method="PUBLISH"),
    )


def mission_booked(request: ReplacementRequest, offer: Offer) -> None:
    substitute = offer.substitute
    slots = list(offer.slots.order_by("starts_at"))
    _send(
        to=[substitute.user.email],
        subject=f"Mission confirmée : {request.structure.name}",
        body=(
            f"Bonjour {substitute.user.first_name},\n\nVotre mission à {request.structure.name} "
            f"({request.structure.commune}) est confirmée :\n{_slots_text(slots)}\n\n"
            f"Adresse : {_location(request) or request.structure.commune}\n"
            "Le fichier joint l'ajoute à votre agenda.\n"
            f"Vos missions : {site_url('/remplacement/offres/')}"
        ),
        ics=mission_ics(request, substitute=substitute, slots=slots, status="CONFIRMED", method="REQUEST"),
        method="REQUEST",
    )
    remaining = selectors.open_slots(request)
    still = f"\n\nCréneaux encore à pourvoir :\n{_slots_text(remaining)}" if remaining else ""
    _send(
        to=structure_recipients(request),
        subject=f"Remplacement trouvé : {substitute} ({request.qualification.short_label or request.qualification})",
        body=(
            f"Bonjour,\n\n{substitute} ({request.qualification.label}) assurera le remplacement :\n"
            f"{_slots_text(slots)}\n\nTéléphone : {substitute.phone or 'non communiqué'}{still}\n\n"
            f"Suivre la demande : {_request_url(request)}"
        ),
    )


def offers_closed(request: ReplacementRequest, offer_ids: list[int]) -> None:
    for offer in Offer.objects.filter(pk__in=offer_ids).select_related("substitute__user"):
        slots = list(offer.slots.order_by("starts_at")) or list(request.slots.all())
        _send(
            to=[offer.substitute.user.email],
            subject=f"Mission pourvue : {request.structure.name}",
            body=(
                f"Bonjour {offer.substitute.user.first_name},\n\nLa mission à {request.structure.name} du "
                f"{_day(request)} vient d'être pourvue. Merci de votre réactivité : d'autres missions suivront."
            ),
            ics=mission_ics(request, substitute=offer.substitute, slots=slots, status="CANCELLED", method="CANCEL"),
            method="CANCEL",
        )


def mission_released(request: ReplacementRequest, substitute: Substitute, slot_ids: list[int]) -> None:
    slots = list(RequestSlot.objects.filter(pk__in=slot_ids).order_by("starts_at"))
    if not slots:  # the shifts themselves were removed: describe them from the request
        slots = []
    _send(
        to=[substitute.user.email],
        subject=f"Mission annulée pour vous : {request.structure.name}",
        body=(
            f"Bonjour {substitute.user.first_name},\n\nVos créneaux à {request.structure.name} ne sont plus "
            f"retenus :\n{_slots_text(slots)}\n\nLe fichier joint les retire de votre agenda."
        ),
        ics=mission_ics(request, substitute=substitute, slots=slots, status="CANCELLED", method="CANCEL")
        if slots
        else None,
        method="CANCEL",
    )


def mission_cancelled(request: ReplacementRequest, offer_ids: list[int], booked_ids: list[int]) -> None:
    slots = list(request.slots.all())
    people = {
        o.substitute_id: o.substitute for o in Offer.objects.filter(pk__in=offer_ids).select_related("substitute__user")
    }
    for substitute in Substitute.objects.filter(pk__in=booked_ids).select_related("user"):
        people[substitute.pk] = substitute
    for substitute in people.values():
        _send(
            to=[substitute.user.email],
            subject=f"Mission annulée : {request.structure.name}",
            body=(
                f"Bonjour {substitute.user.first_name},\n\nLa structure {request.structure.name} a annulé sa "
                f"demande :\n{_slots_text(slots)}"
            ),
            ics=mission_ics(request, substitute=substitute, slots=slots, status="CANCELLED", method="CANCEL"),
            method="CANCEL",
        )


def mission_updated(request: ReplacementRequest) -> None:
    """The request's shifts or notes changed: everyone booked gets the updated calendar (higher SEQUENCE)."""
    for substitute in selectors.booked_substitutes(request):
        slots = selectors.my_shifts(substitute, request)
        _send(
            to=[substitute.user.email],
            subject=f"Mission modifiée : {request.structure.name}",
            body=(
                f"Bonjour {substitute.user.first_name},\n\nVotre mission à {request.structure.name} a été "
                f"modifiée :\n{_slots_text(slots)}\n\n{request.notes}".rstrip()
            ),
            ics=mission_ics(request, substitute=substitute, slots=slots, status="CONFIRMED", method="REQUEST"),
            method="REQUEST",
        )


def volunteer(offer: Offer) -> None:
    request = offer.request
    _send(
        to=structure_recipients(request),
        subject=f"Un·e volontaire pour votre remplacement du {_day(request)}",
        body=(
            f"Bonjour,\n\n{offer.substitute} ({offer.distance_km:.0f} km) est volontaire. Choisissez parmi les "
            f"volontaires sur {_request_url(request)}"
        ),
    )


def request_exhausted(request: ReplacementRequest) -> None:
    slots = selectors.open_slots(request)
    text = (
        f"Bonjour,\n\nPour la demande {request.case.reference} de {request.structure.name}, plus personne du "
        f"vivier ne peut être sollicité pour l'instant :\n{_slots_text(slots)}\n\n"
        "La recherche continue : dès qu'un·e remplaçant·e se rend disponible, la mission lui est proposée. "
        f"Vous pouvez aussi élargir la demande ou affecter quelqu'un directement.\n\n{_request_url(request)}"
    )
    _send(
        to=[*structure_recipients(request), *coordinator_recipients()],
        subject=f"Personne de disponible pour l'instant : {request.structure.name} ({_day(request)})",
        body=text,
    )


def request_unfilled(request: ReplacementRequest) -> None:
    missing = selectors.open_slots(request, include_past=True)
    text = (
        f"Bonjour,\n\nLa demande {request.case.reference} de {request.structure.name} n'a pas pu être pourvue"
        f"{' en entier' if missing and request.assignments.exists() else ''} :\n{_slots_text(missing)}\n\n"
        "Pensez au taux d'encadrement : réduisez l'accueil si besoin et prévenez les familles.\n\n"
        f"{_request_url(request)}"
    )
    _send(
        to=[*structure_recipients(request), *coordinator_recipients()],
        subject=f"Remplacement non pourvu : {request.structure.name} ({_day(request)})",
        body=text,
    )


def timesheet_submitted(sheet: Timesheet) -> None:
    request = sheet.request
    _send(
        to=structure_recipients(request),
        subject=f"Heures à valider : {sheet.substitute} ({sheet.hours} h)",
        body=(
            f"Bonjour,\n\n{sheet.substitute} a déclaré {sheet.hours} h pour la mission du {_day(request)}.\n"
            f"Validez-les sur {_request_url(request)}"
        ),
    )


def timesheet_rejected(sheet: Timesheet) -> None:
    request = sheet.request
    _send(
        to=[sheet.substitute.user.email],
        subject=f"Heures à corriger : {request.structure.name} ({_day(request)})",
        body=(
            f"Bonjour {sheet.substitute.user.first_name},\n\n{request.structure.name} vous renvoie votre relevé "
            f"d'heures pour correction :\n\n« {sheet.review_comment} »\n\n"
            f"Corrigez-le sur {site_url(f'/remplacement/missions/{request.pk}/heures/')}"
        ),
    )
