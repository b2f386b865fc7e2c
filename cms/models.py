"""The public site of a territory (Wagtail pages).

Every page type derives from `SitePage`, whose `serve` tells the page cache (`cms.cache`) whether the response
may be kept: only anonymous GETs without query string, or with the few filters a page declares and
recognises.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms import selectors
from cms.blocks import BodyBlock, KeyFiguresBlock, ValueBlock
from cms.cache import mark_cacheable
from cms.forms import RequestFormPageAdminForm
from core.models import CatalogueService

__all__ = [
    "CatalogueIndexPage",
    "CharterPage",
    "ContactPage",
    "ContentPage",
    "HomePage",
    "KeyFiguresPage",
    "LegalPage",
    "NewsArticlePage",
    "NewsIndexPage",
    "OperatorDirectoryPage",
    "RequestFormPage",
    "ServicePage",
    "SiteDraft",
    "SitePage",
    "ValueBlock",
]

_SIMPLE_FEATURES = ["bold", "italic", "link", "ul"]


class SitePage(Page):
    """Base of every public page type: cacheable by default."""

    #: Query parameters the page understands; a request with any other one is never cached.
    cache_query_params: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def cache_allows(self, request: HttpRequest) -> bool:
        """Whether this request's response may be cached (its query parameters are known and valid)."""
        return set(request.GET) <= set(self.cache_query_params)

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().serve(request, *args, **kwargs)
        if self.cache_allows(request):
            mark_cacheable(response)
        return response


