"""The platform admins' back office (public host) learns the content-aware territory tools: export and import
of a territory kit, and the drift from its template with the merge of chosen updates."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from core.kit.archive import KitError
from core.services.drift import drift_page_context, drift_page_post, territory_drift_get
from core.services.kit import kit_export, kit_import
from tenants.admin import TerritoryAdmin
from tenants.models import Territory


class KitImportForm(forms.Form):
    archive = forms.FileField(label="Kit de territoire (.tar.gz)")


class TerritoryKitAdmin(TerritoryAdmin):
    change_form_template = "admin/tenants/territory/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/kit/", view(self.kit_export_view), name="tenants_territory_kit_export"),
            path("<int:pk>/kit/importer/", view(self.kit_import_view), name="tenants_territory_kit_import"),
            path("<int:pk>/ecarts/", view(self.drift_view), name="tenants_territory_drift"),
            *super().get_urls(),
        ]

    def _territory(self, request, pk: int, write: bool = False) -> Territory:
        territory = get_object_or_404(Territory.objects.exclude(schema_name="public"), pk=pk)
        allowed = self.has_change_permission(request, territory) if write else self.has_view_permission(request)
        if not allowed:
            raise PermissionDenied
        return territory

    def _context(self, request, territory: Territory, title: str, **extra):
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "territory": territory,
            "original": territory,
            "opts": self.model._meta,
            **extra,
        }

    def kit_export_view(self, request, pk: int):
        territory = self._territory(request, pk)
        response = HttpResponse(kit_export(territory=territory), content_type="application/gzip")
        response["Content-Disposition"] = f'attachment; filename="kit-{territory.slug}.tar.gz"'
        return response

    def kit_import_view(self, request, pk: int):
        territory = self._territory(request, pk, write=True)
        form = KitImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = kit_import(
                    territory=territory, archive=form.cleaned_data["archive"].read(), actor=request.user
                )
            except KitError as exc:
                form.add_error("archive", str(exc))
            else:
                summary = ", ".join(f"{code} ({count})" for code, count in report.sections.items())
                self.message_user(request, f"Kit importé dans « {territory.name} » : {summary}.", messages.SUCCESS)
                return redirect("admin:tenants_territory_change", territory.pk)
        context = self._context(request, territory, f"Importer un kit dans « {territory.name} »", form=form)
        return TemplateResponse(request, "admin/tenants/territory/kit_import.html", context)

    def drift_view(self, request, pk: int):
        territory = self._territory(request, pk, write=request.method == "POST")
        try:
            drift = territory_drift_get(territory=territory)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.WARNING)
            return redirect("admin:tenants_territory_change", territory.pk)
        if request.method == "POST":
            ok, message = drift_page_post(territory=territory, drift=drift, data=request.POST, actor=request.user)
            self.message_user(request, message, messages.SUCCESS if ok else messages.ERROR)
            return redirect("admin:tenants_territory_drift", territory.pk)
        context = self._context(
            request,
            territory,
            f"Écarts de « {territory.name} » avec « {drift.template.name} »",
            **drift_page_context(territory=territory, drift=drift),
        )
        return TemplateResponse(request, "admin/tenants/territory/drift.html", context)


admin.site.unregister(Territory)
admin.site.register(Territory, TerritoryKitAdmin)
