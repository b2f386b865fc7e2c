"""Back-office screens of the support pole (Wagtail admin): the support cases, each case's workspace
(transitions, profile, proposals, conventions, follow-up, tasks) and the evaluation dashboard.

Views parse input, call one service or selector, and render; every write goes through plugins/support/services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.downloads import file_response
from core.models import Case, Operator
from core.roles import STAFF_ROLES, Role, user_roles
from core.selectors.cases import available_transitions
from core.services.cases import transition_apply
from plugins.support import services
from plugins.support.charts import Bar, bar_chart_svg
from plugins.support.models import Convention, CoordinationTask, FollowUpEntry, Proposal
from plugins.support.panels import profile_panel
from plugins.support.scoring import AXIS_LABELS, level_of
from plugins.support.selectors import WORKFLOW, evaluation_summary
from tenants.access import access
from workflows.engine import compiled_version
from workflows.exceptions import WorkflowError
from workflows.forms import django_form_class, raw_values

STAFF = STAFF_ROLES


def _form_errors(form: forms.Form) -> dict[str, list[str]]:
    """A form's errors keyed by what the person reads: « Label : message »."""
    return {
        name: [f"{form.fields[name].label} : {message}" if name in form.fields else message for message in errors]
        for name, errors in form.errors.items()
    }


@access(STAFF)
class SupportCaseListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "support/admin/case_list.html"
    breadcrumbs_items = []  # the page title is the header
    page_title = "Dossiers d'accompagnement"
    header_icon = "group"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        cases = Case.objects.filter(workflow__code=WORKFLOW).select_related("structure", "workflow_version")
        context["cases"] = [
            (case, compiled_version(case.workflow_version_id).state_label(case.state)) for case in cases[:200]
        ]
        return context


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=FollowUpEntry.Kind.choices)
    happened_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    text = forms.CharField(label="Compte rendu", widget=forms.Textarea(attrs={"rows": 3}))


