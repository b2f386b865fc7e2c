"""Pages of a territory's host where a person manages their own account: accepting an invitation (set your
password), and the password reset that every login page links to (Django's views, French templates)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from core.roles import role_label
from core.services.accounts import InvitationInvalidError, invitation_accept, invitation_from_token
from tenants.access import PUBLIC, access

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class InvitationAcceptForm(SetPasswordForm):
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    last_name = forms.CharField(label="Nom", max_length=150, required=False)
    field_order = ["first_name", "last_name", "new_password1", "new_password2"]


def landing_path(user) -> str:
    """Where a person lands after signing in for the first time: a substitute on the pool's portal, everyone
    else in the back office (each role's home)."""
    from core.roles import user_roles

    roles = user_roles(user)
    if roles == {"substitute"}:
        return "/remplacement/"
    return "/admin/"


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@access(PUBLIC)
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_from_token(token)
    except InvitationInvalidError as error:
        return render(
            request,
            "core/accounts/invitation_invalid.html",
            {"message": error.message, "reason": error.reason},
            status=410 if error.reason in {"expired", "revoked", "accepted"} else 404,
        )
    User = get_user_model()
    person = User(username=invitation.email, email=invitation.email,
                  first_name=invitation.first_name, last_name=invitation.last_name)  # fmt: skip
    form = InvitationAcceptForm(
        person,
        request.POST or None,
        initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token,
                password=form.cleaned_data["new_password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                request=request,
            )
        except InvitationInvalidError as error:
            return render(request, "core/accounts/invitation_invalid.html",
                          {"message": error.message, "reason": error.reason}, status=410)  # fmt: skip
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error("new_password2" if field == "password" else None, messages)
        else:
            login(request, user, backend=LOGIN_BACKEND)
            return redirect(landing_path(user))
    return render(
        request,
        "core/accounts/invitation_accept.html",
        {
            "form": form,
            "invitation": invitation,
            "roles": [role_label(code) for code in invitation.roles],
        },
    )


# --- Password reset (Django's views, the territory's host from the request) --------------------------------
@access(PUBLIC)
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "core/accounts/password_reset.html"
    email_template_name = "core/accounts/password_reset_email.txt"
    subject_template_name = "core/accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"back": _safe_back(self.request)}


@access(PUBLIC)
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "core/accounts/password_reset_done.html"


@access(PUBLIC)
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "core/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


@access(PUBLIC)
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "core/accounts/password_reset_complete.html"


def _safe_back(request) -> str:
    """The login page the person came from (only a path of this host), for the « back » link."""
    back = request.GET.get("depuis", "")
    return back if back in {"/admin/login/", "/remplacement/connexion/"} else "/admin/login/"
