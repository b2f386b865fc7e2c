"""What the développement pole keeps of a case that is personal (RGPD): the partners' addresses of the sections,
the meetings' participants and minutes. Adopted deliberations are public acts and stay."""

from __future__ import annotations

from plugins.developpement.models import DraftSection, Meeting


def case_partners_anonymise(case, marker: str) -> dict[str, int]:
    sections = DraftSection.objects.filter(case=case).exclude(email=marker).update(email=marker)
    meetings = (
        Meeting.objects.filter(case=case).exclude(participants=marker).update(participants=marker, minutes=marker)
    )
    counts = {"sections (courriel du partenaire)": sections, "réunions (participants et compte rendu)": meetings}
    return {label: number for label, number in counts.items() if number}
