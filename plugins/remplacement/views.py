"""Portals of the remplacement pole (server-rendered, French, mobile first), under `/remplacement/`:

- substitutes: their offers (accept all or some shifts, decline), missions, hours to declare or to correct,
  availability (weekly pattern with several ranges a day, exceptions), their own profile and documents;
- structures: post a need (the staffing rules say what the gap calls for), follow it shift by shift, pick a
  volunteer, free a booking, name favourites and exclusions, validate or send back the hours;
- coordinators: the live board, each request with the full ranking and why others are excluded, resend,
  widen, assign directly, the monthly exports. The pool screens and the pilotage are in the Wagtail admin
  (`wagtail_hooks.py`).

Privacy: a structure sees its volunteers and the people it booked, never the rest of the pool (names,
missions, exclusion reasons).

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
from core.roles import COORDINATION_ROLES, STRUCTURE_ROLES, SUBSTITUTE_ROLES
from plugins.remplacement import exports, forms, selectors, services
from plugins.remplacement.communes import commune_label
from plugins.remplacement.models import (
    PENDING_OFFER_STATUSES,
    Offer,
    ReplacementRequest,
    RequestState,
    StructurePreference,
    Substitute,
    SubstituteDocument,
    Timesheet,
)
from tenants.access import PUBLIC, access


def pole_view(view):
    """Login required, and 404 where the pole is switched off."""

    @login_required(login_url="remplacement:login")
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if "remplacement" in disabled_poles(getattr(request, "tenant", None)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """Render with the role flags the navigation needs."""
    user = request.user
    flags = {
        "is_coordinator": selectors.is_coordinator(user),
        "is_substitute": selectors.substitute_of(user) is not None,
        "is_structure": selectors.structures_of(user).exists() and not selectors.is_coordinator(user),
    }
    return django_render(request, template, {**flags, **context}, status=status)


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return exc.messages


def _substitute_or_403(request: HttpRequest) -> Substitute:
    substitute = selectors.substitute_of(request.user)
    if substitute is None:
        raise PermissionDenied("Réservé aux remplaçant·es du vivier.")
    return substitute


def _coordinator_or_403(request: HttpRequest) -> None:
    if not selectors.is_coordinator(request.user):
        raise PermissionDenied("Réservé aux coordinateurs du pôle.")


def _ids(values: list[str]) -> list[int] | None:
    ids = [int(v) for v in values if str(v).isdigit()]
    return ids or None


@access(PUBLIC)
class LoginView(auth_views.LoginView):
    template_name = "remplacement/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("remplacement:home")


@pole_view
@access(COORDINATION_ROLES, STRUCTURE_ROLES, SUBSTITUTE_ROLES)
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
@access(SUBSTITUTE_ROLES)
def offers(request: HttpRequest) -> HttpResponse:
    substitute = _substitute_or_403(request)
    all_offers = list(selectors.offer_list_for(substitute)[:50])
    return _render(
        request,
        "remplacement/substitute_offers.html",
        {
            "substitute": substitute,
            "pending": [o for o in all_offers if o.status in PENDING_OFFER_STATUSES],
            "answered": [o for o in all_offers if o.status not in PENDING_OFFER_STATUSES][:15],
            "missions": selectors.substitute_missions(substitute),
        },
    )


@pole_view
@access(SUBSTITUTE_ROLES)
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    substitute = _substitute_or_403(request)
    offer = get_object_or_404(selectors.offer_list_for(substitute), pk=pk)
    open_ids = {s.pk for s in selectors.open_slots(offer.request)}
    offered = list(offer.slots.order_by("starts_at")) or list(offer.request.slots.all())
    return _render(
        request,
        "remplacement/offer_detail.html",
        {
            "offer": offer,
            "request_": offer.request,
            "slots": [(slot, slot.pk in open_ids) for slot in offered],
            "choosable": offer.status == Offer.Status.SENT and len(offered) > 1 and offer.request.allow_split,
        },
    )


@pole_view
@require_POST
@access(SUBSTITUTE_ROLES)
def offer_answer(request: HttpRequest, pk: int) -> HttpResponse:
    substitute = _substitute_or_403(request)
    offer = get_object_or_404(Offer, pk=pk, substitute=substitute)
    answer = request.POST.get("answer")
    try:
        if answer == "accept":
            offer = services.offer_accept(offer=offer, actor=request.user, slot_ids=_ids(request.POST.getlist("slot")))
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
@access(SUBSTITUTE_ROLES)
def availability(request: HttpRequest) -> HttpResponse:
    substitute = _substitute_or_403(request)
    weekly = forms.WeeklyForm(initial=forms.WeeklyForm.initial_from(substitute.availability_rules.all()))
    exception_form = forms.ExceptionForm()
    status = 200
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
        status = 422
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
        status = 422
    elif request.method == "POST" and request.POST.get("form") == "delete":
        exception = get_object_or_404(substitute.availability_exceptions, pk=request.POST.get("exception") or 0)
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
        status=status,
    )


@pole_view
@access(SUBSTITUTE_ROLES)
def profile(request: HttpRequest) -> HttpResponse:
    """The substitute's own profile: contact, commune, limits, preferences, documents, pause."""
    substitute = _substitute_or_403(request)
    initial = {
        "phone": substitute.phone,
        "home_commune_insee": commune_label(substitute.home_commune_insee),
        "max_distance_km": substitute.max_distance_km,
        "max_hours_week": substitute.max_hours_week,
        "max_hours_month": substitute.max_hours_month,
        "preferred_age_groups": substitute.preferred_age_groups,
    }
    form = forms.ProfileForm(initial=initial)
    document_form = forms.DocumentForm()
    status = 200
    action = request.POST.get("form") if request.method == "POST" else None
    try:
        if action == "profile":
            form = forms.ProfileForm(request.POST)
            if form.is_valid():
                services.substitute_update(substitute=substitute, actor=request.user, **form.cleaned_data)
                messages.success(request, "Profil enregistré.")
                return redirect("remplacement:profile")
            status = 422
        elif action == "document":
            document_form = forms.DocumentForm(request.POST, request.FILES)
            if document_form.is_valid():
                data = document_form.cleaned_data
                services.document_add(
                    substitute=substitute,
                    kind=data["kind"],
                    file=data["file"],
                    qualification=data["qualification"].code if data["qualification"] else "",
                    issued_on=data["issued_on"],
                    expires_on=data["expires_on"],
                    actor=request.user,
                )
                messages.success(request, "Document ajouté : la coordination le vérifiera.")
                return redirect("remplacement:profile")
            status = 422
        elif action == "pause":
            services.substitute_deactivate(substitute=substitute, actor=request.user, reason="En pause (à sa demande)")
            messages.info(request, "Vous ne recevez plus de propositions. Réactivez-vous quand vous voulez.")
            return redirect("remplacement:profile")
        elif action == "resume":
            services.substitute_reactivate(substitute=substitute, actor=request.user)
            messages.success(request, "Vous recevez de nouveau des propositions.")
            return redirect("remplacement:profile")
    except ValidationError as exc:
        target = document_form if action == "document" else form
        for message in _errors(exc):
            target.add_error(None, message)
        status = 422
    return _render(
        request,
        "remplacement/profile.html",
        {
            "substitute": substitute,
            "form": form,
            "document_form": document_form,
            "documents": selectors.document_statuses(substitute),
            "diplomas": substitute.diplomas.select_related("qualification"),
        },
        status=status,
    )