class HomePage(SitePage):
    """The territory's home page: what the platform does, its poles, the latest news."""

    intro = RichTextField(_("introduction"), blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("contenu"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    subpage_types = [
        "cms.CharterPage",
        "cms.CatalogueIndexPage",
        "cms.OperatorDirectoryPage",
        "cms.KeyFiguresPage",
        "cms.NewsIndexPage",
        "cms.ContactPage",
        "cms.LegalPage",
        "cms.ContentPage",
        "cms.RequestFormPage",
    ]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("page d'accueil")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["poles"] = selectors.pole_list()
        context["catalogue"] = CatalogueIndexPage.objects.live().descendant_of(self).first()
        context["news"] = NewsArticlePage.objects.live().descendant_of(self).order_by("-date", "-pk")[:3]
        context["request_page"] = selectors.request_page_offered_get()
        return context


class CharterPage(SitePage):
    """The values charter shared by the network (based on UNIOPSS's), which a territory may adapt."""

    intro = RichTextField(_("introduction"), blank=True)
    values = StreamField([("value", ValueBlock())], verbose_name=_("valeurs"), blank=True)
    adaptation = RichTextField(
        _("adaptation au territoire"),
        blank=True,
        features=_SIMPLE_FEATURES,
        help_text=_("Ce que le territoire a ajouté ou précisé par rapport à la charte commune du réseau."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("values"), FieldPanel("adaptation")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("values")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("charte des valeurs")


class CatalogueIndexPage(SitePage):
    """The service catalogue: the services of the territory's active poles, by pole and by audience."""

    intro = RichTextField(_("introduction"), blank=True, features=_SIMPLE_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ServicePage"]
    max_count_per_parent = 1
    cache_query_params = ("pole", "public")

    class Meta:
        verbose_name = _("catalogue des services")

    def _filters(self, request: HttpRequest) -> tuple[str | None, str | None, bool]:
        pole, audience = request.GET.get("pole") or None, request.GET.get("public") or None
        valid = (pole is None or pole in selectors.active_pole_codes()) and (
            audience is None or audience in CatalogueService.Audience.values
        )
        return pole, audience, valid

    def cache_allows(self, request: HttpRequest) -> bool:
        return super().cache_allows(request) and self._filters(request)[2]

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        context = super().get_context(request, *args, **kwargs)
        pole, audience, valid = self._filters(request)
        if not valid:
            pole = audience = None
        service_pages = {
            page.service_id: page for page in ServicePage.objects.live().child_of(self).select_related("service")
        }
        groups = selectors.catalogue_by_pole(pole=pole, audience=audience)
        for group in groups:
            for service in group["services"]:
                service.page = service_pages.get(service.pk)
                service.request_url = selectors.request_url(service=service)
                spec = selectors.service_spec(service=service)
                service.request_label = spec.request_label if spec is not None else ""
        context.update(
            groups=groups,
            pole_filter=pole,
            audience_filter=audience,
            poles=selectors.pole_list(),
            audiences=CatalogueService.Audience.choices,
            request_page=selectors.request_page_offered_get(),
            filters_invalid=not valid,
        )
        return context


class ServicePage(SitePage):
    """An editable page about one catalogue service, with a way to ask for it."""

    service = models.ForeignKey(
        CatalogueService,
        verbose_name=_("service du catalogue"),
        on_delete=models.PROTECT,
        related_name="pages",
    )
    intro = models.TextField(_("chapeau"), blank=True, help_text=_("Vide : le résumé du service du catalogue."))
    body = StreamField(BodyBlock(), verbose_name=_("contenu"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("service"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.CatalogueIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("page de service")

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.service.pole not in selectors.active_pole_codes() or not self.service.is_active:
            raise Http404("Ce service n'est pas proposé sur ce territoire.")
        return super().serve(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["pole"] = selectors.pole_list().get(self.service.pole)
        context["operators"] = selectors.operator_list(service=self.service)
        context["request_url"] = selectors.request_url(service=self.service)
        spec = selectors.service_spec(service=self.service)
        context["request_label"] = spec.request_label if spec is not None else ""
        return context


class OperatorDirectoryPage(SitePage):
    """The ESS operators of the territory: the services each carries out and the area it covers."""

    intro = RichTextField(_("introduction"), blank=True, features=_SIMPLE_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    cache_query_params = ("service",)

    class Meta:
        verbose_name = _("annuaire des opérateurs ESS")

    def _service(self, request: HttpRequest) -> tuple[CatalogueService | None, bool]:
        code = request.GET.get("service")
        if not code:
            return None, True
        service = selectors.catalogue_service_get(code=code)
        return service, service is not None

    def cache_allows(self, request: HttpRequest) -> bool:
        return super().cache_allows(request) and self._service(request)[1]

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        context = super().get_context(request, *args, **kwargs)
        service, _valid = self._service(request)
        context["service_filter"] = service
        context["operators"] = selectors.operator_list(service=service)
        context["services"] = selectors.catalogue_service_list()
        return context


class KeyFiguresPage(SitePage):
    """Key figures of the sector, editable, with charts drawn on the server and their text alternatives."""

    intro = RichTextField(_("introduction"), blank=True, features=_SIMPLE_FEATURES)
    body = StreamField(KeyFiguresBlock(), verbose_name=_("chiffres et graphiques"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("chiffres clés")


class NewsIndexPage(SitePage):
    """The news of the territory, newest first, ten a page."""

    intro = RichTextField(_("introduction"), blank=True, features=_SIMPLE_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsArticlePage"]
    max_count_per_parent = 1
    cache_query_params = ("page",)
    per_page = 10

    class Meta:
        verbose_name = _("actualités")

    def _page_number(self, request: HttpRequest) -> int | None:
        raw = request.GET.get("page", "1")
        return int(raw) if raw.isdigit() and 0 < len(raw) <= 4 else None

    def cache_allows(self, request: HttpRequest) -> bool:
        return super().cache_allows(request) and self._page_number(request) is not None

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        context = super().get_context(request, *args, **kwargs)
        articles = NewsArticlePage.objects.live().child_of(self).order_by("-date", "-pk")
        paginator = Paginator(articles, self.per_page)
        try:
            context["articles"] = paginator.page(self._page_number(request) or 1)
        except EmptyPage:
            raise Http404("Cette page d'actualités n'existe pas.") from None
        return context


class NewsArticlePage(SitePage):
    date = models.DateField(_("date de publication"))
    intro = models.CharField(_("chapeau"), max_length=300)
    body = StreamField(BodyBlock(), verbose_name=_("contenu"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("date"), FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("actualité")
        verbose_name_plural = _("actualités")


class ContactPage(SitePage):
    """How to reach the platform of the territory."""

    intro = RichTextField(_("introduction"), blank=True, features=_SIMPLE_FEATURES)
    organisation = models.CharField(_("organisme"), max_length=200, blank=True)
    address = models.TextField(_("adresse postale"), blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    opening_hours = models.CharField(_("horaires"), max_length=200, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("contenu"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                FieldPanel("organisation"),
                FieldPanel("address"),
                FieldPanel("email"),
                FieldPanel("phone"),
                FieldPanel("opening_hours"),
            ],
            heading=_("Coordonnées"),
        ),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("contact")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["request_page"] = selectors.request_page_offered_get()
        return context


class LegalPage(SitePage):
    """A legal page (mentions légales, données personnelles), linked from every page's footer."""

    body = StreamField(BodyBlock(), verbose_name=_("contenu"))
    last_updated = models.DateField(_("dernière mise à jour"), null=True, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("body"), FieldPanel("last_updated")]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("page légale")
        verbose_name_plural = _("pages légales")


class ContentPage(SitePage):
    """A free page (the platform's approach, its history...)."""

    intro = RichTextField(_("introduction"), blank=True, features=_SIMPLE_FEATURES)
    body = StreamField(BodyBlock(), verbose_name=_("contenu"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    subpage_types = ["cms.ContentPage"]

    class Meta:
        verbose_name = _("page de contenu")


#: The workflow a new request form page opens: the support pole's request for help.
DEFAULT_REQUEST_WORKFLOW = "support-accompagnement"


class RequestFormPage(SitePage):
    """The public request form: it renders the opening form of a workflow (the support pole's by default) and
    opens a case with it. Admins change the form in the workflow editor, without code. Never cached."""

    intro = RichTextField(_("introduction"), blank=True, features=_SIMPLE_FEATURES)
    workflow_code = models.CharField(
        _("type de dossier ouvert"),
        max_length=80,
        default=DEFAULT_REQUEST_WORKFLOW,
        help_text=_("Le workflow publié dont le formulaire d'ouverture est proposé au public."),
    )
    privacy_notice = RichTextField(
        _("information sur les données personnelles"),
        features=_SIMPLE_FEATURES,
        help_text=_("Affichée au-dessus de la case de consentement."),
    )
    thank_you = RichTextField(
        _("message de remerciement"), blank=True, features=_SIMPLE_FEATURES, help_text=_("Affiché après l'envoi.")
    )

    base_form_class = RequestFormPageAdminForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("privacy_notice"),
        FieldPanel("thank_you"),
    ]
    settings_panels = [FieldPanel("workflow_code"), *Page.settings_panels]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("formulaire de demande")

    def cache_allows(self, request: HttpRequest) -> bool:
        return False  # a CSRF token, the visitor's answers and errors

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from cms.views import request_form_serve

        return request_form_serve(self, request)


class SiteDraft(models.Model):
    """The site of a new territory while it is a draft (a clone not yet published): the pages to put online on
    publication, and what named the source territory when it was cloned (for the checklist)."""

    created_at = models.DateTimeField(_("brouillon depuis"), auto_now_add=True)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    held_back = models.JSONField(_("pages à publier"), default=list, help_text="[page id]")
    source_names = models.JSONField(_("noms du territoire source"), default=list)
    source_emails = models.JSONField(_("adresses montrées par le site cloné"), default=list)
    initial_hits = models.JSONField(
        _("ce qui nommait la source au clonage"), default=list, help_text="[[page id, field, kind, what]]"
    )

    class Meta:
        verbose_name = _("brouillon du site")
        verbose_name_plural = _("brouillons du site")

    def __str__(self) -> str:
        return f"Brouillon du {self.created_at:%d/%m/%Y}"
