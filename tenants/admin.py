from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django_tenants.admin import TenantAdminMixin

from tenants.forms import TerritoryCloneForm
from tenants.models import Domain, Territory, TerritoryPole
from tenants.services import territory_clone


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class TerritoryPoleInline(admin.TabularInline):
    model = TerritoryPole
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "slug", "is_template", "cloned_from", "created_at")
    search_fields = ("name", "code", "slug")
    readonly_fields = ("schema_name", "cloned_from", "created_at")
    inlines = [DomainInline, TerritoryPoleInline]
    actions = ["clone_selected"]

    def get_urls(self):
        urls = [path("cloner/", self.admin_site.admin_view(self.clone_view), name="tenants_territory_clone")]
        return urls + super().get_urls()

    @admin.action(description="Cloner le territoire sélectionné dans un nouveau territoire")
    def clone_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choisissez un seul territoire à cloner.", messages.ERROR)
            return None
        return redirect(f"{reverse('admin:tenants_territory_clone')}?source={queryset.get().pk}")

    def clone_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TerritoryCloneForm(request.POST or None, initial={"source": request.GET.get("source")})
        if request.method == "POST" and form.is_valid():
            try:
                territory = territory_clone(**form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                self.message_user(
                    request,
                    f"Territoire « {territory.name} » créé à partir de « {territory.cloned_from} », "
                    f"servi sur {territory.primary_domain}.",
                    messages.SUCCESS,
                )
                return redirect("admin:tenants_territory_change", territory.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Cloner un territoire",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/tenants/territory/clone.html", context)
