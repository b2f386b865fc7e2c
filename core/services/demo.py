"""The demo territory (Ille-et-Vilaine), created and filled idempotently.

Its configuration and site are the demo kit kept in the repository (`core/demo/kit/`: readable YAML and the
files of its images and documents), imported into a clone of the template: whatever the demo contains, the kit
path therefore carries. Its data (the directory of structures and operators, the poles' sample cases and
substitutes) is seeded on top, as a territory's data is never part of a kit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_tenants.utils import schema_context

from core.demo import directory
from core.kit.archive import kit_folder_pack
from core.models import CatalogueService, MunicipalityPartnership, Network, Operator, Structure
from core.plugins import hooks
from core.services.kit import kit_import
from tenants.models import Territory
from tenants.services import public_territory_ensure, template_ensure, territory_create

DEMO_CODE = "35"
DEMO_NAME = "Ille-et-Vilaine"
DEMO_SLUG = "ille-et-vilaine"
ADMIN_USERNAME = "admin"
DEMO_KIT = Path(__file__).resolve().parents[1] / "demo" / "kit"


@dataclass
class DemoCredentials:
    username: str
    password: str


def _admin_password() -> str:
    path = Path(settings.VAR_DIR) / "demo-admin-password.txt"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


def _admin_ensure(password: str) -> None:
    User = get_user_model()
    user = User.objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        User.objects.create_superuser(
            ADMIN_USERNAME,
            "admin@ille-et-vilaine.localhost",
            password,
            first_name="Administratrice",
            last_name="Plateforme",
        )
    elif not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])


def demo_kit_archive() -> bytes:
    """The demo kit (`core/demo/kit/`) as a kit archive."""
    return kit_folder_pack(DEMO_KIT)


def demo_content_import(*, territory: Territory) -> None:
    """Make `territory`'s configuration and site that of the demo kit (pages, images, documents, poles)."""
    kit_import(territory=territory, archive=demo_kit_archive())


def demo_territory_ensure(*, code: str = DEMO_CODE, name: str = DEMO_NAME, slug: str = DEMO_SLUG) -> Territory:
    """The demo territory as `make run` builds it, and as the tests use it: the public row and the template,
    then (once) a clone of the template that receives the demo kit, then the demo's directory and the poles'
    sample data (idempotent). Accounts are not created here. `make run` and the test suite both build the
    demo through this one function, so that the tests run on the data people see."""
    public_territory_ensure()
    template_ensure()
    territory = Territory.objects.filter(code=code).first()
    if territory is None:
        with transaction.atomic():
            territory = territory_create(code=code, name=name, slug=slug)
            demo_content_import(territory=territory)
    with schema_context(territory.schema_name):
        directory_seed()
        hooks(territory).demo_seed(territory=territory)
    return territory


def demo_setup() -> tuple[Territory, DemoCredentials]:
    """Public host, template, and the Ille-et-Vilaine territory with its site, directory and sample data, and
    the demo's admin account."""
    territory = demo_territory_ensure(code=DEMO_CODE, name=DEMO_NAME, slug=DEMO_SLUG)
    password = _admin_password()
    _admin_ensure(password)  # platform admins' back office on the public host
    with schema_context(territory.schema_name):
        _admin_ensure(password)
    return territory, DemoCredentials(ADMIN_USERNAME, password)


@transaction.atomic
def directory_seed() -> None:
    networks = {}
    for name, acronym, kind, description in directory.NETWORKS:
        networks[name], _ = Network.objects.get_or_create(
            name=name, defaults={"acronym": acronym, "kind": kind, "description": description}
        )
    for (
        name,
        kind,
        network,
        commune,
        insee,
        postcode,
        places,
        employees,
        fte,
        level,
        p_kind,
        municipality,
        amount,
        purchased,
        start,
    ) in directory.STRUCTURES:
        structure, created = Structure.objects.get_or_create(
            name=name,
            commune=commune,
            defaults={
                "kind": kind,
                "network": networks.get(network) if network else None,
                "commune_insee": insee,
                "postcode": postcode,
                "places": places,
                "employees": employees,
                "fte": Decimal(fte),
                "professionalisation": level,
                "email": f"direction@{name.lower().replace(' ', '-').replace(chr(39), '')}.example.org",
            },
        )
        if created:
            MunicipalityPartnership.objects.create(
                structure=structure,
                municipality=municipality,
                kind=p_kind,
                annual_amount=Decimal(amount) if amount else None,
                places_purchased=purchased,
                start_date=start,
            )
    for name, legal_form, description, services, communes, capacity in directory.OPERATORS:
        operator, _ = Operator.objects.get_or_create(
            name=name,
            defaults={
                "legal_form": legal_form,
                "description": description,
                "communes_covered": communes,
                "capacity": capacity,
            },
        )
        operator.services.add(*CatalogueService.objects.filter(code__in=services))
