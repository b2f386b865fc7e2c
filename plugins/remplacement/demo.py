"""Sample data of the pole for the demo territory: a small pool around Rennes (with their documents, one
extract expired, one missing) and a few open needs, each a case of the engine."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import Structure
from core.services.users import user_create
from plugins.remplacement import services
from plugins.remplacement.models import ReplacementRequest, Substitute, SubstituteDocument

# first name, last name, commune INSEE, qualifications, distance km, weekly pattern, documents
POOL = [
    ("Camille", "Le Goff", "35238", ["auxiliaire_puericulture"], 25, "full", "complete"),
    ("Inès", "Morvan", "35047", ["eje"], 30, "full", "complete"),
    ("Yann", "Guillou", "35281", ["cap_aepe"], 20, "mornings", "expired"),
    ("Sofia", "Benali", "35238", ["infirmier_puericulteur"], 40, "full", "complete"),
    ("Maël", "Le Bihan", "35012", ["auxiliaire_puericulture", "cap_aepe"], 35, "split", "complete"),
    ("Léa", "Riou", "35051", ["psychomotricien"], 50, "three_days", "missing"),
    ("Nora", "Hamon", "35288", ["eje"], 60, "full", "complete"),
    ("Tom", "Perrin", "35238", ["cap_aepe"], 15, "full", "complete"),
]
PATTERNS = {
    "full": [(d, "07:30", "19:00") for d in range(5)],
    "mornings": [(d, "07:00", "13:00") for d in range(5)],
    "split": [(d, a, b) for d in range(5) for a, b in (("07:00", "11:30"), ("15:30", "19:30"))],
    "three_days": [(d, "08:00", "18:30") for d in (0, 1, 3)],
}
# A one-page PDF (what a scanned document looks like to the upload validator).
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _documents(substitute: Substitute, quals: list[str], kind: str) -> None:
    today = timezone.localdate()
    for code in quals:
        services.document_add(
            substitute=substitute,
            kind=SubstituteDocument.Kind.DIPLOMA,
            qualification=code,
            file=ContentFile(SAMPLE_PDF, name=f"diplome-{code}.pdf"),
            verified=True,
            actor=None,
        )
    if kind == "missing":
        return
    issued = today - dt.timedelta(days=120 if kind == "expired" else 20)
    services.document_add(
        substitute=substitute,
        kind=SubstituteDocument.Kind.CRIMINAL_RECORD,
        file=ContentFile(SAMPLE_PDF, name="casier-judiciaire.pdf"),
        issued_on=issued,
        expires_on=issued + dt.timedelta(days=90),
        verified=True,
        actor=None,
    )
    services.document_add(
        substitute=substitute,
        kind=SubstituteDocument.Kind.VACCINATIONS,
        file=ContentFile(SAMPLE_PDF, name="vaccinations.pdf"),
        verified=True,
        actor=None,
    )


def demo_seed() -> None:
    """Idempotent: people already in the pool and existing requests are left as they are."""
    User = get_user_model()
    for first, last, commune, quals, km, pattern, documents in POOL:
        local = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore").decode()
        email = f"{local.replace(' ', '')}@remplacants.example.org"
        user = User.objects.filter(username=email).first() or user_create(
            email=email, first_name=first, last_name=last, send_welcome=False
        )
        if Substitute.objects.filter(user=user).exists():
            continue
        substitute = services.substitute_create(
            user=user, home_commune_insee=commune, qualifications=quals, max_distance_km=km, actor=None
        )
        services.availability_weekly_set(
            substitute=substitute,
            rules=[{"weekday": d, "start": a, "end": b} for d, a, b in PATTERNS[pattern]],
            actor=None,
        )
        _documents(substitute, quals, documents)
    if ReplacementRequest.objects.exists():
        return
    monday = timezone.localdate() + dt.timedelta(days=7 - timezone.localdate().weekday())
    structures = [s for s in Structure.objects.filter(is_active=True).order_by("pk")[:3] if s.commune_insee]
    # qualification, shifts, urgency, children (not walking, walking), staff present
    needs = [
        ("auxiliaire_puericulture", [(0, "08:00", "17:00"), (1, "08:00", "17:00")], "urgent", (4, 10),
         [{"qualification": "auxiliaire_puericulture", "count": 1}, {"qualification": "cap_aepe", "count": 1}]),
        ("eje", [(2, "09:00", "18:00")], "normal", (5, 13), [{"qualification": "auxiliaire_puericulture", "count": 3}]),
        ("cap_aepe", [(3, "07:30", "12:30")], "critical", (0, 12), [{"qualification": "eje", "count": 1}]),
    ]  # fmt: skip
    for structure, (qualification, slots, urgency, (not_walking, walking), staff) in zip(
        structures, needs, strict=False
    ):
        services.request_create(
            structure=structure,
            qualification=qualification,
            slots=[{"date": monday + dt.timedelta(days=d), "start": a, "end": b} for d, a, b in slots],
            children_not_walking=not_walking,
            children_walking=walking,
            staff_present=staff,
            urgency=urgency,
            channel="api",
            actor=None,
        )
