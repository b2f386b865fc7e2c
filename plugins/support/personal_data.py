"""What the support pole holds on a person (RGPD): the conventions they signed for their structure, kept for
the law (hook `person_personal_data`)."""

from __future__ import annotations

from django.db.models import Q

from core.hookspecs import PersonalDataPart
from plugins.support.models import Convention

KEPT_CONVENTIONS = (
    "Les conventions signées sont conservées avec le nom de leur signataire et leur exemplaire signé : ce sont "
    "les preuves d'un contrat entre la plateforme et la structure ou l'opérateur (cinq ans après leur fin, "
    "article 2224 du Code civil), que l'effacement ne peut pas retirer."
)


def signatory_personal_data(user) -> list[PersonalDataPart]:
    if user is None:
        return []
    full = f"{user.first_name} {user.last_name}".strip()
    names = Q(counterparty_signatory__iexact=full) | Q(platform_signatory__iexact=full) if full else Q(pk__in=[])
    conventions = Convention.objects.filter(names).select_related("case").order_by("pk")
    if not conventions:
        return []
    records = [
        {
            "convention": convention.title,
            "dossier": convention.case.reference,
            "signée le": (convention.counterparty_signed_on or convention.platform_signed_on or "").__str__(),
            "signataire": convention.counterparty_signatory or convention.platform_signatory,
        }
        for convention in conventions
    ]
    return [PersonalDataPart(title="Conventions signées (pôle support)", records=records, kept=[KEPT_CONVENTIONS])]
