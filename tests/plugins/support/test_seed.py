"""The pole's rules and convention templates seed each territory; an upgrade never overwrites admins' edits."""

import yaml

from plugins.support.models import ConventionTemplate, ProposalRule
from plugins.support.services import DATA, support_seed


def test_a_new_territory_has_the_shipped_rules_and_templates(tenant):
    shipped = yaml.safe_load((DATA / "proposal_rules.yaml").read_text())
    assert set(ProposalRule.objects.values_list("code", flat=True)) == {rule["code"] for rule in shipped}
    assert set(ConventionTemplate.objects.values_list("party", flat=True)) == {"structure", "operator"}


def test_every_shipped_rule_is_valid(tenant):
    for rule in ProposalRule.objects.all():
        rule.full_clean()  # CEL compiles, runs on a sample profile, names a catalogue service


def test_seeding_twice_changes_nothing(tenant):
    reports = support_seed()
    assert reports["rules"].created == reports["rules"].updated == []
    assert reports["templates"].created == reports["templates"].updated == []


def test_an_upgrade_updates_untouched_rows_and_keeps_admins_changes(tenant, tmp_path):
    edited = ProposalRule.objects.get(code="paie-a-externaliser")
    edited.condition = "profile.axes.paie < 30"  # an admin's change
    edited.save()
    rules = yaml.safe_load((DATA / "proposal_rules.yaml").read_text())
    for rule in rules:
        rule["reason"] += " (version 2)"
    rules.append(
        {"code": "nouvelle", "name": "Nouvelle", "condition": "profile.global < 20", "service_code": "support-rh",
         "priority": 10, "reason": "Nouvelle règle."}
    )  # fmt: skip
    upgraded = tmp_path / "rules.yaml"
    upgraded.write_text(yaml.safe_dump(rules, allow_unicode=True))

    report = support_seed(rules_file=upgraded)["rules"]

    assert report.created == ["nouvelle"]
    assert "comptabilite-a-reprendre" in report.updated
    assert report.kept_local_changes == ["paie-a-externaliser"]
    edited.refresh_from_db()
    assert edited.condition == "profile.axes.paie < 30"
    assert not edited.reason.endswith("(version 2)")
    assert ProposalRule.objects.get(code="comptabilite-a-reprendre").reason.endswith("(version 2)")
