"""Back-office screens of the core (Wagtail admin): the territory's poles and their settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.models import MunicipalityPartnership, Structure
from core.plugins import disabled_poles, pole_settings, poles
from core.roles import ADMIN_ROLES, STAFF_ROLES, Role, user_roles
from core.services.directory import partnership_change
from core.services.poles import territory_pole_configure
from tenants.access import access, may_open


def _setting_field(key: str, default: Any, spec: dict[str, Any] | None = None) -> forms.Field:  # noqa: PLR0911 (one return a type)
    """The form field of a pole setting: its French label, help, range and choices come from the pole's
    `settings_spec`; the service (`pole_settings_validate`) checks the same on save."""
    spec = spec or {}
    common = {"label": spec.get("label") or key.replace("_", " ").capitalize(), "help_text": spec.get("help", "")}
    if isinstance(default, bool):
        return forms.BooleanField(required=False, **common)
    if isinstance(default, int):
        return forms.IntegerField(min_value=spec.get("min"), max_value=spec.get("max"), **common)
    if isinstance(default, float):
        return forms.FloatField(min_value=spec.get("min"), max_value=spec.get("max"), **common)
    if isinstance(default, list):
        common["help_text"] = common["help_text"] or "Une valeur par ligne."
        return forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), **common)
    if isinstance(default, dict):
        common["help_text"] = common["help_text"] or "Au format JSON."
        return forms.JSONField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if spec.get("choices"):
        return forms.ChoiceField(choices=spec["choices"], **common)
    if spec.get("email"):
        return forms.EmailField(required=False, **common)
    return forms.CharField(required=False, **common)


def _parts(default: Any, spec: dict[str, Any] | None) -> dict[str, str]:
    """The named numbers of a setting whose spec names them (`parts`: key → French label), else nothing."""
    if not isinstance(default, dict) or not spec or not spec.get("parts"):
        return {}
    return dict(spec["parts"])


class PoleForm(forms.Form):
    enabled = forms.BooleanField(label="Activé sur ce territoire", required=False)

    def __init__(self, *args: Any, config: Any, current: dict[str, Any], enabled: bool, **kwargs: Any) -> None:
        initial = {"enabled": enabled}
        for key, value in current.items():
            initial[f"setting_{key}"] = "\n".join(value) if isinstance(value, list) else value
        super().__init__(*args, prefix=config.pole_code, initial=initial, **kwargs)
        self.config = config
        for key, default in config.default_settings.items():
            spec = (getattr(config, "settings_spec", {}) or {}).get(key)
            if _parts(default, spec):  # a set of named numbers: one number field each, never JSON to type
                for part, label in _parts(default, spec).items():
                    self.fields[f"setting_{key}__{part}"] = forms.FloatField(
                        label=f"{spec['label']} : {label}", min_value=spec.get("min"), max_value=spec.get("max")
                    )
                    self.initial[f"setting_{key}__{part}"] = (current.get(key) or {}).get(part, default.get(part))
                continue
            self.fields[f"setting_{key}"] = _setting_field(key, default, spec)

    def pole_settings(self) -> dict[str, Any]:
        values = {}
        for key, default in self.config.default_settings.items():
            spec = (getattr(self.config, "settings_spec", {}) or {}).get(key)
            if _parts(default, spec):
                values[key] = {part: self.cleaned_data.get(f"setting_{key}__{part}") for part in _parts(default, spec)}
                continue
            value = self.cleaned_data.get(f"setting_{key}")
            if isinstance(default, list):
                value = [line.strip() for line in (value or "").splitlines() if line.strip()]
            values[key] = value
        return values


@access(ADMIN_ROLES)
class PoleSettingsView(WagtailAdminTemplateMixin, TemplateView):
    """Switch the territory's poles on and off and edit each pole's settings (platform admins only)."""

    template_name = "core/admin/poles.html"
    breadcrumbs_items = []  # the page title is the header
    page_title = "Pôles du territoire"
    header_icon = "cogs"

    def dispatch(self, request, *args, **kwargs):
        if Role.PLATFORM_ADMIN not in user_roles(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _forms(self, data=None) -> list[PoleForm]:
        territory = connection.tenant
        off = disabled_poles(territory)
        return [
            PoleForm(data, config=config, current=pole_settings(code, territory), enabled=code not in off)
            for code, config in poles().items()
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("pole_forms", self._forms())
        return context

    def post(self, request, *args, **kwargs):
        pole_forms = self._forms(request.POST)
        territory = connection.tenant
        valid = True
        for form in pole_forms:
            if not form.is_valid():
                valid = False
                continue
            try:
                territory_pole_configure(
                    territory=territory,
                    pole=form.config.pole_code,
                    enabled=form.cleaned_data["enabled"],
                    settings=form.pole_settings(),
                    actor=request.user,
                )
            except ValidationError as exc:
                valid = False
                for key, errors in exc.message_dict.items():
                    field = f"setting_{key}" if f"setting_{key}" in form.fields else None
                    form.add_error(field, errors)
        if valid:
            messages.success(request, "Les pôles du territoire ont été enregistrés.")
            return redirect("ppe_poles")
        messages.error(request, "Les réglages n'ont pas été enregistrés : corrigez les erreurs signalées.")
        return self.render_to_response(self.get_context_data(pole_forms=pole_forms))


class PartnershipForm(forms.Form):
    kind = forms.ChoiceField(label="Type de partenariat", choices=MunicipalityPartnership.Kind.choices)
    municipality = forms.CharField(label="Collectivité", max_length=150)
    start_date = forms.DateField(label="Début", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    annual_amount = forms.DecimalField(label="Montant annuel (€)", required=False, min_value=0, decimal_places=2)
    places_purchased = forms.IntegerField(label="Places achetées", required=False, min_value=0)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))


@access(STAFF_ROLES)
class StructurePartnershipsView(WagtailAdminTemplateMixin, TemplateView):
    """A structure's partnership with its municipality: its history, and a form to record a new period."""

    template_name = "core/admin/partnerships.html"
    breadcrumbs_items = []  # the page title is the header
    header_icon = "doc-full"

    def dispatch(self, request, *args, **kwargs):
        # Staff read a structure's page; recording a partnership takes the model permission or coordination.
        roles = user_roles(request.user)
        may_change = request.user.has_perm("core.change_structure") or bool(
            roles & {Role.PLATFORM_ADMIN, Role.POLE_COORDINATOR}
        )
        may_read = may_change or bool(roles & {Role.CASE_WORKER})
        if not may_read or (request.method == "POST" and not may_change):
            raise PermissionDenied
        self.may_change = may_change
        self.structure = get_object_or_404(Structure, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return str(self.structure)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from core.services.audit import audit_describe, audit_list
        from workflows.engine import compiled_version

        context = super().get_context_data(**kwargs)
        structure = self.structure
        context["structure"] = structure
        context["history"] = structure.partnerships.order_by("-start_date")
        context["members"] = structure.memberships.select_related("user").order_by("user__last_name")
        cases = list(structure.cases.select_related("workflow").order_by("-created_at")[:50])
        for case in cases:
            case.state_label = compiled_version(case.workflow_version_id).state_label(case.state)
        context["cases"] = cases
        journal = list(audit_list(target=structure)[:50])
        for event in journal:
            event.description = audit_describe(event)
        context["journal"] = journal
        context["people_admin"] = Role.PLATFORM_ADMIN in user_roles(self.request.user)
        context["may_change"] = self.may_change
        context.setdefault("form", PartnershipForm(initial={"municipality": self._municipality()}))
        return context

    def _municipality(self) -> str:
        current = self.structure.current_partnership
        return current.municipality if current else f"Commune de {self.structure.commune}"

    def post(self, request, *args, **kwargs):
        form = PartnershipForm(request.POST)
        if form.is_valid():
            try:
                partnership_change(structure=self.structure, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                messages.success(request, "Le nouveau partenariat a été enregistré.")
                return redirect("ppe_structure_partnerships", pk=self.structure.pk)
        return self.render_to_response(self.get_context_data(form=form))


def pole_admin_guard(pole: str, urlpatterns: list) -> list:
    """Make a pole's admin screens answer 404 in a territory that switched the pole off."""
    from functools import wraps

    from django.http import Http404

    from core.plugins import pole_enabled

    def guard(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not pole_enabled(pole):
                raise Http404("Ce pôle n'est pas activé sur ce territoire.")
            return view(request, *args, **kwargs)

        return guarded

    from django.urls import URLResolver

    for pattern in urlpatterns:
        if isinstance(pattern, URLResolver):  # an include() (its `callback` is None): guard its patterns
            pole_admin_guard(pole, pattern.url_patterns)
        else:
            pattern.callback = guard(pattern.callback)
    return urlpatterns


def pole_site_urlpatterns() -> list:
    """The poles' own pages (the `site_urls` hook) for the territory's host, each answering 404 where its pole
    is switched off."""
    from django.urls import include, path

    from core.plugins import plugin_manager

    patterns: list = []
    for impl in reversed(plugin_manager().hook.site_urls.get_hookimpls()):
        for prefix, urlconf in impl.function() or []:
            patterns += pole_admin_guard(impl.plugin_name, [path(prefix, include(urlconf))])
    return patterns


def pole_menu_shown(pole: str) -> bool:
    from core.plugins import pole_enabled

    return pole_enabled(pole)


class YesNoColumn(BooleanColumn):
    """Wagtail's tick/cross column, whose icon reads « Oui » / « Non » (Wagtail's reads « True » / « False »)."""

    cell_template_name = "core/admin/yes_no_cell.html"


class AccessMenuItem(MenuItem):
    """A menu entry shown only to the people who may open the screen it links to (the `@access` declaration of
    its view: `tenants.access.may_open`), and, with `pole`, only where that pole is switched on."""

    def __init__(self, *args: Any, pole: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pole = pole

    def is_shown(self, request) -> bool:
        if self.pole and not pole_menu_shown(self.pole):
            return False
        return may_open(request.user, self.url)
