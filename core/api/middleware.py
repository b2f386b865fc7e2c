"""`Cache-Control: no-store` on every response that may carry personal data: the APIs' (territory and
platform) and any page served to a signed-in person, unless the view set its own caching. Anonymous public
pages keep theirs (they are the same for everyone, cached by `cms.cache`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from core.limits import is_api_path


class NoStoreMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" in response:
            return response
        user = getattr(request, "user", None)
        if is_api_path(request.path) or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store"
        return response
