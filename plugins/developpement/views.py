"""Back-office screens of the développement pole: a case's sections (joint response), consultation meetings
and deliberation drafts (SIEG). Views parse input, call one service, and render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.downloads import file_response
from core.models import Case
from core.roles import STAFF_ROLES, user_roles
from plugins.developpement import services
from plugins.developpement.models import DeliberationDraft, DraftSection
from tenants.access import access

STAFF = STAFF_ROLES
WORKFLOWS = ("dev-reponse-commune", "dev-sieg")


def _form_errors(form: forms.Form) -> dict[str, list[str]]:
    """A form's errors keyed by what the person reads: « Label : message »."""
    return {
        name: [f"{form.fields[name].label} : {message}" if name in form.fields else message for message in errors]
        for name, errors in form.errors.items()
    }


class MeetingForm(forms.Form):
    held_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    place = forms.CharField(label="Lieu", max_length=200, required=False)
    participants = forms.CharField(label="Participants (un par ligne)", widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(label="Compte rendu", widget=forms.Textarea(attrs={"rows": 4}))


# What the work screen recalls of the case's data, by workflow: the consultation, its deadline and outcome.
FACTS = {
    "dev-reponse-commune": ("titre", "nature", "autorite", "commune", "date_limite", "montant", "date_depot",
                            "mode_depot"),
    "dev-sieg": ("collectivite", "commune", "contact_name", "equipements", "places", "gestion_actuelle",
                 "resultats_concertation", "duree_mandat_ans", "date_publication", "date_limite_candidatures",
                 "laureat"),
}  # fmt: skip


def _facts(case: Case) -> list[tuple[str, str]]:
    """(label, value as read) of the case's data the work screen recalls, filled ones only."""
    from core.selectors.case_work import field_specs, value_display
    from workflows.engine import compiled_version

    specs = field_specs(compiled_version(case.workflow_version_id))
    data = case.data or {}
    codes = [code for code in FACTS.get(case.workflow.code, ()) if code in specs and data.get(code) not in (None, "")]
    return [(specs[code].label, value_display(specs[code], data[code])) for code in codes]


def _partners(case: Case) -> list[dict[str, str]]:
    """The joint response's partners (« Répartir la rédaction »), their role by its label."""
    from core.selectors.case_work import field_specs, value_display
    from workflows.engine import compiled_version

    spec = field_specs(compiled_version(case.workflow_version_id)).get("partenaires")
    if spec is None:
        return []
    subs = {f.code: f for f in spec.fields}
    return [
        {code: value_display(subs.get(code), row.get(code)) for code in ("nom", "role", "email")}
        for row in (case.data or {}).get("partenaires") or []
        if isinstance(row, dict)
    ]


@access(STAFF)
class DevelopmentCaseView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "developpement/admin/case.html"
    breadcrumbs_items = []  # the page title is the header
    header_icon = "pick"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.case = get_object_or_404(Case, reference=kwargs["reference"], workflow__code__in=WORKFLOWS)

    def get_page_title(self) -> str:
        return f"Dossier {self.case.reference}"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        from workflows.engine import compiled_version

        context.update(
            case=self.case,
            facts=_facts(self.case),
            partners=_partners(self.case),
            state_label=compiled_version(self.case.workflow_version_id).state_label(self.case.state),
            sections=self.case.developpement_sections.all(),
            meetings=self.case.developpement_meetings.all(),
            drafts=[
                (draft, services.deliberation_adoption(self.case, draft.kind))
                for draft in self.case.developpement_deliberations.all()
            ],
            meeting_form=MeetingForm(initial={"held_on": timezone.localdate()}),
            is_sieg=self.case.workflow.code == "dev-sieg",
            criteria=list(enumerate(services.sieg_criteria(self.case))),
            ranking=services.sieg_ranking(self.case),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        try:
            if action == "deliver":
                section = get_object_or_404(DraftSection, pk=request.POST.get("section"), case=self.case)
                services.section_deliver(section=section, actor=request.user)
                messages.success(request, f"Section remise : {section.title}.")
            elif action == "meeting":
                form = MeetingForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_form_errors(form))
                services.meeting_record(case=self.case, actor=request.user, **form.cleaned_data)
                messages.success(request, "Réunion enregistrée.")
            elif action == "candidate":
                criteria = services.sieg_criteria(self.case)
                scores = {c: request.POST.get(f"score-{i}", "") for i, (c, _w) in enumerate(criteria)}
                candidate = services.candidate_score(case=self.case, name=request.POST.get("name", ""),
                                                     scores=scores, remarks=request.POST.get("remarks", ""),
                                                     actor=request.user)  # fmt: skip
                messages.success(request, f"Candidature notée : {candidate.name}.")
            elif action == "deliberations":
                drafts = services.deliberations_draft(case=self.case, actor=request.user)
                messages.success(request, f"{len(drafts)} projet(s) de délibération rédigé(s).")
            else:
                raise Http404("Action inconnue.")
        except ValidationError as exc:
            errors = exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]
            messages.error(request, " ".join(m for ms in errors for m in ms))
        return redirect("developpement_case", reference=self.case.reference)


@access(STAFF)
class DevelopmentCaseListView(WagtailAdminTemplateMixin, TemplateView):
    """The pole's cases (joint responses and SIEG supports), newest first, each linked to its work screen."""

    template_name = "developpement/admin/case_list.html"
    breadcrumbs_items = []  # the page title is the header
    page_title = "Dossiers du pôle développement"
    header_icon = "pick"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from workflows.engine import compiled_version

        context = super().get_context_data(**kwargs)
        cases = (
            Case.objects.filter(workflow__code__in=WORKFLOWS)
            .select_related("workflow", "structure")
            .order_by("-created_at")[:200]
        )
        context["rows"] = [(case, compiled_version(case.workflow_version_id).state_label(case.state)) for case in cases]
        return context


@access(STAFF)
class SiegReportView(View):
    """The SIEG's analysis report (PDF): criteria and weights, candidates ranked by weighted score."""

    def get(self, request, reference: str):
        from django.http import HttpResponse

        case = get_object_or_404(Case, reference=reference, workflow__code="dev-sieg")
        response = HttpResponse(services.sieg_report_pdf(case=case), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="Rapport d\'analyse {case.reference}.pdf"'
        return response


@access(STAFF)
class DeliberationPdfView(View):
    def get(self, request, pk: int):
        draft = get_object_or_404(DeliberationDraft, pk=pk)
        return file_response(draft.pdf, content_type="application/pdf", filename=f"{draft.title}.pdf", inline=True)


def case_panel(request, case: Case):
    """The pole's panel on the back office's case page (`case_panels` hook): for the team, what the case's
    work holds and the link to the pole's work screen."""
    from django.template.loader import render_to_string

    if case.workflow.code not in WORKFLOWS or not user_roles(request.user) & STAFF:
        return None
    is_sieg = case.workflow.code == "dev-sieg"
    if is_sieg:
        summary = (
            f"{case.developpement_meetings.count()} réunion(s), "
            f"{case.developpement_deliberations.count()} projet(s) de délibération"
        )
    else:
        sections = case.developpement_sections.all()
        summary = f"{sections.filter(delivered_at__isnull=False).count()} section(s) remise(s) sur {sections.count()}"
    return render_to_string(
        "developpement/case_panel.html", {"case": case, "is_sieg": is_sieg, "summary": summary}, request=request
    )
