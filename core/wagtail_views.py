"""Screens of a territory's Wagtail admin that belong to the core: the drift from the template."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from core.services.drift import drift_resolutions, drift_rows, territory_drift_get, territory_drift_merge
from tenants.models import Territory


def drift_report(request: HttpRequest) -> HttpResponse:
    """What this territory changed compared with its template; its admins pull updates and settle conflicts."""
    if not request.user.is_superuser:
        raise PermissionDenied
    territory = Territory.objects.get(schema_name=connection.schema_name)
    try:
        drift = territory_drift_get(territory=territory)
    except ValidationError as exc:
        return TemplateResponse(request, "core/wagtail/drift_report.html", {"error": " ".join(exc.messages)})
    if request.method == "POST":
        pull, resolutions = drift_resolutions(drift, request.POST)
        try:
            report = territory_drift_merge(territory=territory, pull=pull, resolutions=resolutions, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"{len(report.pulled)} mise(s) à jour du modèle récupérée(s), "
                f"{len(report.kept)} conflit(s) tranché(s) en faveur du territoire.",
            )
        return redirect("ppe_drift_report")
    return TemplateResponse(request, "core/wagtail/drift_report.html", {"drift": drift, **drift_rows(drift)})