@pole_view
@access(SUBSTITUTE_ROLES)
def timesheet(request: HttpRequest, pk: int) -> HttpResponse:
    substitute = _substitute_or_403(request)
    mission = get_object_or_404(
        ReplacementRequest.objects.select_related("structure", "case").filter(assignments__substitute=substitute)
        .distinct(),
        pk=pk,
    )  # fmt: skip
    slots = selectors.my_shifts(substitute, mission)
    sheet = selectors.timesheet_of(substitute, mission)
    zone = timezone.get_current_timezone()
    initial = {}
    lines = {line.slot_id: line for line in sheet.lines.all()} if sheet else {}
    for slot in slots:
        line = lines.get(slot.pk)
        start, end = (line.started_at, line.ended_at) if line else (slot.starts_at, slot.ends_at)
        initial[f"s{slot.pk}_start"] = start.astimezone(zone).time()
        initial[f"s{slot.pk}_end"] = end.astimezone(zone).time()
        initial[f"s{slot.pk}_break"] = line.break_minutes if line else 0
    if sheet is not None:
        initial["comment"] = sheet.comment
    form = forms.TimesheetForm(request.POST or None, slots=slots, initial=initial)
    editable = sheet is None or sheet.status == Timesheet.Status.REJECTED
    status = 200
    if request.method == "POST":
        if not editable:
            messages.error(request, "Ce relevé a déjà été envoyé.")
            return redirect("remplacement:offers")
        if form.is_valid():
            try:
                services.timesheet_submit(
                    request=mission, lines=form.lines(), comment=form.cleaned_data["comment"], actor=request.user,
                    substitute=substitute,
                )  # fmt: skip
                messages.success(request, "Heures envoyées à la structure pour validation.")
                return redirect("remplacement:offers")
            except ValidationError as exc:
                for message in _errors(exc):
                    form.add_error(None, message)
        status = 422
    return _render(
        request,
        "remplacement/timesheet.html",
        {"mission": mission, "form": form, "sheet": sheet, "editable": editable},
        status=status,
    )