class TaskForm(forms.Form):
    title = forms.CharField(label="Tâche", max_length=200)
    due_date = forms.DateField(label="Échéance", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    operator = forms.ModelChoiceField(label="Opérateur concerné", queryset=Operator.objects.all(), required=False)


class SignForm(forms.Form):
    party = forms.ChoiceField(choices=[("platform", "La plateforme"), ("counterparty", "L'autre partie")])
    signed_on = forms.DateField(label="Signée le", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    signatory = forms.CharField(label="Signataire", max_length=150)


def _errors_text(errors: dict[str, list[str]] | list[str]) -> str:
    if isinstance(errors, dict):
        return " ".join(message for messages_ in errors.values() for message in messages_)
    return " ".join(errors)


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _data_rows(compiled: Any, data: dict[str, Any], *, form: str) -> list[tuple[str, str]]:
    """The case's data as the opening form labels it."""
    fields = compiled.forms[form].input_fields() if form in compiled.forms else []
    return [(field.label, _display(data[field.code])) for field in fields if data.get(field.code) not in (None, "")]


@access(STAFF)
class SupportCaseView(WagtailAdminTemplateMixin, TemplateView):
    """One support case: its transitions with their forms, its profile, proposals, conventions, follow-up."""

    template_name = "support/admin/case.html"
    breadcrumbs_items = []  # the page title is the header
    header_icon = "group"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.case = get_object_or_404(Case.objects.select_related("structure"), reference=kwargs["reference"],
                                      workflow__code=WORKFLOW)  # fmt: skip

    def get_page_title(self) -> str:
        return f"Dossier {self.case.reference}"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        case = self.case
        compiled = compiled_version(case.workflow_version_id)
        transitions = []
        for item in available_transitions(case=case, user=self.request.user):
            form = None
            if item.available and item.form:
                form = django_form_class(compiled.forms[item.form])(prefix=item.code)
            transitions.append((item, form))
        context.update(
            case=case,
            state_label=compiled.state_label(case.state),
            transitions=transitions,
            profile=profile_panel(case),
            proposals=case.support_proposals.select_related("service", "operator"),
            conventions=case.support_conventions.select_related("operator"),
            followups=case.support_followups.select_related("author"),
            tasks=case.support_tasks.select_related("operator", "assignee"),
            followup_form=FollowUpForm(initial={"happened_on": timezone.localdate(), "kind": "meeting"}),
            task_form=TaskForm(initial={"due_date": timezone.localdate() + dt.timedelta(days=7)}),
            today=timezone.localdate(),
            data_rows=_data_rows(compiled, case.data, form=compiled.open_form),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        handler = getattr(self, f"_do_{action}", None)
        if handler is None:
            raise Http404("Action inconnue.")
        try:
            message = handler(request)
        except ValidationError as exc:
            messages.error(request, _errors_text(exc.message_dict if hasattr(exc, "error_dict") else exc.messages))
        except WorkflowError as exc:
            errors = getattr(exc, "errors", None)
            messages.error(request, _errors_text(errors) if errors else exc.message)
        else:
            messages.success(request, message)
        return redirect("support_case", reference=self.case.reference)

    def _do_transition(self, request) -> str:
        code = request.POST.get("transition", "")
        compiled = compiled_version(self.case.workflow_version_id)
        spec = compiled.transitions.get(code)
        data, files = None, None
        if spec is not None and spec.form:  # the rows of its groups and the files they hold included
            data, files = raw_values(compiled.forms[spec.form], request.POST, request.FILES, prefix=code)
        transition_apply(case=self.case, transition=code, actor=request.user, data=data, files=files or None,
                         comment=request.POST.get("comment", ""))  # fmt: skip
        return f"« {spec.label} » : le dossier est maintenant « {compiled.state_label(self.case.state)} »."

    def _do_proposal(self, request) -> str:
        proposal = get_object_or_404(Proposal, pk=request.POST.get("proposal"), case=self.case)
        accepted = request.POST.get("decision") == "accept"
        services.proposal_decide(proposal=proposal, accepted=accepted, actor=request.user)
        return f"{proposal.service.title} : {'acceptée' if accepted else 'déclinée'}."

    def _do_conventions(self, request) -> str:
        conventions = services.conventions_generate(case=self.case, actor=request.user)
        return f"{len(conventions)} convention(s) établie(s)."

    def _do_sign(self, request) -> str:
        convention = get_object_or_404(Convention, pk=request.POST.get("convention"), case=self.case)
        form = SignForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        services.convention_sign(convention=convention, actor=request.user, **form.cleaned_data)
        return f"Signature enregistrée : {convention.title}."

    def _do_followup(self, request) -> str:
        form = FollowUpForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        services.followup_add(case=self.case, actor=request.user, **form.cleaned_data)
        return "Suivi ajouté."

    def _do_task(self, request) -> str:
        form = TaskForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        services.task_create(case=self.case, actor=request.user, assignee=request.user, **form.cleaned_data)
        return "Tâche créée."

    def _do_task_done(self, request) -> str:
        task = get_object_or_404(CoordinationTask, pk=request.POST.get("task"), case=self.case)
        services.task_complete(task=task, actor=request.user)
        return f"Tâche faite : {task.title}."


@access(STAFF)
class ConventionPdfView(View):
    def get(self, request, pk: int):
        convention = get_object_or_404(Convention, pk=pk)
        return file_response(convention.pdf, content_type="application/pdf", inline=True,
                             filename=services.convention_filename(convention))  # fmt: skip


@access(STAFF)
class EvaluationDashboardView(WagtailAdminTemplateMixin, TemplateView):
    """The territory's evaluation dashboard: satisfaction, objectives, indicators, mean profile."""

    template_name = "support/admin/dashboard.html"
    breadcrumbs_items = []  # the page title is the header
    page_title = "Évaluation de l'accompagnement"
    header_icon = "view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        summary = evaluation_summary()
        satisfaction = [Bar(f"{score} sur 5", count) for score, count in summary["satisfaction"].items()]
        objectives_labels = {"atteints": "Atteints", "partiellement": "Partiellement", "non_atteints": "Non atteints"}
        objectives = [Bar(objectives_labels[k], v) for k, v in summary["objectives"].items()]
        axes = [Bar(AXIS_LABELS[k], v, level_of(v)) for k, v in summary["mean_axes"].items()]
        count = max([summary["evaluated"], 1])
        context.update(
            summary=summary,
            satisfaction_rows=satisfaction,
            objectives_rows=objectives,
            axes_rows=axes,
            satisfaction_chart=bar_chart_svg(
                title="Satisfaction des structures",
                description=f"Nombre d'évaluations par note de satisfaction, sur {summary['evaluated']} évaluation(s).",
                bars=satisfaction,
                maximum=count,
            ),
            objectives_chart=bar_chart_svg(
                title="Objectifs du diagnostic atteints",
                description="Nombre d'accompagnements évalués selon l'atteinte des objectifs fixés au diagnostic.",
                bars=objectives,
                maximum=count,
            ),
            axes_chart=bar_chart_svg(
                title="Profil moyen des structures diagnostiquées",
                description=f"Score moyen de maîtrise par axe (0 à 100) sur {summary['diagnosed']} diagnostic(s).",
                bars=axes,
            ),
        )
        return context


# --- The parties' side: the structure's and the operator's actions from the case page ---------------------------

PARTIES = STAFF | {Role.STRUCTURE_MEMBER, Role.OPERATOR}


class PartiesOnly:
    """The team, the structures' members and the operators' members (each then sees only its own cases)."""

    roles = PARTIES

    def dispatch(self, request, *args, **kwargs):
        if not user_roles(request.user) & self.roles:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


@access(PARTIES)
class SupportParticipationView(PartiesOnly, View):
    """What the structure and the operator do on their own case, from its page: decide the proposals, answer a
    referral, sign their convention, upload its copy signed by hand. The services check who may do what."""

    http_method_names = ["post"]

    def post(self, request, reference: str):
        from core.selectors.cases import case_get

        case = case_get(user=request.user, reference=reference)
        if case is None or case.workflow.code != WORKFLOW:
            raise Http404("Dossier introuvable.")
        action = request.POST.get("action", "")
        handler = getattr(self, f"_do_{action}", None)
        if handler is None:
            raise Http404("Action inconnue.")
        try:
            message = handler(request, case)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or "Cette action ne vous est pas ouverte.")
        except ValidationError as exc:
            messages.error(request, _errors_text(exc.message_dict if hasattr(exc, "error_dict") else exc.messages))
        else:
            messages.success(request, message)
        return redirect(f"{reverse('cases_admin:detail', args=[case.reference])}#support")

    def _proposal(self, request, case) -> Proposal:
        from plugins.support.selectors import proposals_visible

        proposal = proposals_visible(user=request.user).filter(case=case, pk=_int(request.POST.get("proposal"))).first()
        if proposal is None:
            raise Http404("Proposition introuvable.")
        return proposal

    def _convention(self, request, case) -> Convention:
        from plugins.support.selectors import conventions_visible

        found = conventions_visible(user=request.user).filter(case=case, pk=_int(request.POST.get("convention")))
        convention = found.first()
        if convention is None:
            raise Http404("Convention introuvable.")
        return convention

    def _do_decide(self, request, case) -> str:
        proposal = self._proposal(request, case)
        accepted = request.POST.get("decision") == "accept"
        services.proposal_decide(proposal=proposal, accepted=accepted, actor=request.user)
        return f"« {proposal.service.title} » : {'acceptée' if accepted else 'déclinée'}."

    def _do_referral(self, request, case) -> str:
        proposal = self._proposal(request, case)
        accepted = request.POST.get("decision") == "accept"
        services.referral_answer(proposal=proposal, accepted=accepted, note=request.POST.get("note", ""),
                                 actor=request.user)  # fmt: skip
        return f"« {proposal.service.title} » : {'vous réalisez ce service' if accepted else 'service décliné'}."

    def _do_sign(self, request, case) -> str:
        convention = self._convention(request, case)
        services.convention_sign(convention=convention, party="counterparty", actor=request.user,
                                 signatory=request.POST.get("signatory", ""))  # fmt: skip
        return f"Convention signée : {convention.title}."

    def _do_signed_copy(self, request, case) -> str:
        convention = self._convention(request, case)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError("Choisissez le fichier PDF de l'exemplaire signé.")
        services.convention_signed_copy_attach(convention=convention, file=upload, actor=request.user)
        return f"Exemplaire signé déposé : {convention.title}."


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Élément introuvable.") from None


@access(PARTIES)
class ConventionDocumentView(PartiesOnly, View):
    """A convention's PDF (with the signatures), or the copy signed by hand (`?exemplaire=signe`), for whoever
    may see the convention: the team, the structure's members for theirs, an operator's members for theirs."""

    def get(self, request, pk: int):
        from plugins.support.selectors import conventions_visible

        convention = conventions_visible(user=request.user).filter(pk=pk).first()
        if convention is None:
            raise Http404("Convention introuvable.")
        if request.GET.get("exemplaire") == "signe":
            if not convention.signed_pdf:
                raise Http404("Aucun exemplaire signé n'a été déposé.")
            return file_response(convention.signed_pdf, content_type="application/pdf", inline=True,
                                 filename=services.convention_filename(convention, signed=True))  # fmt: skip
        return file_response(convention.pdf, content_type="application/pdf", inline=True,
                             filename=services.convention_filename(convention))  # fmt: skip
