"""The territory's admin screens for the API: tokens (created, shown once, revoked) and webhooks
(subscriptions, deliveries and their attempts). Only the territory's administrators see them."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views import View
from wagtail import hooks
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from core.api.events import EVENTS, event_choices
from core.api.models import ApiToken, WebhookDelivery, WebhookSubscription
from core.api.services import api_token_create, api_token_revoke
from core.api.webhooks import (
    webhook_redeliver,
    webhook_subscription_create,
    webhook_subscription_enable,
    webhook_subscription_update,
)
from core.roles import ADMIN_ROLES, Role, user_roles
from tenants.access import access


class TerritoryAdminPolicy(BasePermissionPolicy):
    """Every action for the territory's platform administrators (and superusers), none for anyone else."""

    def user_has_permission(self, user, action) -> bool:
        return bool(user.is_active and (user.is_superuser or Role.PLATFORM_ADMIN in user_roles(user)))

    def user_has_any_permission(self, user, actions) -> bool:
        return self.user_has_permission(user, None)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        return (
            get_user_model()
            .objects.filter(Q(is_superuser=True) | Q(groups__name=Role.PLATFORM_ADMIN), is_active=True)
            .distinct()
        )

    def users_with_permission(self, action):
        return self.users_with_any_permission([action])


# --- Tokens -----------------------------------------------------------------------------------------------------


class TokenCreateForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "user", "scope", "expires_at"]

    def clean_expires_at(self):
        value = self.cleaned_data["expires_at"]
        if value <= timezone.now():
            raise forms.ValidationError("La date d'expiration doit être dans le futur.")
        return value


class TokenEditForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]


class TokenIndexView(generic.IndexView):
    def get_queryset(self):
        return super().get_queryset().select_related("user")

    @property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)("name", label="Nom", get_url=self.get_edit_url),
            Column("prefix", label="Préfixe"),
            Column("user", label="Compte"),
            Column("scope", label="Portée", accessor="get_scope_display"),
            Column("expires_at", label="Expire le"),
            Column("last_used_at", label="Dernière utilisation"),
            Column("revoked_at", label="Révoqué le"),
        ]


class TokenCreateView(generic.CreateView):
    def form_valid(self, form):
        data = form.cleaned_data
        self.object, raw = api_token_create(
            user=data["user"], name=data["name"], scope=data["scope"], expires_at=data["expires_at"],
            actor=self.request.user,
        )  # fmt: skip
        context = self.get_context_data(
            secret=raw,
            secret_label="Jeton d'API",  # noqa: S106  (a label)
            explanation=f"Le jeton « {self.object.name} » a été créé. Il s'utilise dans l'en-tête "
            "« Authorization: Bearer <jeton> ».",
            back_url=reverse("api_tokens:index"),
        )
        context["page_title"] = "Jeton d'API créé"
        return TemplateResponse(self.request, "api/admin/secret_created.html", context)


class TokenRevokeView(generic.DeleteView):
    """Revoking keeps the row (for the record); the token stops working at once."""

    page_title = "Révoquer"

    @property
    def confirmation_message(self):
        return "Révoquer ce jeton ? Les clients qui l'utilisent recevront 401 immédiatement."

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        api_token_revoke(token=self.object, actor=request.user)
        messages.success(request, f"Jeton « {self.object.name} » révoqué.")
        return redirect(self.get_success_url())


class ApiTokenViewSet(ModelViewSet):
    model = ApiToken
    icon = "key"
    menu_label = "Jetons d'API"
    name = "api_tokens"
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    index_view_class = TokenIndexView
    add_view_class = TokenCreateView
    delete_view_class = TokenRevokeView
    list_filter = ["scope"]

    def get_form_class(self, for_update=False):
        return TokenEditForm if for_update else TokenCreateForm


# --- Webhooks ---------------------------------------------------------------------------------------------------


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="Adresse de réception", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label="Événements", choices=event_choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "is_active"]


class SubscriptionCreateView(generic.CreateView):
    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.object = webhook_subscription_create(
                name=data["name"], url=data["url"], events=data["events"], is_active=data["is_active"],
                actor=self.request.user,
            )  # fmt: skip
        except forms.ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        context = self.get_context_data(
            secret=self.object.secret,
            secret_label="Secret de signature",  # noqa: S106  (a label)
            explanation="Chaque livraison porte l'en-tête « X-PPE-Signature: t=<horodatage>,v1=<HMAC-SHA256 "
            "de « <horodatage>.<corps> » par ce secret> ».",
            back_url=reverse("api_webhooks:index"),
        )
        context["page_title"] = "Abonnement webhook créé"
        return TemplateResponse(self.request, "api/admin/secret_created.html", context)


