"""Back-office screens of the territory's people (Wagtail admin, territory admins only): the list of people and
pending invitations, inviting a person, a person's page (name, roles, memberships, activation, journal)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.models import Invitation, Operator, OperatorMembership, Structure, StructureMembership
from core.roles import ADMIN_ROLES, Role, role_label, user_roles
from core.selectors.people import invitation_pending_list, person_list
from core.services import accounts
from core.services.audit import audit_describe, audit_list
from tenants.access import access

PEOPLE_ADMIN_ROLES = ADMIN_ROLES


def _structure_field(required: bool = False) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Structure",
        queryset=Structure.objects.filter(is_active=True).order_by("name"),
        required=required,
        empty_label="— aucune —",
        help_text="Pour un membre d'une structure : la structure pour laquelle la personne agit.",
    )


def _operator_field(required: bool = False) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Opérateur",
        queryset=Operator.objects.filter(is_active=True).order_by("name"),
        required=required,
        empty_label="— aucun —",
        help_text="Pour un opérateur ESS : l'opérateur pour lequel la personne travaille.",
    )


def role_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in Role.choices]


class InviteForm(forms.Form):
    email = forms.EmailField(label="Adresse électronique")
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    last_name = forms.CharField(label="Nom", max_length=150, required=False)
    roles = forms.MultipleChoiceField(label="Rôles", choices=role_choices, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"] = _structure_field()
        self.fields["operator"] = _operator_field()


class PersonForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    last_name = forms.CharField(label="Nom", max_length=150, required=False)
    roles = forms.MultipleChoiceField(
        label="Rôles", choices=role_choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class MembershipForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"] = _structure_field()
        self.fields["operator"] = _operator_field()


class PeopleAdminMixin(WagtailAdminTemplateMixin):
    """Territory admins only (the people screens give roles)."""

    header_icon = "group"
    breadcrumbs_items = []  # the page title is the header

    def dispatch(self, request, *args, **kwargs):
        if not user_roles(request.user) & PEOPLE_ADMIN_ROLES:
            raise PermissionDenied("Réservé aux administrateurs du territoire.")
        return super().dispatch(request, *args, **kwargs)


def _errors_to_form(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for key, errors in error.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _described(events) -> list:
    events = list(events)
    for event in events:
        event.description = audit_describe(event)
    return events


def _person_row(user) -> dict[str, Any]:
    return {
        "user": user,
        "roles": [role_label(g.name) for g in user.groups.all()],
        "memberships": [str(m.structure) for m in user.structure_memberships.all()]
        + [str(m.operator) for m in user.operator_memberships.all()],
    }


@access(ADMIN_ROLES)
class PeopleListView(PeopleAdminMixin, TemplateView):
    template_name = "core/people/list.html"
    page_title = "Personnes"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        role = self.request.GET.get("role", "")
        status = self.request.GET.get("etat", "")
        active = {"actifs": True, "desactives": False}.get(status)
        people = person_list(query=query, role=role if role in Role.values else "", active=active)
        context.update(
            people=[_person_row(user) for user in people[:500]],
            invitations=[
                {"invitation": i, "roles": [role_label(c) for c in i.roles]} for i in invitation_pending_list()
            ],
            role_choices=role_choices(),
            query=query,
            role=role,
            status=status,
        )
        return context


@access(ADMIN_ROLES)
class PersonInviteView(PeopleAdminMixin, TemplateView):
    template_name = "core/people/invite.html"
    page_title = "Inviter une personne"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", InviteForm(initial=self._initial()))
        return context

    def _initial(self) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        if (structure := self.request.GET.get("structure", "")).isdigit():
            initial.update(structure=int(structure), roles=[Role.STRUCTURE_MEMBER])
        if (operator := self.request.GET.get("operateur", "")).isdigit():
            initial.update(operator=int(operator), roles=[Role.OPERATOR])
        return initial

    def post(self, request, *args, **kwargs):
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                invitation = accounts.invitation_create(actor=request.user, request=request, **form.cleaned_data)
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(
                    request,
                    f"Invitation envoyée à {invitation.email}. Le lien est valable jusqu'au "
                    f"{invitation.expires_at:%d/%m/%Y}.",
                )
                return redirect("ppe_people")
        return self.render_to_response(self.get_context_data(form=form))


@access(ADMIN_ROLES)
class PersonDetailView(PeopleAdminMixin, TemplateView):
    template_name = "core/people/detail.html"

    def dispatch(self, request, *args, **kwargs):
        self.person = get_object_or_404(get_user_model(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return accounts.person_label(self.person)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        person = self.person
        held = list(person.groups.values_list("name", flat=True))
        context.setdefault(
            "form",
            PersonForm(
                initial={
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "roles": [r for r in held if r in Role.values],
                }
            ),
        )
        context.setdefault("membership_form", MembershipForm())
        context.update(
            person=person,
            other_roles=[role_label(r) for r in held if r not in Role.values],
            structures=StructureMembership.objects.filter(user=person).select_related("structure"),
            operators=OperatorMembership.objects.filter(user=person).select_related("operator"),
            journal=_described(audit_list(target_type="user", target_id=person.pk)[:50]),
            is_self=person.pk == self.request.user.pk,
            otp_enrolled=accounts.person_otp_enrolled(person),
        )
        return context

    @staticmethod
    def _otp_reset(request, person) -> None:
        if accounts.person_otp_reset(user=person, actor=request.user, request=request):
            messages.success(request, "Double authentification réinitialisée : la personne activera une "
                             "nouvelle application à sa prochaine connexion.")  # fmt: skip
        else:
            messages.error(request, "Cette personne n'a pas activé la double authentification.")

    def post(self, request, *args, **kwargs):  # noqa: PLR0912 (one branch per action of the person's page)
        action = request.POST.get("action", "")
        person = self.person
        try:
            if action == "save":
                form = PersonForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form))
                names = {key: form.cleaned_data[key] for key in ("first_name", "last_name")}
                accounts.person_update(user=person, actor=request.user, request=request, **names)
                others = [r for r in person.groups.values_list("name", flat=True) if r not in Role.values]
                accounts.person_roles_set(user=person, roles=[*others, *form.cleaned_data["roles"]],
                                          actor=request.user, request=request)  # fmt: skip
                messages.success(request, "Les rôles et le nom ont été enregistrés.")
            elif action == "add_membership":
                form = MembershipForm(request.POST)
                if not form.is_valid() or not (form.cleaned_data["structure"] or form.cleaned_data["operator"]):
                    messages.error(request, "Choisissez une structure ou un opérateur.")
                    return redirect("ppe_person", pk=person.pk)
                if form.cleaned_data["structure"]:
                    accounts.structure_membership_add(user=person, structure=form.cleaned_data["structure"],
                                                      actor=request.user, request=request)  # fmt: skip
                if form.cleaned_data["operator"]:
                    accounts.operator_membership_add(user=person, operator=form.cleaned_data["operator"],
                                                     actor=request.user, request=request)  # fmt: skip
                messages.success(request, "Le rattachement a été ajouté.")
            elif action == "remove_structure":
                structure = get_object_or_404(Structure, pk=request.POST.get("structure"))
                accounts.structure_membership_remove(user=person, structure=structure, actor=request.user,
                                                     request=request)  # fmt: skip
                messages.success(request, f"{structure} retirée des rattachements.")
            elif action == "remove_operator":
                operator = get_object_or_404(Operator, pk=request.POST.get("operator"))
                accounts.operator_membership_remove(user=person, operator=operator, actor=request.user,
                                                    request=request)  # fmt: skip
                messages.success(request, f"{operator} retiré des rattachements.")
            elif action == "deactivate":
                accounts.person_deactivate(user=person, actor=request.user, request=request)
                messages.success(request, "Le compte est désactivé : la personne ne peut plus se connecter.")
            elif action == "reactivate":
                accounts.person_reactivate(user=person, actor=request.user, request=request)
                messages.success(request, "Le compte est réactivé.")
            elif action == "otp_reset":
                self._otp_reset(request, person)
            else:
                messages.error(request, "Action inconnue.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("ppe_person", pk=person.pk)


@access(ADMIN_ROLES)
class InvitationActionView(PeopleAdminMixin, TemplateView):
    """POST only: resend or cancel a pending invitation."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if kwargs["action"] not in {"renvoyer", "annuler"}:
            raise Http404
        invitation = get_object_or_404(Invitation, pk=kwargs["pk"])
        try:
            if kwargs["action"] == "renvoyer":
                accounts.invitation_resend(invitation=invitation, actor=request.user, request=request)
                messages.success(request, f"Invitation renvoyée à {invitation.email} (l'ancien lien ne sert plus).")
            else:
                accounts.invitation_revoke(invitation=invitation, actor=request.user, request=request)
                messages.success(request, f"Invitation de {invitation.email} annulée.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("ppe_people")
