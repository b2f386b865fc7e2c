"""Portals of the remplacement pole (server-rendered, French, mobile first), under `/remplacement/`:

- substitutes: their offers (accept, decline), missions, availability (weekly pattern and exceptions), hours;
- structures: post a need, follow it, see the candidates and why others are excluded, pick a volunteer,
  validate the hours;
- coordinators: the live board of open, offered and filled requests of the coming days, monthly exports.

Views parse input, call one service or selector, and render.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.shortcuts import render as django_render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.plugins import disabled_poles
from plugins.remplacement import exports, forms, selectors, services
from plugins.remplacement.models import Offer, ReplacementRequest, Substitute, Timesheet


def pole_view(view):
    """Login required, and 404 where the pole is switched off."""

    @login_required(login_url="remplacement:login")
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if "remplacement" in disabled_poles(getattr(request, "tenant", None)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """Render with the role flags the navigation needs."""
    user = request.user
    flags = {
        "is_coordinator": selectors.is_coordinator(user),
        "is_substitute": selectors.substitute_of(user) is not None,
        "is_structure": selectors.structures_of(user).exists(),
    }
    return django_render(request, template, {**flags, **context})


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return exc.messages


def _substitute_or_403(request: HttpRequest) -> Substitute:
    substitute = selectors.substitute_of(request.user)
    if substitute is None:
        raise PermissionDenied("Réservé aux remplaçant·es du vivier.")
    return substitute


class LoginView(auth_views.LoginView):
    template_name = "remplacement/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("remplacement:home")


@pole_view
def home(request: HttpRequest) -> HttpResponse:
    if selectors.is_coordinator(request.user):
        return redirect("remplacement:board")
    if selectors.substitute_of(request.user) is not None:
        return redirect("remplacement:offers")
    if selectors.structures_of(request.user).exists():
        return redirect("remplacement:structure")
    raise PermissionDenied("Votre compte n'a pas accès au pôle remplacement.")


# --- Substitutes --------------------------------------------------------------------------------------------
@pole_view
def offers(request: HttpRequest) -> HttpResponse:
    substitute = _substitute_or_403(request)
    all_offers = list(selectors.offer_list_for(substitute)[:50])
    now = timezone.now()
    missions = list(selectors.missions_of(substitute)[:30])
    return _render(
        request,
        "remplacement/substitute_offers.html",
        {
            "substitute": substitute,
            "pending": [o for o in all_offers if o.status in (Offer.Status.SENT, Offer.Status.VOLUNTEERED)],
            "answered": [o for o in all_offers if o.status not in (Offer.Status.SENT, Offer.Status.VOLUNTEERED)],
            "upcoming": [m for m in missions if m.last_slot_end >= now and m.state == "filled"],
            "to_declare": [m for m in missions if m.first_slot_start <= now and m.state == "filled"],
        },
    )


@pole_view
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    substitute = _substitute_or_403(request)
    offer = get_object_or_404(selectors.offer_list_for(substitute), pk=pk)
    return _render(request, "remplacement/offer_detail.html", {"offer": offer, "request_": offer.request})


@pole_view
@require_POST
def offer_answer(request: HttpRequest, pk: int) -> HttpResponse:
    substitute = _substitute_or_403(request)
    offer = get_object_or_404(Offer, pk=pk, substitute=substitute)
    answer = request.POST.get("answer")
    try:
        if answer == "accept":
            offer = services.offer_accept(offer=offer, actor=request.user)
            offer.refresh_from_db()
            if offer.status == Offer.Status.ACCEPTED:
                messages.success(request, "C'est confirmé : la mission est à vous. Un courriel avec l'agenda suit.")
            else:
                messages.success(request, "Merci ! La structure choisit parmi les volontaires ; vous serez prévenu·e.")
        elif answer == "decline":
            services.offer_decline(offer=offer, actor=request.user)
            messages.info(request, "Proposition déclinée.")
        else:
            messages.error(request, "Réponse inconnue.")
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    return redirect("remplacement:offer", pk=offer.pk)


@pole_view
def availability(request: HttpRequest) -> HttpResponse:
    substitute = _substitute_or_403(request)
    rules = {r.weekday: r for r in substitute.availability_rules.all()}
    initial = {}
    for day, rule in rules.items():
        initial[f"d{day}_start"], initial[f"d{day}_end"] = rule.start_time, rule.end_time
    weekly = forms.WeeklyForm(initial=initial)
    exception_form = forms.ExceptionForm()
    if request.method == "POST" and request.POST.get("form") == "weekly":
        weekly = forms.WeeklyForm(request.POST)
        if weekly.is_valid():
            rules_in = weekly.rules()
            if not weekly.errors:
                try:
                    services.availability_weekly_set(substitute=substitute, rules=rules_in, actor=request.user)
                    messages.success(request, "Semaine type enregistrée.")
                    return redirect("remplacement:availability")
                except ValidationError as exc:
                    for message in _errors(exc):
                        weekly.add_error(None, message)
    elif request.method == "POST" and request.POST.get("form") == "exception":
        exception_form = forms.ExceptionForm(request.POST)
        if exception_form.is_valid():
            data = exception_form.cleaned_data
            try:
                services.availability_exception_add(
                    substitute=substitute,
                    date=data["date"],
                    kind=data["kind"],
                    start=data["start"],
                    end=data["end"],
                    actor=request.user,
                )
                messages.success(request, "Exception ajoutée.")
                return redirect("remplacement:availability")
            except ValidationError as exc:
                for message in _errors(exc):
                    exception_form.add_error(None, message)
    elif request.method == "POST" and request.POST.get("form") == "delete":
        exception = get_object_or_404(substitute.availability_exceptions, pk=request.POST.get("exception"))
        services.availability_exception_delete(exception=exception, actor=request.user)
        messages.info(request, "Exception supprimée.")
        return redirect("remplacement:availability")
    return _render(
        request,
        "remplacement/availability.html",
        {
            "substitute": substitute,
            "weekly": weekly,
            "exception_form": exception_form,
            "exceptions": substitute.availability_exceptions.filter(date__gte=timezone.localdate()),
        },
    )


@pole_view
def timesheet(request: HttpRequest, pk: int) -> HttpResponse:
    substitute = _substitute_or_403(request)
    mission = get_object_or_404(ReplacementRequest.objects.select_related("structure"), pk=pk, substitute=substitute)
    slots = list(mission.slots.all())
    zone = timezone.get_current_timezone()
    initial = {}
    for slot in slots:
        initial[f"s{slot.pk}_start"] = slot.starts_at.astimezone(zone).time()
        initial[f"s{slot.pk}_end"] = slot.ends_at.astimezone(zone).time()
    form = forms.TimesheetForm(request.POST or None, slots=slots, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.timesheet_submit(
                request=mission, lines=form.lines(), comment=form.cleaned_data["comment"], actor=request.user
            )
            messages.success(request, "Heures envoyées à la structure pour validation.")
            return redirect("remplacement:offers")
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
    return _render(request, "remplacement/timesheet.html", {"mission": mission, "form": form})


# --- Structures ---------------------------------------------------------------------------------------------
@pole_view
def structure_home(request: HttpRequest) -> HttpResponse:
    structures = selectors.structures_of(request.user)
    if not structures.exists():
        raise PermissionDenied("Votre compte n'est rattaché à aucune structure.")
    since = timezone.now() - dt.timedelta(days=45)
    return _render(
        request,
        "remplacement/structure_home.html",
        {"requests": selectors.request_list(user=request.user, since=since)[:100], "structures": structures},
    )


@pole_view
def request_new(request: HttpRequest) -> HttpResponse:
    structures = selectors.structures_of(request.user)
    if not structures.exists():
        raise PermissionDenied("Votre compte n'est rattaché à aucune structure.")
    form = forms.RequestForm(request.POST or None, structures=structures)
    if request.method == "POST" and form.is_valid():
        slots = form.slots()
        if not form.errors:
            data = form.cleaned_data
            try:
                created = services.request_create(
                    structure=data["structure"],
                    qualification=data["qualification"].code,
                    slots=slots,
                    children_present=data["children_present"],
                    staff_present=data["staff_present"],
                    children_per_staff=data["children_per_staff"],
                    urgency=data["urgency"],
                    reason=data["reason"],
                    age_group=data["age_group"],
                    notes=data["notes"],
                    actor=request.user,
                )
                messages.success(request, "Besoin publié : les remplaçants disponibles sont prévenus.")
                return redirect("remplacement:request", pk=created.pk)
            except ValidationError as exc:
                for message in _errors(exc):
                    form.add_error(None, message)
    return _render(request, "remplacement/request_new.html", {"form": form})


@pole_view
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    replacement = get_object_or_404(selectors.request_list(user=request.user), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                offer = get_object_or_404(replacement.offers, pk=request.POST.get("offer"))
                services.offer_confirm(offer=offer, actor=request.user)
                messages.success(request, "Remplaçant·e retenu·e : la mission est pourvue.")
            elif action == "cancel":
                services.request_cancel(request=replacement, actor=request.user, reason=request.POST.get("reason", ""))
                messages.info(request, "Demande annulée ; les personnes sollicitées sont prévenues.")
            elif action in ("validate", "reject"):
                services.timesheet_validate(
                    timesheet=get_object_or_404(Timesheet, request=replacement),
                    approve=action == "validate",
                    comment=request.POST.get("comment", ""),
                    actor=request.user,
                )
                messages.success(request, "Relevé d'heures validé." if action == "validate" else "Relevé renvoyé.")
            return redirect("remplacement:request", pk=replacement.pk)
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
    ranking = None
    names: dict[int, Substitute] = {}
    if replacement.state in ("open", "offered"):
        ranking = selectors.request_ranking(replacement, explain=True)
        names = {
            s.pk: s
            for s in Substitute.objects.select_related("user").filter(pk__in=[*ranking.ids.tolist(), *ranking.excluded])
        }
    offers_ = list(replacement.offers.select_related("substitute__user").order_by("rank"))
    return _render(
        request,
        "remplacement/request_detail.html",
        {
            "r": replacement,
            "offers": offers_,
            "volunteers": [o for o in offers_ if o.status == Offer.Status.VOLUNTEERED],
            "candidates": [(c, names.get(c.substitute_id)) for c in ranking.candidates[:15]] if ranking else [],
            "excluded": [(names.get(pk), reasons) for pk, reasons in ranking.excluded.items()] if ranking else [],
            "timesheet": Timesheet.objects.filter(request=replacement).prefetch_related("lines").first(),
            "events": replacement.events.select_related("actor")[:50],
        },
    )


# --- Coordinators -------------------------------------------------------------------------------------------
@pole_view
def board(request: HttpRequest) -> HttpResponse:
    if not selectors.is_coordinator(request.user):
        raise PermissionDenied("Réservé aux coordinateurs du pôle.")
    days = min(max(int(request.GET.get("jours", 7) or 7), 1), 31)
    today = timezone.localdate()
    previous = today.replace(day=1) - dt.timedelta(days=1)
    return _render(
        request,
        "remplacement/board.html",
        {"columns": selectors.board(days=days), "days": days, "export_month": previous, "now": timezone.now()},
    )


@pole_view
def export(request: HttpRequest, year: int, month: int, by: str, fmt: str) -> HttpResponse:
    if not selectors.is_coordinator(request.user):
        raise PermissionDenied("Réservé aux coordinateurs du pôle.")
    if by not in ("substitute", "structure") or fmt not in ("csv", "xlsx") or not 1 <= month <= 12:
        raise Http404
    rows = selectors.monthly_hours(year=year, month=month, by=by)
    name = f"remplacement-heures-{'remplacants' if by == 'substitute' else 'structures'}-{year}-{month:02d}"
    if fmt == "csv":
        response = HttpResponse(exports.hours_csv(rows, by=by), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.hours_xlsx(rows, by=by, title=f"{year}-{month:02d}"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