class SubscriptionEditView(generic.EditView):
    """The form, under the endpoint's state: when it was switched off for failing, why, and « Réactiver »."""

    template_name = "api/admin/subscription_edit.html"

    def save_instance(self):
        data = self.form.cleaned_data
        return webhook_subscription_update(subscription=self.object, actor=self.request.user, **data)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscription"] = self.object
        context["enable_url"] = reverse("api_webhooks:enable", args=[self.object.pk])
        context["deliveries_url"] = reverse("api_webhook_deliveries:index") + f"?subscription={self.object.pk}"
        return context


def _territory_admin(request) -> None:
    if not TerritoryAdminPolicy(WebhookSubscription).user_has_permission(request.user, "change"):
        raise PermissionDenied


@access(ADMIN_ROLES)
class SubscriptionEnableView(View):
    """« Réactiver »: switch an endpoint on again (after its automatic disabling), its failures forgotten."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        _territory_admin(request)
        subscription = get_object_or_404(WebhookSubscription, pk=pk)
        webhook_subscription_enable(subscription=subscription, actor=request.user)
        messages.success(request, f"Abonnement « {subscription.name} » réactivé : les prochains événements lui "
                                  "seront envoyés. Renvoyez les livraisons manquées depuis le journal.")  # fmt: skip
        return redirect("api_webhooks:edit", subscription.pk)


class WebhookSubscriptionViewSet(ModelViewSet):
    model = WebhookSubscription
    icon = "link-external"
    menu_label = "Webhooks"
    name = "api_webhooks"
    copy_view_enabled = False
    add_to_reference_index = False
    add_view_class = SubscriptionCreateView
    edit_view_class = SubscriptionEditView
    list_display = ["name", "url", Column("state_label", label="État"), "created_at"]

    def get_form_class(self, for_update=False):
        return SubscriptionForm

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/reactiver/", SubscriptionEnableView.as_view(), name="enable"),
        ]


def _pretty(value) -> str:
    """A JSON value (or a text that holds one) indented for reading; any other text as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
        if not isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)


class DeliveryInspectView(generic.InspectView):
    """A delivery read as a person reads it: what was sent (formatted), each try with what the endpoint
    answered, and « Renvoyer »."""

    template_name = "api/admin/delivery_inspect.html"

    def get_page_subtitle(self):
        return f"{EVENTS.get(self.object.event, self.object.event)} → {self.object.subscription}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        delivery = self.object
        context.update(
            delivery=delivery,
            event_label=EVENTS.get(delivery.event, delivery.event),
            payload=_pretty(delivery.payload),
            attempts=[(attempt, _pretty(attempt.response_body)) for attempt in delivery.attempt_log.all()],
            redeliveries=list(delivery.redeliveries.order_by("-created_at")),
            redeliver_url=reverse("api_webhook_deliveries:redeliver", args=[delivery.pk]),
        )
        return context


@access(ADMIN_ROLES)
class DeliveryRedeliverView(View):
    """« Renvoyer »: send a past delivery again (a new delivery, same payload and event id)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        _territory_admin(request)
        delivery = get_object_or_404(WebhookDelivery.objects.select_related("subscription"), pk=pk)
        again = webhook_redeliver(delivery=delivery, actor=request.user)
        if delivery.subscription.is_active:
            messages.success(request, "Livraison renvoyée : voici le nouvel envoi.")
        else:
            messages.warning(request, "L'abonnement est désactivé : réactivez-le, sinon ce nouvel envoi échouera.")
        return redirect("api_webhook_deliveries:inspect", again.pk)


class WebhookDeliveryViewSet(ModelViewSet):
    """The delivery log (read only)."""

    model = WebhookDelivery
    icon = "list-ul"
    menu_label = "Livraisons webhook"
    name = "api_webhook_deliveries"
    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = DeliveryInspectView
    list_display = [
        TitleColumn("event", label="Événement", accessor=lambda d: EVENTS.get(d.event, d.event),
                    get_url=lambda d: reverse("api_webhook_deliveries:inspect", args=[d.pk])),
        "subscription", Column("status", label="Statut", accessor="get_status_display"), "attempts",
        "last_status_code", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "event", "subscription"]
    form_fields = ["status"]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/renvoyer/", DeliveryRedeliverView.as_view(), name="redeliver"),
        ]


class ReadOnlyPolicy(TerritoryAdminPolicy):
    def user_has_permission(self, user, action) -> bool:
        return action in (None, "view") and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions) -> bool:
        return "view" in actions and super().user_has_permission(user, "view")


class ApiAdminGroup(ViewSetGroup):
    menu_label = "API et webhooks"
    menu_icon = "cogs"
    menu_order = 900
    items = (ApiTokenViewSet, WebhookSubscriptionViewSet, WebhookDeliveryViewSet)


register_permission_policy(ApiToken, TerritoryAdminPolicy(ApiToken))
register_permission_policy(WebhookSubscription, TerritoryAdminPolicy(WebhookSubscription))
register_permission_policy(WebhookDelivery, ReadOnlyPolicy(WebhookDelivery))


@hooks.register("register_admin_viewset")
def register_api_admin():
    return ApiAdminGroup()
