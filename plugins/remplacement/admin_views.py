"""The coordinators' screens of the pole in the Wagtail admin: the pool (list with filters, each person's
record with documents and their expiry, deactivation) and the pilotage (fill rate, time to fill, unfilled
requests by structure and month). Views parse input, call one service or selector, and render."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.roles import COORDINATION_ROLES
from plugins.remplacement import charts, forms, selectors, services
from plugins.remplacement.models import AgeGroup, Substitute, SubstituteDocument
from tenants.access import access


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return exc.messages


def _worst(statuses) -> str:
    order = ["expired", "missing", "unverified", "expiring", "ok"]
    states = [s.state for s in statuses] or ["ok"]
    return min(states, key=order.index)


@access(COORDINATION_ROLES)
class PoolListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "remplacement/admin/pool_list.html"
    breadcrumbs_items = []  # the page title is the header
    page_title = "Vivier de remplaçant·es"
    header_icon = "group"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = forms.PoolFilterForm(self.request.GET or None)
        values = filters.cleaned_data if filters.is_valid() else {}
        people = selectors.pool_list(
            query=values.get("q", ""),
            qualification=values.get("qualification", ""),
            commune=values.get("commune", ""),
            active=values.get("active", ""),
            documents=values.get("documents", ""),
        )
        page = Paginator(people, 50).get_page(self.request.GET.get("page"))
        rows = []
        for person in page:
            statuses = selectors.document_statuses(person)
            worst = _worst(statuses)
            rows.append((person, statuses, worst, dict(_STATE_LABELS)[worst]))
        context.update(filters=filters, page=page, rows=rows, total=people.count())
        return context


_STATE_LABELS = [
    ("ok", "À jour"),
    ("expiring", "Expire bientôt"),
    ("unverified", "À vérifier"),
    ("missing", "Manquant"),
    ("expired", "Expiré"),
]


class DeactivateForm(django_forms.Form):
    reason = django_forms.CharField(label="Motif", max_length=300)


class VerifyForm(django_forms.Form):
    expires_on = django_forms.DateField(label="Valable jusqu'au", required=False, widget=forms.DATE_WIDGET)


@access(COORDINATION_ROLES)
class SubstituteAdminView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "remplacement/admin/substitute.html"
    header_icon = "user"

    def get_page_title(self):
        return f"Remplaçant·e : {self.substitute}"

    def get_breadcrumbs_items(self):
        from django.urls import reverse

        return [{"url": reverse("remplacement_pool"), "label": "Vivier"}, {"url": "", "label": str(self.substitute)}]

    def dispatch(self, request, *args, **kwargs):
        self.substitute = get_object_or_404(Substitute.objects.select_related("user", "application"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        person = self.substitute
        try:
            if action == "deactivate":
                form = DeactivateForm(request.POST)
                if not form.is_valid():
                    raise ValidationError({"reason": "Indiquez le motif de la désactivation."})
                services.substitute_deactivate(
                    substitute=person, actor=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, f"{person} est désactivé·e : plus aucune proposition, missions libérées.")
            elif action == "reactivate":
                services.substitute_reactivate(substitute=person, actor=request.user)
                messages.success(request, f"{person} est de nouveau actif·ve.")
            elif action == "verify":
                document = get_object_or_404(
                    SubstituteDocument, pk=request.POST.get("document") or 0, substitute=person
                )
                form = VerifyForm(request.POST)
                form.is_valid()
                services.document_verify(
                    document=document, actor=request.user, expires_on=form.cleaned_data.get("expires_on")
                )
                messages.success(request, f"{document.get_kind_display()} vérifié.")
            elif action == "delete":
                document = get_object_or_404(
                    SubstituteDocument, pk=request.POST.get("document") or 0, substitute=person
                )
                services.document_delete(document=document, actor=request.user)
                messages.info(request, "Document supprimé.")
            elif action == "document":
                form = forms.DocumentForm(request.POST, request.FILES)
                if not form.is_valid():
                    raise ValidationError([f"{form.fields[k].label} : {m}" for k, v in form.errors.items() for m in v])
                data = form.cleaned_data
                services.document_add(
                    substitute=person, kind=data["kind"], file=data["file"], actor=request.user,
                    qualification=data["qualification"].code if data["qualification"] else "",
                    issued_on=data["issued_on"], expires_on=data["expires_on"], verified=True,
                )  # fmt: skip
                messages.success(request, "Document ajouté.")
            else:
                messages.error(request, "Action inconnue.")
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
        return redirect("remplacement_substitute", pk=person.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        person = self.substitute
        missions = selectors.substitute_missions(person)
        context.update(
            person=person,
            diplomas=person.diplomas.select_related("qualification"),
            documents=selectors.document_statuses(person),
            all_documents=person.documents.select_related("qualification", "verified_by").order_by("-uploaded_at"),
            rules=person.availability_rules.all(),
            exceptions=person.availability_exceptions.filter(date__gte=timezone.localdate()),
            upcoming=missions["upcoming"],
            to_fix=missions["to_fix"],
            structures_met=selectors.structures_met(person),
            document_form=forms.DocumentForm(),
            deactivate_form=DeactivateForm(),
            age_groups=[dict(AgeGroup.choices).get(a, a) for a in person.preferred_age_groups],
        )
        return context


@access(COORDINATION_ROLES)
class PilotageView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "remplacement/admin/pilotage.html"
    breadcrumbs_items = []
    page_title = "Pilotage du pôle remplacement"
    header_icon = "view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        figures = selectors.pilotage(months=12)
        months = figures["months"]
        structures = [row for row in figures["structures"] if row.requests]

        def label(row) -> str:
            return f"{row.key[5:]}/{row.key[2:4]}"

        fill = [
            charts.Point(label(r), r.fill_rate, "" if r.fill_rate is None else f"{r.fill_rate:g} %".replace(".", ","))
            for r in months
        ]
        time_points = []
        for row in months:
            delay = row.median_fill_minutes
            value = None if delay is None else round(delay / 60, 1)
            time_points.append(charts.Point(label(row), value, charts.minutes_text(delay)))
        unfilled_months = [charts.Point(label(r), r.unfilled, str(r.unfilled)) for r in months]
        unfilled_structures = [charts.Point(r.label, r.unfilled, str(r.unfilled)) for r in structures if r.unfilled]
        totals = {
            "requests": sum(r.requests for r in months),
            "filled": sum(r.filled for r in months),
            "unfilled": sum(r.unfilled for r in months),
        }
        decided = totals["filled"] + totals["unfilled"]
        totals["fill_rate"] = round(100 * totals["filled"] / decided, 1) if decided else None
        all_delays = sorted(m for r in months for m in r.fill_minutes)
        totals["median_fill"] = charts.minutes_text(all_delays[len(all_delays) // 2] if all_delays else None)
        max_hours = max([p.value or 0 for p in time_points] + [1])
        context.update(
            months=months,
            structures=structures,
            totals=totals,
            fill_chart=charts.column_chart_svg(
                title="Taux de remplacement par mois",
                description="Part des demandes pourvues parmi les demandes pourvues ou non pourvues, par mois du "
                "premier créneau, sur douze mois.",
                points=fill,
                maximum=100,
            ),
            time_chart=charts.column_chart_svg(
                title="Délai médian pour pourvoir une demande, par mois",
                description="Temps médian entre la publication d'une demande et la réservation de son dernier "
                "créneau, en heures.",
                points=time_points,
                maximum=max_hours,
            ),
            unfilled_chart=charts.column_chart_svg(
                title="Demandes non pourvues par mois",
                description="Nombre de demandes closes sans remplaçant·e, par mois du premier créneau.",
                points=unfilled_months,
                maximum=max([p.value or 0 for p in unfilled_months] + [1]),
                alert=True,
            ),
            structures_chart=charts.bar_chart_svg(
                title="Demandes non pourvues par structure",
                description="Nombre de demandes non pourvues sur douze mois, par structure.",
                points=unfilled_structures,
                maximum=max([p.value or 0 for p in unfilled_structures] + [1]),
            )
            if unfilled_structures
            else None,
            minutes_text=charts.minutes_text,
        )
        return context
