"""Territory kits: export then import gives the same configuration; bad archives are refused, nothing changes."""

import io
import tarfile

import pytest
import yaml
from django.core.files.images import ImageFile
from django_tenants.utils import schema_context
from PIL import Image as PILImage

from core.kit.archive import KitError
from core.kit.sections import kit_sections_all
from core.models import CatalogueService
from core.services.kit import configuration_export, kit_export, kit_import
from tenants.models import TerritoryPole


def _png(color: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 6), color).save(buffer, "PNG")
    return buffer.getvalue()


def _customise(territory):
    from wagtail.images import get_image_model

    from cms.models import CharterPage

    with schema_context(territory.schema_name):
        image = get_image_model()(title="Logo du réseau")
        image.file = ImageFile(io.BytesIO(_png("red")), name="logo-reseau.png")
        image.save()
        charter = CharterPage.objects.get()
        charter.intro = "<p>Notre charte, adaptée au Finistère.</p>"
        charter.values = [("value", {"title": "Coopération", "explanation": "<p>Ensemble.</p>"})]
        charter.save_revision().publish()
        service = CatalogueService.objects.get(code="support-rh")
        service.summary = "Recrutement et formation, version locale."
        service.save()
        CatalogueService.objects.create(pole="support", code="support-local", title="Service local", summary="Ici.")
    TerritoryPole.objects.update_or_create(
        territory=territory, pole="developpement", defaults={"enabled": False, "settings": {"seuil": 2}}
    )


def _configuration(territory):
    with schema_context(territory.schema_name):
        return configuration_export()


def test_kit_round_trip_gives_the_same_configuration(territory, other_territory):
    _customise(territory)
    archive = kit_export(territory=territory)
    assert _configuration(territory) != _configuration(other_territory)
    report = kit_import(territory=other_territory, archive=archive)
    source_items, source_files = _configuration(territory)
    assert report.sections["catalogue"] == len(source_items["catalogue"])
    target_items, target_files = _configuration(other_territory)
    assert target_items == source_items
    assert target_files["media"] == source_files["media"]
    assert any(key.startswith("image:") for key in target_items["media"])


def test_kit_archive_is_readable_yaml(territory):
    archive = kit_export(territory=territory)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        manifest = yaml.safe_load(tar.extractfile("kit.yaml").read())
        catalogue = yaml.safe_load(tar.extractfile("sections/catalogue.yaml").read())
    assert manifest["format"] == "ppe-kit/1"
    assert manifest["source"]["code"] == "35"
    assert {"catalogue", "poles", "roles", "pages", "media"} <= set(manifest["sections"])
    assert catalogue["support-paie"]["pole"] == "support"


def _rewrite(archive: bytes, change) -> bytes:
    members = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for info in tar:
            members[info.name] = tar.extractfile(info).read()
    change(members)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _set_format(members, fmt):
    manifest = yaml.safe_load(members["kit.yaml"])
    manifest["format"] = fmt
    members["kit.yaml"] = yaml.safe_dump(manifest).encode()


def _tamper_catalogue(members):
    members["sections/catalogue.yaml"] = members["sections/catalogue.yaml"].replace(b"support", b"pirate")


def _unknown_section(members):
    manifest = yaml.safe_load(members["kit.yaml"])
    manifest["sections"]["inconnue"] = {"version": 1, "file": "sections/inconnue.yaml", "sha256": "x"}
    members["kit.yaml"] = yaml.safe_dump(manifest).encode()


def _section_version(members):
    manifest = yaml.safe_load(members["kit.yaml"])
    manifest["sections"]["catalogue"]["version"] = 9
    members["kit.yaml"] = yaml.safe_dump(manifest).encode()


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda archive: b"ceci n'est pas une archive", "Archive illisible"),
        (lambda archive: archive[: len(archive) // 2], "Archive"),
        (lambda archive: _rewrite(archive, lambda m: m.pop("kit.yaml")), "le manifeste kit.yaml manque"),
        (
            lambda archive: _rewrite(archive, lambda m: _set_format(m, "ppe-kit/2")),
            "Version de kit non prise en charge",
        ),
        (lambda archive: _rewrite(archive, lambda m: _set_format(m, "autre-chose/1")), "Format inconnu"),
        (lambda archive: _rewrite(archive, _tamper_catalogue), "somme de contrôle"),
        (lambda archive: _rewrite(archive, _unknown_section), "Section inconnue"),
        (lambda archive: _rewrite(archive, _section_version), "est au format 9"),
    ],
)
def test_a_corrupt_or_foreign_kit_is_refused_and_changes_nothing(territory, other_territory, spoil, message):
    _customise(territory)
    archive = spoil(kit_export(territory=territory))
    before = _configuration(other_territory)
    with pytest.raises(KitError, match=message):
        kit_import(territory=other_territory, archive=archive)
    assert _configuration(other_territory) == before


def test_a_failing_section_rolls_the_whole_import_back(territory, other_territory, monkeypatch):
    _customise(territory)
    archive = kit_export(territory=territory)
    before = _configuration(other_territory)
    import cms.kit

    def broken(items, files):
        raise RuntimeError("panne")

    sections = [s if s.code != "pages" else type(s)(**{**s.__dict__, "apply": broken}) for s in cms.kit.CMS_SECTIONS]
    monkeypatch.setattr(cms.kit, "CMS_SECTIONS", sections)
    refused = r"« Pages du site » du kit n'a pas pu être appliquée.*Rien n'a été modifié"
    with pytest.raises(KitError, match=refused) as error:
        kit_import(territory=other_territory, archive=archive)
    assert "panne" not in str(error.value)  # never the raw exception text
    assert _configuration(other_territory) == before


def test_kit_sections(tenant):
    codes = [section.code for section in kit_sections_all()]
    assert codes.index("roles") < codes.index("media") < codes.index("pages")
    assert {"catalogue", "poles", "roles", "media", "pages"} <= set(codes)


def test_kit_import_recreates_a_missing_page_and_removes_an_extra_one(territory, other_territory):
    from cms.models import CharterPage

    _customise(territory)
    archive = kit_export(territory=territory)
    with schema_context(other_territory.schema_name):
        CharterPage.objects.get().delete()
    kit_import(territory=other_territory, archive=archive)
    with schema_context(other_territory.schema_name):
        charter = CharterPage.objects.get()
        assert charter.live
        assert charter.intro == "<p>Notre charte, adaptée au Finistère.</p>"
        assert charter.values[0].value["title"] == "Coopération"

    # the recreated page comes last among its siblings (Wagtail appends): same pages otherwise
    def without_positions(pages):
        return {key: {k: v for k, v in item.items() if k != "position"} for key, item in pages.items()}

    target, source = _configuration(other_territory)[0]["pages"], _configuration(territory)[0]["pages"]
    assert without_positions(target) == without_positions(source)
