from django.contrib import admin
from django_tenants.admin import TenantAdminMixin

from tenants.models import Domain, Territory, TerritoryPole


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class TerritoryPoleInline(admin.TabularInline):
    model = TerritoryPole
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "slug", "is_template", "created_at")
    search_fields = ("name", "code", "slug")
    readonly_fields = ("schema_name", "cloned_from", "created_at")
    inlines = [DomainInline, TerritoryPoleInline]
