"""The public request form page's view: parse the submission, call one service, render."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from cms import selectors
from cms.forms import RequestExtrasForm
from cms.ratelimit import client_address, rate_limit_hit
from cms.services import request_submit
from workflows.exceptions import FormInvalid
from workflows.forms import raw_values

if TYPE_CHECKING:
    from cms.models import RequestFormPage

THANKS_SALT = "cms.request-form.thanks"
THANKS_MAX_AGE = 24 * 3600
AUTOCOMPLETE = {"email": "email", "phone": "tel", "postcode": "postal-code"}


def _thanks_url(page: RequestFormPage, reference: str) -> str:
    return f"{page.url}?envoi={signing.dumps(reference, salt=THANKS_SALT)}"


def _form_errors(form: Any, exc: FormInvalid) -> None:
    """Show the engine's validation errors (French) on the rendered form, each on its field."""
    errors = ErrorDict()
    for code, messages in exc.errors.items():
        key = code if code in form.fields else "__all__"
        errors.setdefault(key, form.error_class(error_class="nonfield" if key == "__all__" else None))
        errors[key].extend(messages)
    form._errors = errors


def _decorate(form: Any, spec: Any) -> None:
    """Accessible attributes: errors and help tied to their field, input purposes for autofill."""
    types = {f.code: f.type for f in spec.input_fields()}
    for name, field in form.fields.items():
        bound = form[name]
        if types.get(name) in AUTOCOMPLETE:
            field.widget.attrs["autocomplete"] = AUTOCOMPLETE[types[name]]
        if bound.use_fieldset:
            continue
        described = [f"{bound.auto_id}_error"] if form.is_bound and form.errors.get(name) else []
        if field.help_text:
            described.append(f"{bound.auto_id}_helptext")
        if described:
            field.widget.attrs["aria-describedby"] = " ".join(described)


def _sections(spec: Any, form: Any) -> list[dict[str, Any]]:
    """The form's fields grouped under its sections (each a fieldset with its legend)."""
    sections: list[dict[str, Any]] = [{"legend": None, "help": [], "fields": []}]
    for field in spec.fields:
        if field.type == "section":
            sections.append({"legend": field.label, "help": [], "fields": []})
        elif field.type == "help":
            sections[-1]["help"].append(field.label)
        elif field.code in form.fields:
            sections[-1]["fields"].append(form[field.code])
    return [s for s in sections if s["fields"] or s["help"]]


def _initial(spec: Any, service: Any) -> dict[str, Any]:
    """Tick the need that matches the requested service (`support-paie` → the choice `paie`), if any."""
    if service is None or "-" not in service.code:
        return {}
    suffix = service.code.split("-", 1)[1]
    for field in spec.input_fields():
        values = {str(choice.get("value")) for choice in field.options.get("choices") or []}
        if field.type in ("choice", "multichoice") and suffix in values:
            return {field.code: [suffix] if field.type == "multichoice" else suffix}
    return {}


def _submitted_data(spec: Any, request: HttpRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    return raw_values(spec, request.POST, request.FILES)


def request_form_serve(page: RequestFormPage, request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"page": page, "self": page, "request": request}
    token = request.GET.get("envoi")
    if token is not None:
        try:
            context["reference"] = signing.loads(token, salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
        except signing.BadSignature:
            raise Http404("Ce lien de confirmation n'est pas valable.") from None
        return TemplateResponse(request, "cms/request_form_thanks.html", context)

    code = request.GET.get("service")
    service = selectors.catalogue_service_get(code=code) if code else None
    workflow = selectors.request_workflow_for(default=page.workflow_code, service=service)
    request_form = selectors.request_form_get(workflow=workflow)
    if request_form is None:
        return TemplateResponse(request, "cms/request_form_page.html", {**context, "unavailable": True})
    if workflow != page.workflow_code:  # the service's own form (joining the substitutes' pool...)
        context["workflow_form"] = request_form
    status = 200
    limited = False
    if request.method == "POST":
        form = request_form.form_class(data=request.POST, files=request.FILES)
        extras = RequestExtrasForm(data=request.POST)
        if extras.is_robot():
            return HttpResponseRedirect(_thanks_url(page, ""))
        if rate_limit_hit(
            scope="request-form",
            ident=client_address(request),
            limit=settings.PPE_REQUEST_FORM_LIMIT_PER_HOUR,
            window_seconds=3600,
        ):
            limited, status = True, 429
            form._errors = ErrorDict()
        else:
            data, files = _submitted_data(request_form.spec, request)
            consent = extras.is_valid()
            try:
                if consent:
                    case = request_submit(workflow=workflow, data=data, files=files)
                    return HttpResponseRedirect(_thanks_url(page, case.reference))
                selectors.request_form_check(request_form=request_form, data=data, files=files)
                form._errors = ErrorDict()
            except FormInvalid as exc:
                _form_errors(form, exc)
    else:
        form = request_form.form_class(initial=_initial(request_form.spec, service))
        extras = RequestExtrasForm()
    _decorate(form, request_form.spec)
    errors = [
        (form[name].auto_id if name in form.fields else "", message)
        for name, messages in (form.errors.items() if form.is_bound else [])
        for message in messages
    ]
    if extras.is_bound and extras.errors.get("consent"):
        errors += [(extras["consent"].auto_id, message) for message in extras.errors["consent"]]
    context.update(
        form=form,
        extras=extras,
        sections=_sections(request_form.spec, form),
        form_name=request_form.name,
        service=service,
        errors=errors,
        limited=limited,
        privacy_page=selectors.privacy_page_get(),
        files_again=bool(errors and request.FILES),  # a page never gives back the files it was sent
    )
    return TemplateResponse(request, "cms/request_form_page.html", context, status=status)