# --- Structures ---------------------------------------------------------------------------------------------
@pole_view
@access(STRUCTURE_ROLES, COORDINATION_ROLES)
def structure_home(request: HttpRequest) -> HttpResponse:
    structures = selectors.structures_of(request.user)
    if not structures.exists():
        raise PermissionDenied("Votre compte n'est rattaché à aucune structure.")
    since = timezone.now() - dt.timedelta(days=45)
    requests = list(selectors.request_list(user=request.user, since=since)[:100])
    to_validate = Timesheet.objects.filter(
        request__in=[r.pk for r in requests], status=Timesheet.Status.SUBMITTED
    ).values_list("request_id", flat=True)
    return _render(
        request,
        "remplacement/structure_home.html",
        {"requests": requests, "structures": structures, "to_validate": set(to_validate)},
    )


def _staffing_preview(form: forms.RequestForm):
    """The staffing of what the director typed so far (None while the figures are not readable)."""
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else None
    if data is None or data.get("children_not_walking") is None or data.get("children_walking") is None:
        return None
    staffing = selectors.staffing_of(
        structure=data.get("structure"),
        ratio_mode=data.get("ratio_mode") or "marche",
        children_not_walking=data["children_not_walking"],
        children_walking=data["children_walking"],
        staff_present=form.staff_present(),
    )
    suggested = selectors.qualification_suggested(qualified=staffing.missing_qualified > 0)
    return {"staffing": staffing, "suggested": suggested}


@pole_view
@access(STRUCTURE_ROLES, COORDINATION_ROLES)
def request_new(request: HttpRequest) -> HttpResponse:
    structures = selectors.structures_of(request.user)
    if not structures.exists():
        raise PermissionDenied("Votre compte n'est rattaché à aucune structure.")
    form = forms.RequestForm(request.POST or None, structures=structures)
    preview = None
    status = 200
    if request.method == "POST":
        valid = form.is_valid()
        preview = _staffing_preview(form) if valid or hasattr(form, "cleaned_data") else None
        if valid and request.POST.get("action") != "preview":
            slots = form.slots()
            data = form.cleaned_data
            staffing = preview["staffing"] if preview else None
            qualification = data["qualification"] or (preview["suggested"] if preview else None)
            headcount = data["headcount"] or (staffing.people_needed if staffing else 0) or 1
            if not form.errors:
                try:
                    created = services.request_create(
                        structure=data["structure"],
                        qualification=qualification.code if qualification else "",
                        slots=slots,
                        headcount=headcount,
                        allow_split=data["allow_split"],
                        children_not_walking=data["children_not_walking"],
                        children_walking=data["children_walking"],
                        staff_present=form.staff_present(),
                        ratio_mode=data["ratio_mode"],
                        urgency=data["urgency"],
                        reason=data["reason"],
                        age_group=data["age_group"],
                        notes=data["notes"],
                        actor=request.user,
                    )
                    messages.success(request, "Besoin publié : les remplaçant·es disponibles sont prévenu·es.")
                    return redirect("remplacement:request", pk=created.pk)
                except ValidationError as exc:
                    for message in _errors(exc):
                        form.add_error(None, message)
            status = 422
        elif not valid:
            status = 422
    return _render(request, "remplacement/request_new.html", {"form": form, "preview": preview}, status=status)


@pole_view
@require_POST
@access(STRUCTURE_ROLES, COORDINATION_ROLES)
def staffing_preview(request: HttpRequest) -> HttpResponse:
    """The staffing box of the new-request form, recomputed as the director types (progressive enhancement)."""
    structures = selectors.structures_of(request.user)
    form = forms.RequestForm(request.POST, structures=structures)
    form.is_valid()
    return _render(request, "remplacement/_staffing.html", {"preview": _staffing_preview(form)})


def _request_for(request: HttpRequest, pk: int) -> ReplacementRequest:
    return get_object_or_404(selectors.request_list(user=request.user), pk=pk)


