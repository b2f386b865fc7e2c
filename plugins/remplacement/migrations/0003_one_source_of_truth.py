"""One source of truth: a replacement request's state is its case's (the django-fsm `state` and the single
`substitute` go; bookings, offers and timesheets become per shift and per person), the staffing context is
stated as the rules need it, and the pool gets documents, favourites and exclusions.

Existing rows: every request must have its case (the pole opened one for each request since 0001); the
children present become « children who walk » (the old form did not tell them apart) and the old count of
professionals present, which named no qualification, is dropped (an empty list: the next data edit states it).
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


def requests_have_cases(apps, schema_editor):
    ReplacementRequest = apps.get_model("remplacement", "ReplacementRequest")
    orphans = ReplacementRequest.objects.filter(case__isnull=True).count()
    if orphans:
        raise RuntimeError(
            f"{orphans} replacement request(s) have no case in schema {schema_editor.connection.schema_name}: "
            "open their remplacement-demande cases before migrating (each request's state is its case's now)."
        )


def children_kept(apps, schema_editor):
    ReplacementRequest = apps.get_model("remplacement", "ReplacementRequest")
    ReplacementRequest.objects.update(children_walking=models.F("children_present"))


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_comments_attachment_visibility'),
        ('remplacement', '0002_qualifications'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(requests_have_cases, migrations.RunPython.noop),
        migrations.CreateModel(
            name='StructurePreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('favori', 'Favori·te'), ('exclu', 'Exclu·e')], max_length=10, verbose_name='type')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='motif')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': "préférence d'une structure",
                'verbose_name_plural': 'préférences des structures',
            },
        ),
        migrations.CreateModel(
            name='SubstituteDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('diplome', 'Diplôme'), ('casier', 'Extrait de casier judiciaire (bulletin n° 3)'), ('vaccins', 'Vaccinations à jour'), ('identite', "Pièce d'identité"), ('autre', 'Autre justificatif')], max_length=10, verbose_name='type')),
                ('file', models.FileField(upload_to='remplacement/documents/', verbose_name='fichier')),
                ('original_name', models.CharField(max_length=200, verbose_name='nom du fichier')),
                ('issued_on', models.DateField(blank=True, null=True, verbose_name='délivré le')),
                ('expires_on', models.DateField(blank=True, db_index=True, null=True, verbose_name="valable jusqu'au")),
                ('verified_at', models.DateTimeField(blank=True, null=True, verbose_name='vérifié le')),
                ('uploaded_at', models.DateTimeField(auto_now_add=True, verbose_name='déposé le')),
            ],
            options={
                'verbose_name': 'document du ou de la remplaçant·e',
                'verbose_name_plural': 'documents des remplaçant·es',
                'ordering': ['substitute', 'kind', '-uploaded_at'],
            },
        ),
        migrations.RemoveIndex(
            model_name='replacementrequest',
            name='remplacement_req_state_start',
        ),
        migrations.RemoveField(
            model_name='replacementrequest',
            name='children_per_staff',
        ),
        migrations.RemoveField(
            model_name='replacementrequest',
            name='state',
        ),
        migrations.RemoveField(
            model_name='replacementrequest',
            name='substitute',
        ),
        migrations.AddField(
            model_name='assignment',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name='offer',
            name='direct',
            field=models.BooleanField(default=False, verbose_name='affectation directe'),
        ),
        migrations.AddField(
            model_name='offer',
            name='notified_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='courriel envoyé le'),
        ),
        migrations.AddField(
            model_name='offer',
            name='reminded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='relancée le'),
        ),
        migrations.AddField(
            model_name='offer',
            name='slots',
            field=models.ManyToManyField(related_name='offers', to='remplacement.requestslot', verbose_name='créneaux proposés'),
        ),
        migrations.AddField(
            model_name='replacementrequest',
            name='allow_split',
            field=models.BooleanField(default=True, verbose_name='plusieurs personnes possibles sur les créneaux'),
        ),
        migrations.AddField(
            model_name='replacementrequest',
            name='calendar_sequence',
            field=models.PositiveIntegerField(default=0, verbose_name='version du calendrier'),
        ),
        migrations.AddField(
            model_name='replacementrequest',
            name='children_not_walking',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='enfants qui ne marchent pas'),
        ),
        migrations.AddField(
            model_name='replacementrequest',
            name='children_walking',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='enfants qui marchent'),
        ),
        migrations.AddField(
            model_name='replacementrequest',
            name='exhausted_notified_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='plus de candidat·es signalé le'),
        ),
        migrations.AddField(
            model_name='replacementrequest',
            name='headcount',
            field=models.PositiveSmallIntegerField(default=1, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(10)], verbose_name='personnes par créneau'),
        ),
        migrations.AddField(
            model_name='replacementrequest',
            name='ratio_mode',
            field=models.CharField(choices=[('marche', '1 adulte pour 5 enfants qui ne marchent pas et 1 pour 8 qui marchent'), ('uniforme', '1 adulte pour 6 enfants')], default='marche', max_length=10, verbose_name="taux d'encadrement appliqué"),
        ),
        migrations.AddField(
            model_name='replacementrequest',
            name='unfilled_notified_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='non pourvue signalée le'),
        ),
        migrations.AddField(
            model_name='substitute',
            name='application',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='remplacement_substitute', to='core.case', verbose_name='candidature'),
        ),
        migrations.AddField(
            model_name='substitute',
            name='deactivated_reason',
            field=models.CharField(blank=True, max_length=300, verbose_name='motif de désactivation'),
        ),
        migrations.AddField(
            model_name='timesheet',
            name='minutes',
            field=models.PositiveIntegerField(default=0, verbose_name='minutes réalisées'),
        ),
        migrations.AddField(
            model_name='timesheet',
            name='review_comment',
            field=models.TextField(blank=True, verbose_name='commentaire de la structure'),
        ),
        migrations.AddField(
            model_name='timesheet',
            name='reviewed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='examinée le'),
        ),
        migrations.AlterField(
            model_name='assignment',
            name='slot',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='remplacement.requestslot'),
        ),
        migrations.AlterField(
            model_name='qualification',
            name='is_qualified_staff',
            field=models.BooleanField(default=True, help_text="Diplôme du 1° de l'article R2324-42 du code de la santé publique (au moins 40 % de l'équipe).", verbose_name='parmi les plus qualifiés'),
        ),
        migrations.AlterField(
            model_name='replacementrequest',
            name='case',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='remplacement_request', to='core.case', verbose_name='dossier'),
        ),
        migrations.RunPython(children_kept, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='replacementrequest',
            name='children_present',
        ),
        migrations.RemoveField(
            model_name='replacementrequest',
            name='staff_present',
        ),
        migrations.AddField(
            model_name='replacementrequest',
            name='staff_present',
            field=models.JSONField(blank=True, default=list, help_text='[{« qualification » : code, « count » : nombre}]', verbose_name='professionnels présents sans remplaçant'),
        ),
        migrations.AlterField(
            model_name='replacementrequest',
            name='total_hours',
            field=models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=7, verbose_name='heures'),
        ),
        migrations.AlterField(
            model_name='timesheet',
            name='comment',
            field=models.TextField(blank=True, verbose_name='commentaire du ou de la remplaçant·e'),
        ),
        migrations.AlterField(
            model_name='timesheet',
            name='request',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='timesheets', to='remplacement.replacementrequest'),
        ),
        migrations.AddConstraint(
            model_name='assignment',
            constraint=models.UniqueConstraint(fields=('slot', 'substitute'), name='remplacement_assignment_unique'),
        ),
        migrations.AddConstraint(
            model_name='timesheet',
            constraint=models.UniqueConstraint(fields=('request', 'substitute'), name='remplacement_timesheet_unique'),
        ),
        migrations.AddField(
            model_name='structurepreference',
            name='created_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='structurepreference',
            name='structure',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='substitute_preferences', to='core.structure'),
        ),
        migrations.AddField(
            model_name='structurepreference',
            name='substitute',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='structure_preferences', to='remplacement.substitute'),
        ),
        migrations.AddField(
            model_name='substitutedocument',
            name='qualification',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='remplacement.qualification', verbose_name='diplôme concerné'),
        ),
        migrations.AddField(
            model_name='substitutedocument',
            name='substitute',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='documents', to='remplacement.substitute'),
        ),
        migrations.AddField(
            model_name='substitutedocument',
            name='verified_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='structurepreference',
            constraint=models.UniqueConstraint(fields=('structure', 'substitute'), name='remplacement_preference_unique'),
        ),
    ]
