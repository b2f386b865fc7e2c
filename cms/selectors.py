"""Reads of the public site: the territory's active poles, its catalogue and its ESS operators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from wagtail.models import Page

from core.models import CatalogueService, Operator
from core.plugins import active_poles

#: Slug of the public request form page (service pages link to it with `?service=<code>`).
REQUEST_PAGE_SLUG = "demande"
PRIVACY_PAGE_SLUG = "donnees-personnelles"


def active_pole_codes() -> set[str]:
    return set(active_poles())


def pole_list() -> dict[str, dict[str, Any]]:
    """The territory's active poles, in settings order: `{code: {"code", "label", "description"}}`."""
    return {
        code: {"code": code, "label": str(config.pole_label), "description": str(config.pole_description)}
        for code, config in active_poles().items()
    }


def catalogue_service_list(*, pole: str | None = None, audience: str | None = None) -> QuerySet[CatalogueService]:
    """Offered services of the active poles (of one pole, or for one audience, when given)."""
    services = CatalogueService.objects.filter(is_active=True, pole__in=active_pole_codes())
    if pole:
        services = services.filter(pole=pole)
    if audience:
        services = services.filter(audience=audience)
    return services.order_by("pole", "title")


def catalogue_service_get(*, code: str) -> CatalogueService | None:
    return catalogue_service_list().filter(code=code).first()


def catalogue_by_pole(*, pole: str | None = None, audience: str | None = None) -> list[dict[str, Any]]:
    """The catalogue grouped by pole, in the poles' order: `[{"pole": {...}, "services": [...]}, ...]`."""
    poles = pole_list()
    by_pole: dict[str, list[CatalogueService]] = {code: [] for code in poles}
    for service in catalogue_service_list(pole=pole, audience=audience):
        by_pole[service.pole].append(service)
    return [{"pole": poles[code], "services": services} for code, services in by_pole.items() if services]


def operator_list(*, service: CatalogueService | None = None) -> list[Operator]:
    """Active ESS operators (those carrying out `service` when given), each with `offered` (its services of
    the active poles) and `area` (the communes it covers; empty for the whole département)."""
    operators = Operator.objects.filter(is_active=True).prefetch_related(
        Prefetch("services", queryset=catalogue_service_list(), to_attr="offered")
    )
    if service is not None:
        operators = operators.filter(services=service)
    result = list(operators.distinct())
    for operator in result:
        operator.area = [line.strip() for line in operator.communes_covered.splitlines() if line.strip()]
    return result


def request_page_get() -> Page | None:
    """The live public request form page of the territory, if it has one."""
    return Page.objects.live().filter(slug=REQUEST_PAGE_SLUG).order_by("depth").first()


def request_page_offered_get() -> Page | None:
    """The request form page, when it has a form to offer (its pole switched on): what the pages link."""
    page = request_page_get()
    return page if page is not None and request_page_offered(page) else None


def service_spec(*, service: CatalogueService):
    """The shipped `CatalogueServiceSpec` of a catalogue service (where and how it is asked for), if its
    pole is active and still ships it."""
    from core.plugins import results_by_pole

    for spec in results_by_pole("catalogue_services").get(service.pole) or []:
        if spec.code == service.code:
            return spec
    return None


def request_url(*, service: CatalogueService) -> str | None:
    """Where the public asks for `service`: its pole's own page, or the public request page (with the
    service's own workflow when it names one)."""
    spec = service_spec(service=service)
    if spec is not None and spec.request_path:
        return spec.request_path
    page = request_page_get()
    if page is None:
        return None
    workflow = (spec.request_workflow if spec is not None else "") or getattr(page.specific, "workflow_code", "")
    if not workflow_offered(workflow):
        return None  # no form to offer for it here
    return f"{page.url}?service={service.code}"


def workflow_offered(code: str) -> bool:
    """Whether the public may open a case of `code`: published, and its pole switched on in the territory."""
    from core.plugins import disabled_poles
    from workflows.selectors import workflow_published_version

    version = workflow_published_version(code=code) if code else None
    return version is not None and not (version.definition.pole and version.definition.pole in disabled_poles())


def request_page_offered(page: Page) -> bool:
    """Whether the request form page has a form to offer (its workflow published, its pole switched on): the
    menus link it only then."""
    return workflow_offered(getattr(page.specific, "workflow_code", ""))


def request_workflow_for(*, default: str, service: CatalogueService | None) -> str:
    """The workflow whose opening form the public request page shows: the service's own, or the page's."""
    spec = service_spec(service=service) if service is not None else None
    return spec.request_workflow if spec is not None and spec.request_workflow else default


@dataclass(frozen=True)
class RequestForm:
    """The opening form of a published workflow, as the engine defines it, and a Django form to render it."""

    workflow: str
    name: str
    version_id: int
    spec: Any
    form_class: type
    description: str = ""


def request_form_get(*, workflow: str) -> RequestForm | None:
    """The opening form of the published version of `workflow`; None when there is none, or when its pole is
    switched off in the territory."""
    from core.plugins import disabled_poles
    from workflows.engine import compiled_version
    from workflows.forms import django_form_class
    from workflows.selectors import workflow_published_version

    version = workflow_published_version(code=workflow)
    if version is None or (version.definition.pole and version.definition.pole in disabled_poles()):
        return None
    compiled = compiled_version(version.pk)
    spec = compiled.forms.get(compiled.open_form) if compiled.open_form else None
    if spec is None:
        return None
    return RequestForm(
        workflow=workflow,
        name=compiled.name,
        version_id=version.pk,
        spec=spec,
        form_class=django_form_class(spec),
        description=version.definition.description,
    )


def request_form_check(*, request_form: RequestForm, data: dict, files: dict | None = None) -> dict:
    """Validate a submission against the opening form without opening anything (FormInvalid otherwise)."""
    from workflows.engine import compiled_version
    from workflows.forms import form_validate

    compiled = compiled_version(request_form.version_id)
    return form_validate(
        request_form.spec,
        data=data,
        files=files,
        context={"actor": {"roles": [], "id": None}},
        functions=compiled.functions,
        field_types=compiled.field_types,
    )


def privacy_page_get() -> Page | None:
    return Page.objects.live().filter(slug=PRIVACY_PAGE_SLUG).order_by("depth").first()