@pole_view
@access(STRUCTURE_ROLES, COORDINATION_ROLES)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:  # noqa: PLR0912, PLR0915 (one branch an action)
    replacement = _request_for(request, pk)
    coordinator = selectors.is_coordinator(request.user)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                offer = get_object_or_404(replacement.offers, pk=request.POST.get("offer") or 0)
                services.offer_confirm(offer=offer, actor=request.user)
                messages.success(request, f"{offer.substitute} est retenu·e.")
            elif action == "cancel":
                services.request_cancel(request=replacement, actor=request.user, reason=request.POST.get("reason", ""))
                messages.info(request, "Demande annulée ; les personnes sollicitées sont prévenues.")
            elif action == "release":
                booked_ids = [s.pk for s in selectors.booked_substitutes(replacement)]
                person = get_object_or_404(
                    Substitute.objects.filter(pk__in=booked_ids), pk=request.POST.get("substitute") or 0
                )
                services.request_release(
                    request=replacement, substitute=person, actor=request.user, reason=request.POST.get("reason", "")
                )
                messages.info(request, f"{person} est libéré·e ; ses créneaux sont proposés à d'autres.")
            elif action in ("validate", "reject"):
                sheet = get_object_or_404(Timesheet, request=replacement, pk=request.POST.get("timesheet") or 0)
                services.timesheet_review(
                    timesheet=sheet,
                    approve=action == "validate",
                    comment=request.POST.get("comment", ""),
                    actor=request.user,
                )
                messages.success(
                    request,
                    "Relevé d'heures validé." if action == "validate" else "Relevé renvoyé avec votre commentaire.",
                )
            elif action in ("favourite", "exclude", "unprefer"):
                person = get_object_or_404(
                    selectors.people_of_structure(replacement.structure), pk=request.POST.get("substitute") or 0
                )
                if action == "unprefer":
                    services.preference_remove(structure=replacement.structure, substitute=person, actor=request.user)
                    messages.info(request, f"{person} n'est plus dans vos préférences.")
                else:
                    kind = (
                        StructurePreference.Kind.FAVOURITE
                        if action == "favourite"
                        else StructurePreference.Kind.EXCLUDED
                    )
                    services.preference_set(
                        structure=replacement.structure, substitute=person, kind=kind, actor=request.user,
                        reason=request.POST.get("reason", ""),
                    )  # fmt: skip
                    messages.success(
                        request, f"{person} est {'parmi vos favori·tes' if action == 'favourite' else 'exclu·e'}."
                    )
            elif coordinator and action == "resend":
                count = services.request_resend(request=replacement, actor=request.user)
                messages.success(request, f"{count} relance(s) envoyée(s).")
            elif coordinator and action == "widen":
                sent = services.request_widen(request=replacement, actor=request.user)
                messages.success(request, f"{len(sent)} nouvelle(s) proposition(s) envoyée(s).")
            elif coordinator and action == "assign":
                person = get_object_or_404(Substitute, pk=request.POST.get("substitute") or 0)
                services.request_assign(
                    request=replacement, substitute=person, actor=request.user,
                    slot_ids=_ids(request.POST.getlist("slot")),
                )  # fmt: skip
                messages.success(request, f"{person} est affecté·e directement.")
            elif coordinator and action == "unfilled":
                services.request_unfilled(request=replacement, actor=request.user)
                messages.info(request, "Demande close comme non pourvue ; la structure est prévenue.")
            else:
                messages.error(request, "Action inconnue.")
            return redirect("remplacement:request", pk=replacement.pk)
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
            return redirect("remplacement:request", pk=replacement.pk)
    replacement = _request_for(request, pk)
    state = replacement.case.state
    bookings = selectors.slot_bookings(replacement)
    slots = [
        (slot, bookings.get(slot.pk, []), max(replacement.headcount - len(bookings.get(slot.pk, [])), 0))
        for slot in replacement.slots.all()
    ]
    offers_ = list(replacement.offers.select_related("substitute__user").prefetch_related("slots").order_by("rank"))
    volunteers = [o for o in offers_ if o.status == Offer.Status.VOLUNTEERED]
    preferences = {p.substitute_id: p for p in StructurePreference.objects.filter(structure=replacement.structure)}
    booked = selectors.booked_substitutes(replacement)
    context = {
        "r": replacement,
        "state": state,
        "state_label": _state_label(replacement),
        "active": state in (RequestState.OPEN, RequestState.OFFERED),
        # Nothing left to cancel or free once the last shift has ended (the hours come next).
        "cancellable": state in (RequestState.OPEN, RequestState.OFFERED, RequestState.FILLED)
        and replacement.last_slot_end > timezone.now(),
        "slots": slots,
        "staffing": selectors.request_staffing(replacement),
        "volunteers": volunteers,
        "booked": [(s, preferences.get(s.pk)) for s in booked],
        "offers_count": len(offers_),
        "pending_count": sum(1 for o in offers_ if o.status in PENDING_OFFER_STATUSES),
        "timesheets": list(replacement.timesheets.select_related("substitute__user").prefetch_related("lines")),
        "coordinator": coordinator,
    }
    if coordinator:
        ranked = selectors.request_ranking(replacement, explain=True) if context["active"] else None
        names = {}
        if ranked is not None:
            names = {
                s.pk: s
                for s in Substitute.objects.select_related("user").filter(
                    pk__in=[*ranked.ranking.ids.tolist(), *ranked.ranking.excluded]
                )
            }
        context.update(
            offers=offers_,
            candidates=[(c, names.get(c.substitute_id)) for c in ranked.ranking.candidates[:20]] if ranked else [],
            excluded=[(names.get(k), v) for k, v in ranked.ranking.excluded.items()] if ranked else [],
            preferences=[(p, p.substitute) for p in preferences.values()],
            events=replacement.events.select_related("actor")[:60],
            open_slots=selectors.open_slots(replacement),
        )
    return _render(request, "remplacement/request_detail.html", context)


