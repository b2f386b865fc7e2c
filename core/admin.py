"""The platform admins' back office (public host) learns the content-aware territory tools: cloning as a
background job with its progress, the draft's checklist and its publication, export and import of a territory
kit, the drift from its template with the merge of chosen updates, backups and restores."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django_tenants.utils import schema_context

from core.kit.archive import KitError
from core.plugins import hooks
from core.services.clone import territory_clone_job_start
from core.services.drift import drift_page_context, drift_page_post, territory_drift_get
from core.services.kit import kit_export, kit_import
from tenants.admin import TerritoryAdmin
from tenants.backup import BackupError, territory_backup_read, territory_backup_store, territory_restore
from tenants.models import ProvisioningJob, Territory, TerritoryBackup
from tenants.services import territory_publish


class KitImportForm(forms.Form):
    archive = forms.FileField(label="Kit de territoire (.tar.gz)")


class RestoreForm(forms.Form):
    backup = forms.ModelChoiceField(
        label="Sauvegarde de cette installation",
        queryset=TerritoryBackup.objects.all(),
        required=False,
        empty_label="— ou déposez une archive ci-dessous —",
    )
    archive = forms.FileField(label="Archive de sauvegarde (.tar.gz)", required=False)
    code = forms.CharField(
        label="Code du département", max_length=3, required=False, help_text="Vide : celui de la sauvegarde."
    )
    name = forms.CharField(label="Nom", max_length=100, required=False, help_text="Vide : celui de la sauvegarde.")
    domain = forms.CharField(label="Nom d'hôte", max_length=253, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("backup") and not data.get("archive"):
            raise ValidationError("Choisissez une sauvegarde ou déposez une archive.")
        return data


def territory_checklist(territory: Territory) -> list:
    """The draft's checklist (what still names the source), read in the territory's schema."""
    if not territory.is_draft:
        return []
    with schema_context(territory.schema_name):
        entries = [entry for found in hooks(territory).territory_checklist(territory=territory) for entry in found]
    return entries


def _site_url(request, territory: Territory, path_: str = "/") -> str:
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    return f"{request.scheme}://{territory.primary_domain}{suffix}{path_}"


class TerritoryKitAdmin(TerritoryAdmin):
    change_form_template = "admin/tenants/territory/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("creations/<int:job_id>/", view(self.job_view), name="tenants_territory_job"),
            path("restaurer/", view(self.restore_view), name="tenants_territory_restore"),
            path("sauvegardes/<int:backup_id>/", view(self.backup_download_view), name="tenants_territory_backup_file"),
            path("<int:pk>/kit/", view(self.kit_export_view), name="tenants_territory_kit_export"),
            path("<int:pk>/kit/importer/", view(self.kit_import_view), name="tenants_territory_kit_import"),
            path("<int:pk>/ecarts/", view(self.drift_view), name="tenants_territory_drift"),
            path("<int:pk>/publier/", view(self.publish_view), name="tenants_territory_publish"),
            path("<int:pk>/sauvegarder/", view(self.backup_view), name="tenants_territory_backup"),
            *super().get_urls(),
        ]

    def _territory(self, request, pk: int, write: bool = False) -> Territory:
        territory = get_object_or_404(Territory.objects.exclude(schema_name="public"), pk=pk)
        allowed = self.has_change_permission(request, territory) if write else self.has_view_permission(request)
        if not allowed:
            raise PermissionDenied
        return territory

    def _context(self, request, territory: Territory | None, title: str, **extra):
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "territory": territory,
            "original": territory,
            "opts": self.model._meta,
            **extra,
        }

    # --- Cloning as a background job ------------------------------------------------------------------
    def clone_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.clone_form(request)
        if request.method == "POST" and form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if not k.startswith("first_admin")}
            try:
                job = territory_clone_job_start(**values, first_admin=form.first_admin(), actor=request.user)
            except ValidationError as exc:
                form.add_errors(exc)
            else:
                return redirect("admin:tenants_territory_job", job.pk)
        return self.clone_render(request, form)

    def job_view(self, request, job_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = get_object_or_404(ProvisioningJob.objects.select_related("territory", "source"), pk=job_id)
        running = job.status in (ProvisioningJob.Status.PENDING, ProvisioningJob.Status.RUNNING)
        context = self._context(
            request,
            job.territory,
            f"Création de « {job.params.get('name', '')} »",
            job=job,
            running=running,
            site_url=_site_url(request, job.territory) if job.territory else "",
        )
        return TemplateResponse(request, "admin/tenants/territory/job.html", context)

    # --- The territory's page: draft checklist, publication, backups ----------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        territory = Territory.objects.filter(pk=object_id).first()
        extra = dict(extra_context or {})
        if territory is not None and not territory.is_platform_row:
            checklist = territory_checklist(territory)
            extra.update(
                checklist=checklist,
                checklist_open=[entry for entry in checklist if not entry.done],
                admin_url=_site_url(request, territory, "/admin/pages/"),
                site_url=_site_url(request, territory),
                backups=TerritoryBackup.objects.filter(territory=territory)[:10],
            )
        return super().change_view(request, object_id, form_url, extra)

    def publish_view(self, request, pk: int):
        territory = self._territory(request, pk, write=True)
        if request.method != "POST":
            return redirect("admin:tenants_territory_change", territory.pk)
        try:
            territory_publish(territory=territory, actor=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            online = f"Le site de « {territory.name} » est en ligne : {_site_url(request, territory)}"
            self.message_user(request, online, messages.SUCCESS)
        return redirect("admin:tenants_territory_change", territory.pk)

    def backup_view(self, request, pk: int):
        territory = self._territory(request, pk, write=True)
        if request.method == "POST":
            try:
                backup = territory_backup_store(territory=territory, actor=request.user)
            except BackupError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                size = f"{backup.size / 1_000_000:.1f}".replace(".", ",")
                self.message_user(request, f"Sauvegarde de « {territory.name} » faite ({size} Mo).", messages.SUCCESS)
        return redirect("admin:tenants_territory_change", territory.pk)

    def backup_download_view(self, request, backup_id: int):
        backup = get_object_or_404(TerritoryBackup, pk=backup_id)
        if not (self.has_change_permission(request) and request.user.has_perm("tenants.view_territorybackup")):
            raise PermissionDenied  # everyone's data of a territory
        try:
            handle = backup.file.open("rb")
        except (FileNotFoundError, OSError):
            self.message_user(request, "Le fichier de cette sauvegarde est introuvable.", messages.ERROR)
            return redirect("admin:tenants_territory_changelist")
        name = backup.file.name.rsplit("/", 1)[-1]
        return FileResponse(handle, as_attachment=True, filename=name, content_type="application/gzip")

    def restore_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RestoreForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                archive = territory_backup_read(backup=data["backup"]) if data["backup"] else data["archive"].read()
                territory = territory_restore(
                    archive=archive,
                    code=data["code"] or None,
                    name=data["name"] or None,
                    domain=data["domain"] or None,
                    actor=request.user,
                )
            except BackupError as exc:
                form.add_error("archive" if data.get("archive") else "backup", str(exc))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                self.message_user(
                    request,
                    f"« {territory.name} » restauré sous le code {territory.code}, sur {territory.primary_domain}.",
                    messages.SUCCESS,
                )
                return redirect("admin:tenants_territory_change", territory.pk)
        context = self._context(request, None, "Restaurer un territoire", form=form)
        return TemplateResponse(request, "admin/tenants/territory/restore.html", context)

    # --- Kit and drift ---------------------------------------------------------------------------------
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

admin.site.site_header = "Administration de la Plateforme Petite Enfance"
admin.site.site_title = "Plateforme Petite Enfance"
admin.site.index_title = "Territoires de la plateforme"
