"""Back-office screens « Données personnelles » (Wagtail admin, territory admins only): retention by case type
and the journal; a person's data found by e-mail, exported (right of access) or erased (right to erasure)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.roles import ADMIN_ROLES
from core.selectors.personal_data import personal_data_journal, retention_rows
from core.services import personal_data
from tenants.access import access
from workflows.models import WorkflowDefinition


def action_describe(action) -> str:
    """A French line for what an action did (its counts, what was kept)."""
    parts = []
    for key, value in (action.summary or {}).items():
        if isinstance(value, bool | int | float | str) and value not in ("", 0):
            parts.append(f"{key} : {value}")
        elif isinstance(value, list) and value:
            parts.append(f"{key} : " + ", ".join(str(v) for v in value))
    return " ; ".join(parts)


class PersonalDataMixin(WagtailAdminTemplateMixin):
    header_icon = "lock"
    breadcrumbs_items = []  # the page title is the header


@access(ADMIN_ROLES)
class PersonalDataHomeView(PersonalDataMixin, TemplateView):
    template_name = "core/personal_data/home.html"
    page_title = "Données personnelles"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        journal = list(personal_data_journal())
        for action in journal:
            action.description = action_describe(action)
        context.update(rows=retention_rows(), journal=journal)
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") != "retention":
            messages.error(request, "Action inconnue.")
            return redirect("ppe_personal_data")
        definition = get_object_or_404(WorkflowDefinition, pk=request.POST.get("definition") or 0)
        text = (request.POST.get("years") or "").strip()
        try:
            years = int(text) if text else None
        except ValueError:
            return self._error("Indiquez un nombre entier d'années, ou laissez vide pour la durée par défaut.")
        try:
            definition = personal_data.retention_set(definition=definition, years=years, actor=request.user)
        except ValidationError as error:
            return self._error(" ".join(error.messages))
        years = personal_data.retention_years(definition)
        messages.success(
            request,
            f"« {definition.name} » : données personnelles conservées {years} an{'s' if years > 1 else ''} "
            "après la clôture.",
        )
        return redirect("ppe_personal_data")

    def _error(self, message: str):
        return self.render_to_response(self.get_context_data(retention_errors=[message]), status=422)


def _email_param(request) -> str:
    return (request.GET.get("email") or request.POST.get("email") or "").strip().lower()


class PersonEmailForm(forms.Form):
    email = forms.EmailField(label="Adresse électronique", max_length=254)


@access(ADMIN_ROLES)
class PersonalDataPersonView(PersonalDataMixin, TemplateView):
    """What the territory holds on the person of an address, with the export and the erasure."""

    template_name = "core/personal_data/person.html"
    page_title = "Données d'une personne"

    def get(self, request, *args, **kwargs):
        form = PersonEmailForm({"email": _email_param(request)})
        if not form.is_valid():
            context = self.get_context_data(form=form, data=None)
            return self.render_to_response(context, status=422 if request.GET.get("email") is not None else 200)
        data = personal_data.person_data_get(email=form.cleaned_data["email"])
        return self.render_to_response(self.get_context_data(form=form, data=data, **_person_summary(data)))


def _person_summary(data) -> dict[str, Any]:
    """The person page's rows, from the very content the export writes."""
    if not data.found:
        return {}
    content, files = personal_data.person_export_content(data)
    account = [
        (label[:1].upper() + label[1:], ", ".join(value) if isinstance(value, list) else value)
        for label, value in (content.get("compte") or {}).items()
    ]
    counts = [
        ("Commentaires écrits", len(content["commentaires"])),
        ("Pièces jointes déposées", len(content.get("pièces jointes déposées", []))),
        ("Invitations", len(content["invitations"])),
        ("Entrées du journal de son compte", len(content["journal"])),
        *((part["titre"], len(part["éléments"])) for part in content["pôles"]),
        ("Fichiers", len(files)),
    ]
    return {
        "account": account,
        "memberships": content.get("rattachements", []),
        "counts": counts,
        "file_names": [name for name, _storage, _path in files],
        "kept": data.kept,
    }


@access(ADMIN_ROLES)
class PersonalDataExportView(PersonalDataMixin, TemplateView):
    """POST: the person's archive (ZIP), journaled."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = PersonEmailForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Indiquez une adresse électronique valide.")
            return redirect("ppe_personal_data")
        try:
            name, payload = personal_data.person_export(
                email=form.cleaned_data["email"], actor=request.user, request=request
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(f"{reverse('ppe_personal_data_person')}?{urlencode({'email': form.cleaned_data['email']})}")
        response = HttpResponse(payload, content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(True, name)
        response["Cache-Control"] = "private, no-store"
        return response


class EraseForm(PersonEmailForm):
    confirmation = forms.CharField(
        label="Pour confirmer, recopiez l'adresse électronique de la personne",
        max_length=254,
        help_text="L'effacement ne peut pas être annulé.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        email = (cleaned.get("email") or "").lower()
        if email and (cleaned.get("confirmation") or "").strip().lower() != email:
            self.add_error("confirmation", "L'adresse recopiée ne correspond pas : rien n'a été effacé.")
        return cleaned


@access(ADMIN_ROLES)
class PersonalDataEraseView(PersonalDataMixin, TemplateView):
    """GET: what an erasure removes and keeps, and the confirmation; POST: the erasure."""

    template_name = "core/personal_data/erase.html"
    page_title = "Effacer les données d'une personne"

    def get(self, request, *args, **kwargs):
        email = _email_param(request)
        form = EraseForm(initial={"email": email})
        data = personal_data.person_data_get(email=email) if email else None
        return self.render_to_response(self.get_context_data(form=form, data=data, email=email))

    def post(self, request, *args, **kwargs):
        form = EraseForm(request.POST)
        email = _email_param(request)
        data = personal_data.person_data_get(email=email) if email else None
        if form.is_valid():
            try:
                action = personal_data.person_erase(
                    email=form.cleaned_data["email"], actor=request.user, request=request
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(
                    request,
                    f"Les données de la personne ont été effacées ; elle apparaît désormais comme "
                    f"« {action.subject_label} » dans l'historique et le journal.",
                )
                return redirect("ppe_personal_data")
        context = self.get_context_data(form=form, data=data, email=email)
        return self.render_to_response(context, status=422)
