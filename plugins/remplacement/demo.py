"""Sample data of the pole for the demo territory: a small pool around Rennes and a few open needs."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.models import Structure
from core.services.users import user_create
from plugins.remplacement import services
from plugins.remplacement.models import ReplacementRequest, Substitute

# first name, last name, commune INSEE, qualifications, distance km, weekly pattern
POOL = [
    ("Camille", "Le Goff", "35238", ["auxiliaire_puericulture"], 25, "full"),
    ("Inès", "Morvan", "35047", ["eje"], 30, "full"),
    ("Yann", "Guillou", "35281", ["cap_aepe"], 20, "mornings"),
    ("Sofia", "Benali", "35238", ["infirmier_puericulteur"], 40, "full"),
    ("Maël", "Le Bihan", "35012", ["auxiliaire_puericulture", "cap_aepe"], 35, "afternoons"),
    ("Léa", "Riou", "35051", ["psychomotricien"], 50, "three_days"),
    ("Nora", "Hamon", "35288", ["eje"], 60, "full"),
    ("Tom", "Perrin", "35238", ["cap_aepe"], 15, "full"),
]
PATTERNS = {
    "full": [(d, "07:30", "19:00") for d in range(5)],
    "mornings": [(d, "07:00", "13:00") for d in range(5)],
    "afternoons": [(d, "12:00", "19:30") for d in range(5)],
    "three_days": [(d, "08:00", "18:30") for d in (0, 1, 3)],
}


def demo_seed() -> None:
    """Idempotent: people already in the pool and existing requests are left as they are."""
    User = get_user_model()
    coordinator = None
    for first, last, commune, quals, km, pattern in POOL:
        local = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore").decode()
        email = f"{local.replace(' ', '')}@remplacants.example.org"
        user = User.objects.filter(username=email).first() or user_create(
            email=email, first_name=first, last_name=last, send_welcome=False
        )
        if Substitute.objects.filter(user=user).exists():
            continue
        substitute = services.substitute_create(
            user=user, home_commune_insee=commune, qualifications=quals, max_distance_km=km, actor=coordinator
        )
        services.availability_weekly_set(
            substitute=substitute,
            rules=[{"weekday": d, "start": a, "end": b} for d, a, b in PATTERNS[pattern]],
            actor=None,
        )
    if ReplacementRequest.objects.exists():
        return
    monday = timezone.localdate() + dt.timedelta(days=7 - timezone.localdate().weekday())
    structures = [s for s in Structure.objects.filter(is_active=True).order_by("pk")[:3] if s.commune_insee]
    needs = [
        ("auxiliaire_puericulture", [(0, "08:00", "17:00"), (1, "08:00", "17:00")], "urgent", 16, 2),
        ("eje", [(2, "09:00", "18:00")], "normal", 20, 3),
        ("cap_aepe", [(3, "07:30", "12:30")], "critical", 12, 1),
    ]
    for structure, (qualification, slots, urgency, children, staff) in zip(structures, needs, strict=False):
        services.request_create(
            structure=structure,
            qualification=qualification,
            slots=[{"date": monday + dt.timedelta(days=d), "start": a, "end": b} for d, a, b in slots],
            children_present=children,
            staff_present=staff,
            urgency=urgency,
            actor=None,
        )
