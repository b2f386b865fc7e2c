"""What the remplacement pole holds on a person (RGPD): their record in the pool, its documents and diplomas,
availability and preferences, timesheets (hook `person_personal_data`)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.hookspecs import PersonalDataPart
from plugins.remplacement.models import Substitute, Timesheet

KEPT_TIMESHEETS = (
    "Les feuilles d'heures et les missions effectuées sont conservées : ce sont les pièces justificatives de la "
    "paie et de la facturation des structures (dix ans, article L123-22 du Code de commerce) ; le nom de la "
    "personne y est remplacé par son pseudonyme."
)


WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def _date(value) -> str:
    return value.isoformat() if value else ""


def substitute_personal_data(user) -> list[PersonalDataPart]:
    substitute = Substitute.objects.filter(user=user).first() if user is not None else None
    if substitute is None:
        return []
    records: list[dict[str, Any]] = [
        {
            "fiche": "vivier de remplacement",
            "téléphone": substitute.phone,
            "commune de résidence": substitute.home_commune_name,
            "distance maximale (km)": substitute.max_distance_km,
            "heures maximum par semaine": substitute.max_hours_week,
            "heures maximum par mois": substitute.max_hours_month,
            "qualifications": [str(q) for q in substitute.qualifications.all()],
            "actif": "oui" if substitute.is_active else "non",
        }
    ]
    files = []
    for document in substitute.documents.all():
        records.append(
            {
                "document": document.get_kind_display(),
                "fichier": document.original_name,
                "délivré le": _date(document.issued_on),
                "valable jusqu'au": _date(document.expires_on),
            }
        )
        if document.file:
            files.append((f"vivier/{document.pk}-{document.original_name}", document.file.storage, document.file.name))
    for diploma in substitute.diplomas.select_related("qualification"):
        records.append({"diplôme": str(diploma.qualification), "obtenu le": _date(diploma.obtained_on)})
        if diploma.diploma_file:
            files.append((f"vivier/diplome-{diploma.pk}.pdf", diploma.diploma_file.storage, diploma.diploma_file.name))
    records += [
        {
            "disponibilité": WEEKDAYS[rule.weekday],
            "de": rule.start_time.strftime("%H:%M"),
            "à": rule.end_time.strftime("%H:%M"),
        }
        for rule in substitute.availability_rules.all()
    ]
    records += [
        {
            "feuille d'heures": str(sheet.request),
            "heures": str(sheet.hours),
            "statut": sheet.get_status_display(),
            "déclarée le": _date(sheet.submitted_at),
        }
        for sheet in Timesheet.objects.filter(substitute=substitute).select_related("request")
    ]

    def erase(pseudonym: str) -> dict[str, int]:
        removed = 0
        for document in substitute.documents.all():
            if document.file:
                document.file.storage.delete(document.file.name)
                removed += 1
            document.delete()
        for diploma in substitute.diplomas.all():
            if diploma.diploma_file:
                diploma.diploma_file.storage.delete(diploma.diploma_file.name)
                removed += 1
                diploma.diploma_file = ""
                diploma.save(update_fields=["diploma_file"])
        substitute.availability_rules.all().delete()
        substitute.availability_exceptions.all().delete()
        substitute.structure_preferences.all().delete()
        Substitute.objects.filter(pk=substitute.pk).update(
            is_active=False,
            deactivated_reason=f"Données effacées à la demande de la personne le {timezone.localdate():%d/%m/%Y}",
            phone="",
            home_commune_name="",
            home_latitude=0.0,
            home_longitude=0.0,
        )
        return {"documents du vivier": removed, "fiche du vivier": 1}

    return [
        PersonalDataPart(
            title="Vivier de remplacement", records=records, files=files, kept=[KEPT_TIMESHEETS], erase=erase
        )
    ]
