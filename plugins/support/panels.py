"""What the back office shows of a support case: the diagnostic profile as an accessible chart.

`profile_panel(case)` returns the HTML; templates use `{% load support %}{% support_profile_panel case %}`
(the case page includes it; plugins/support/templates/support/profile_panel.html)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from plugins.support.charts import Bar, bar_chart_svg
from plugins.support.models import DiagnosticProfile
from plugins.support.scoring import AXIS_LABELS, PROFESSIONALISATION_LABELS, level_of


def profile_chart(profile: DiagnosticProfile) -> SafeString:
    bars = [Bar(AXIS_LABELS.get(code, code), score, level_of(score)) for code, score in profile.axes.items()]
    return bar_chart_svg(
        title=f"Profil de la structure — dossier {profile.case.reference}",
        description=(
            f"Score de maîtrise par axe, de 0 (besoin fort) à 100 (maîtrisé). Score global {profile.global_score} "
            "sur 100. Les valeurs sont détaillées dans le tableau qui suit."
        ),
        bars=bars,
        unit="",
    )


def profile_panel(case: Any) -> SafeString:
    profile = DiagnosticProfile.objects.filter(case=case).select_related("case").first()
    context: dict[str, Any] = {"case": case, "profile": profile}
    if profile is not None:
        context.update(
            chart=profile_chart(profile),
            rows=[(AXIS_LABELS.get(code, code), score, level_of(score)) for code, score in profile.axes.items()],
            professionalisation=PROFESSIONALISATION_LABELS.get(profile.professionalisation, ""),
        )
    return render_to_string("support/profile_panel.html", context)
