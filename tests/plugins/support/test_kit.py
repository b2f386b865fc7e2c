"""The poles' shipped configuration tables travel with a clone and with the territory kit."""

from core.kit.sections import kit_sections_all
from plugins.developpement.models import DeliberationTemplate
from plugins.support.models import ConventionTemplate, ProposalRule


def test_a_clone_of_the_template_keeps_the_poles_configuration_tables(other_territory, in_schema):
    with in_schema(other_territory):  # 22 is a clone of the template, never seeded by demo_seed
        assert ProposalRule.objects.exists()
        assert ConventionTemplate.objects.count() >= 2
        assert DeliberationTemplate.objects.exists()


def test_coded_sections_round_trip_and_apply_exactly_the_kit(tenant):
    sections = {section.code: section for section in kit_sections_all()}
    section = sections["support_proposal_rules"]
    items, files = section.export()
    assert items
    assert files == {}
    first_code = sorted(items)[0]
    edited = {code: dict(item) for code, item in items.items() if code != first_code}
    some_code = sorted(edited)[0]
    edited[some_code]["priority"] = 99

    section.apply(edited, {})

    assert not ProposalRule.objects.filter(code=first_code).exists()
    assert ProposalRule.objects.get(code=some_code).priority == 99
    assert section.export()[0] == edited
