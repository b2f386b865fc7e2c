"""Seed the reference list of qualifications and the `substitute` role (a Group) in every schema."""

from django.db import migrations

QUALIFICATIONS = [
    # code, label, short label, qualified staff, may replace
    ("eje", "Éducateur·rice de jeunes enfants", "EJE", True, ["auxiliaire_puericulture", "cap_aepe"]),
    ("infirmier_puericulteur", "Infirmier·e puériculteur·rice", "IPDE", True,
     ["infirmier", "auxiliaire_puericulture", "cap_aepe"]),
    ("infirmier", "Infirmier·e", "IDE", True, ["auxiliaire_puericulture", "cap_aepe"]),
    ("psychomotricien", "Psychomotricien·ne", "Psychomot.", True, ["auxiliaire_puericulture", "cap_aepe"]),
    ("auxiliaire_puericulture", "Auxiliaire de puériculture", "AP", True, ["cap_aepe"]),
    ("cap_aepe", "CAP Accompagnant éducatif petite enfance", "CAP AEPE", False, []),
]


def seed(apps, schema_editor):
    Qualification = apps.get_model("remplacement", "Qualification")
    Group = apps.get_model("auth", "Group")
    by_code = {}
    for order, (code, label, short, qualified, _) in enumerate(QUALIFICATIONS):
        by_code[code], _created = Qualification.objects.update_or_create(
            code=code, defaults={"label": label, "short_label": short, "is_qualified_staff": qualified, "order": order}
        )
    for code, *_rest, replaces in QUALIFICATIONS:
        by_code[code].satisfies.set([by_code[other] for other in replaces])
    Group.objects.get_or_create(name="substitute")


class Migration(migrations.Migration):
    dependencies = [("remplacement", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
