from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import Resolver404, get_urlconf, resolve

from core.limits import is_api_path
from tenants.access import PUBLIC, access


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        from core.api.errors import problem_response

        return problem_response(request, 404, "Aucune ressource de l'API ne correspond à cette adresse.")
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler (a form too large, too many fields, a suspicious request): French in every mode."""
    from django.core.exceptions import RequestDataTooBig

    from core.limits import request_body_limit, too_large_response

    if isinstance(exception, RequestDataTooBig):
        return too_large_response(request, request_body_limit(request))
    if is_api_path(request.path):
        from core.api.errors import problem_response

        return problem_response(request, 400, "La requête est invalide ou mal formée.")
    return render(request, "400.html", status=400)


@access(PUBLIC)
def unknown_path(request: HttpRequest, path: str = "") -> HttpResponse:
    """The last URL of a host: every unknown path answers the French 404 page (a problem under an API), in
    every mode (with DEBUG on, Django's handler gives way to its English debug page otherwise). The slash that
    CommonMiddleware would add is added here, since this pattern matches everything."""
    if settings.APPEND_SLASH and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/", get_urlconf())
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_path:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return page_not_found(request)


@access(PUBLIC)
def wagtail_error_test_closed(request: HttpRequest) -> HttpResponse:
    """Wagtail's `/admin/failwhale/` raises an error on purpose (a 500 for anyone in the admin): closed to all."""
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied("Cette page de test de Wagtail n'est ouverte à personne.")
