"""Screens of a territory's Wagtail admin that belong to the core: the drift from the template."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from core.roles import ADMIN_ROLES
from core.services.drift import drift_page_context, drift_page_post, territory_drift_get
from tenants.access import access
from tenants.models import Territory


@access(ADMIN_ROLES)
def drift_report(request: HttpRequest) -> HttpResponse:
    """What this territory changed compared with its template; its admins pull updates and settle conflicts."""
    territory = Territory.objects.get(schema_name=connection.schema_name)
    try:
        drift = territory_drift_get(territory=territory)
    except ValidationError as exc:
        return TemplateResponse(request, "core/wagtail/drift_report.html", {"error": " ".join(exc.messages)})
    if request.method == "POST":
        ok, message = drift_page_post(territory=territory, drift=drift, data=request.POST, actor=request.user)
        (messages.success if ok else messages.error)(request, message)
        return redirect("ppe_drift_report")
    context = drift_page_context(territory=territory, drift=drift)
    return TemplateResponse(request, "core/wagtail/drift_report.html", context)