def _state_label(replacement: ReplacementRequest) -> str:
    from workflows.engine import compiled_version

    return compiled_version(replacement.case.workflow_version_id).state_label(replacement.case.state)


@pole_view
@access(STRUCTURE_ROLES)
def preferences(request: HttpRequest) -> HttpResponse:
    """The structure's favourites and exclusions (the reasons of its own exclusions are its own)."""
    structures = selectors.structures_of(request.user)
    if not structures.exists() or selectors.is_coordinator(request.user):
        raise PermissionDenied("Réservé aux structures.")
    if request.method == "POST":
        preference = get_object_or_404(
            StructurePreference, pk=request.POST.get("preference") or 0, structure__in=structures
        )
        services.preference_remove(structure=preference.structure, substitute=preference.substitute, actor=request.user)
        messages.info(request, "Préférence retirée.")
        return redirect("remplacement:preferences")
    return _render(
        request,
        "remplacement/preferences.html",
        {
            "preferences": StructurePreference.objects.filter(structure__in=structures)
            .select_related("structure", "substitute__user")
            .order_by("structure__name", "kind")
        },
    )


# --- Coordinators -------------------------------------------------------------------------------------------
@pole_view
@access(COORDINATION_ROLES)
def board(request: HttpRequest) -> HttpResponse:
    _coordinator_or_403(request)
    try:
        days = min(max(int(request.GET.get("jours", 7) or 7), 1), 31)
    except ValueError:
        days = 7
    today = timezone.localdate()
    previous = today.replace(day=1) - dt.timedelta(days=1)
    columns = selectors.board(days=days)
    return _render(
        request,
        "remplacement/board.html",
        {
            "columns": [
                ("Ouvertes", columns[RequestState.OPEN]),
                ("En recherche", columns[RequestState.OFFERED]),
                ("Pourvues", columns[RequestState.FILLED]),
            ],
            "days": days,
            "export_month": previous,
            "now": timezone.now(),
        },
    )


@pole_view
@access(COORDINATION_ROLES)
def export(request: HttpRequest, year: int, month: int, by: str, fmt: str) -> HttpResponse:
    """The month's validated hours: `lines` (one per mission and shift, with the totals), `substitute`
    (payroll) or `structure` (billing), as CSV (French Excel) or XLSX."""
    _coordinator_or_403(request)
    if by not in ("substitute", "structure", "lines") or fmt not in ("csv", "xlsx") or not 1 <= month <= 12:
        raise Http404
    hours = selectors.month_hours(year=year, month=month)
    names = {"substitute": "remplacants", "structure": "structures", "lines": "detail"}
    name = f"remplacement-heures-{names[by]}-{year}-{month:02d}"
    if fmt == "csv":
        response = HttpResponse(exports.hours_csv(hours, by=by), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.hours_xlsx(hours, by=by, title=f"{year}-{month:02d}"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@pole_view
@access(SUBSTITUTE_ROLES, COORDINATION_ROLES)
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A document of a substitute's record: the person themself or a coordinator."""
    from core.downloads import file_response

    document = get_object_or_404(SubstituteDocument.objects.select_related("substitute"), pk=pk)
    if not selectors.is_coordinator(request.user) and document.substitute.user_id != request.user.pk:
        raise PermissionDenied("Ce document n'est pas le vôtre.")
    return file_response(document.file, filename=document.original_name)
