"""The platform admins' back office (public host): territories, their host names and poles.

The platform's own rows (the public schema's row and the template) can be neither deleted nor edited into
something else; a territory is created by cloning (the clone form replaces Django's add form) and deleted
with its files. `core/admin.py` adds the content-aware screens (clone job, checklist, kit, drift, backups)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django_tenants.admin import TenantAdminMixin

from tenants.forms import TerritoryCloneForm
from tenants.models import Domain, ProvisioningJob, Territory, TerritoryPole
from tenants.services import territory_clone, territory_delete


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class TerritoryPoleInline(admin.TabularInline):
    model = TerritoryPole
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "slug", "is_template", "site_state", "cloned_from", "created_at")
    search_fields = ("name", "code", "slug")
    readonly_fields = ("schema_name", "is_template", "cloned_from", "published_at", "created_at")
    inlines = [DomainInline, TerritoryPoleInline]
    actions = ["clone_selected"]

    @admin.display(description="site")
    def site_state(self, territory: Territory) -> str:
        if territory.is_platform_row:
            return "—"
        return "brouillon" if territory.is_draft else "en ligne"

    def get_urls(self):
        urls = [path("cloner/", self.admin_site.admin_view(self.clone_view), name="tenants_territory_clone")]
        return urls + super().get_urls()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one territory at a time, through territory_delete
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_platform_row:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_platform_row:
            fields += ["code", "slug"]
        return fields

    def add_view(self, request, form_url="", extra_context=None):
        """A territory is never created empty: Django's add form becomes the clone form."""
        return redirect("admin:tenants_territory_clone")

    def delete_model(self, request, obj):
        territory_delete(territory=obj, actor=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect("admin:tenants_territory_changelist")

    @admin.action(description="Cloner le territoire sélectionné dans un nouveau territoire")
    def clone_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choisissez un seul territoire à cloner.", messages.ERROR)
            return None
        return redirect(f"{reverse('admin:tenants_territory_clone')}?source={queryset.get().pk}")

    def clone_form(self, request) -> TerritoryCloneForm:
        return TerritoryCloneForm(request.POST or None, initial={"source": request.GET.get("source")})

    def clone_render(self, request, form):
        context = {
            **self.admin_site.each_context(request),
            "title": "Cloner un territoire",
            "form": form,
            "opts": self.model._meta,
            "jobs": ProvisioningJob.objects.select_related("territory")[:10],
        }
        return TemplateResponse(request, "admin/tenants/territory/clone.html", context)

    def clone_view(self, request):
        """Clone at once (the content-aware back office of core/admin.py runs it as a background job)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.clone_form(request)
        if request.method == "POST" and form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if not k.startswith("first_admin")}
            try:
                territory = territory_clone(**values, actor=request.user)
            except ValidationError as exc:
                form.add_errors(exc)
            else:
                self.message_user(request, f"Territoire « {territory.name} » créé.", messages.SUCCESS)
                return redirect("admin:tenants_territory_change", territory.pk)
        return self.clone_render(request, form)
