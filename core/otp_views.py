"""The second factor's pages (territories and the public host): the code page and the enrolment page with its
QR code. Each person reaches only their own device; both pages require a signed-in account."""

from __future__ import annotations

import base64
from urllib.parse import quote

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection, transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEvent
from core.otp import ENROL_PATH, VERIFY_PATH, _public, otp_enrolment_required, otp_landing
from tenants.access import PUBLIC, access

DEVICE_NAME = "Application d'authentification"


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code à 6 chiffres",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        error_messages={"required": "Saisissez le code affiché par votre application."},
    )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError("Le code compte 6 chiffres.")
        return token


def _audit(kind: str, request, **changes) -> None:
    if _public():
        return  # the public schema has no journal table (django-axes' access log covers its sign-ins)
    from core.services.accounts import person_label
    from core.services.audit import audit_record

    user = request.user
    audit_record(kind=kind, target=user, target_type="user", target_label=person_label(user), actor=user,
                 request=request, changes=changes)  # fmt: skip


def _login_redirect(request):
    return redirect_to_login(request.get_full_path(), "/plateforme/admin/login/" if _public() else settings.LOGIN_URL)


def _page(request, template: str, context: dict, status: int = 200):
    base = "admin/base_site.html" if _public() else "core/accounts/_base.html"
    return TemplateResponse(request, template, {**context, "base_template": base,
                                                "next": request.POST.get("next") or request.GET.get("next", "")},
                            status=status)  # fmt: skip


@access(PUBLIC)  # any signed-in account: the view sends the others to the login page itself
@never_cache
@sensitive_post_parameters("token")
def otp_verify_view(request):
    """Ask for the code of the person's authenticator application; on success the session is verified."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"{ENROL_PATH}?{request.GET.urlencode()}" if request.GET else ENROL_PATH)
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            device = match_token(request.user, form.cleaned_data["token"])
            if device is not None:
                otp_login(request, device)
                return redirect(otp_landing(request))
            _audit(AuditEvent.Kind.SIGN_IN_FAILED, request, second_factor="code refusé")
            form.add_error("token", "Code incorrect ou expiré : saisissez le code affiché en ce moment.")
        status = 422
    return _page(request, "core/accounts/otp_verify.html", {"form": form}, status)


def _pending_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def _issuer() -> str:
    tenant = getattr(connection, "tenant", None)
    name = getattr(tenant, "name", "") if not _public() else ""
    return f"Plateforme Petite Enfance {name}".strip()


@access(PUBLIC)  # any signed-in account: the view sends the others to the login page itself
@never_cache
@sensitive_post_parameters("token")
def otp_enrol_view(request):
    """Enrol an authenticator application: a QR code (and its key, to type by hand), then a first code."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    if user_has_device(request.user, confirmed=True) and not request.user.is_verified():
        return redirect(VERIFY_PATH)  # adding a device needs the current one first
    form = TokenForm(request.POST or None)
    status = 200
    with transaction.atomic():
        device = _pending_device(request.user)
        if request.method == "POST":
            if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                _audit(AuditEvent.Kind.OTP_ENROLLED, request, device=DEVICE_NAME)
                return redirect(otp_landing(request))
            if form.is_valid():
                _audit(AuditEvent.Kind.SIGN_IN_FAILED, request, second_factor="code d'activation refusé")
                form.add_error(
                    "token", "Code incorrect : vérifiez l'heure de votre téléphone et saisissez le code actuel."
                )
            status = 422
    issuer = quote(_issuer().replace(":", ""))
    url = device.config_url.replace("otpauth://totp/", f"otpauth://totp/{issuer}:", 1) + f"&issuer={issuer}"
    secret = base64.b32encode(device.bin_key).decode()
    return _page(
        request,
        "core/accounts/otp_enrol.html",
        {
            "form": form,
            "qr_svg": segno.make(url, error="m").svg_inline(scale=5, title="QR code à scanner"),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": otp_enrolment_required(request.user),
        },
        status,
    )
