"""Two-factor authentication (TOTP, django-otp) of the platform's staff and administrators.

Who must give a second factor after their password (`otp_required`):
- in a territory, every platform administrator (`platform_admin` role; superusers hold it) — they must enrol
  an authenticator application before anything else (`PPE_OTP_REQUIRED`, on by default);
- on the public host, the platform's staff (`is_staff`), who run every territory;
- anyone else who chose to enrol a device (coordinators and case workers may): once enrolled, always asked.

`OTPRequiredMiddleware` sends a signed-in person who owes a second factor to the code page
(`/compte/double-authentification/`), or to the enrolment page with its QR code when they have no device yet;
only those pages, signing out, static files and the health check stay open meanwhile (an API call made with
such a session gets a French 403). API tokens are not sessions: they are not concerned.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.shortcuts import redirect
from django_otp import user_has_device
from django_tenants.utils import get_public_schema_name

from core.roles import Role, user_roles

VERIFY_PATH = "/compte/double-authentification/"
ENROL_PATH = "/compte/double-authentification/activer/"
OPEN_PREFIXES = (
    VERIFY_PATH,
    "/static/",
    "/sante/",
    "/favicon.ico",
    "/robots.txt",
    "/admin/logout/",
    "/plateforme/admin/logout/",
    "/compte/deconnexion/",
    "/remplacement/deconnexion/",
)
API_PREFIXES = ("/api/", "/plateforme/api/")


def _public() -> bool:
    return connection.schema_name == get_public_schema_name()


def otp_enrolment_required(user) -> bool:
    """Whether `user` must enrol a device (they may not work without one)."""
    if not getattr(user, "is_authenticated", False) or not settings.PPE_OTP_REQUIRED:
        return False
    if _public():
        return bool(user.is_staff or user.is_superuser)
    return Role.PLATFORM_ADMIN in user_roles(user)


def otp_required(user) -> bool:
    """Whether `user` must give a second factor in this session (enrolled, or bound to enrol)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return otp_enrolment_required(user) or user_has_device(user, confirmed=True)


def otp_landing(request) -> str:
    """Where a person goes once verified: `next` when it is a local path, else their back office."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return "/plateforme/admin/" if _public() else settings.LOGIN_REDIRECT_URL


class OTPRequiredMiddleware:
    """Hold a signed-in person who owes a second factor on the code (or enrolment) page. After
    `django_otp.middleware.OTPMiddleware`, which tells whether the session was verified."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()
            and otp_required(user)
        ):
            if request.path.startswith(API_PREFIXES):
                from core.api.errors import problem_response

                return problem_response(
                    request, 403, "Double authentification requise : saisissez d'abord le code de votre application.",
                    slug="second-factor-required", title="Double authentification requise",
                )  # fmt: skip
            enrolled = user_has_device(user, confirmed=True)
            target = VERIFY_PATH if enrolled else ENROL_PATH
            next_path = request.get_full_path() if request.method == "GET" else ""
            return redirect(f"{target}?{urlencode({'next': next_path})}" if next_path else target)
        return self.get_response(request)
