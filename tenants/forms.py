"""Forms of the platform admins' back office (public host)."""

from __future__ import annotations

from django import forms

from tenants.models import Territory


class TerritoryCloneForm(forms.Form):
    source = forms.ModelChoiceField(
        label="Territoire à cloner",
        queryset=Territory.objects.exclude(schema_name="public").order_by("-is_template", "code", "name"),
        required=False,
        empty_label="Le modèle de territoire",
        help_text="Sa configuration est copiée : workflows, formulaires, catalogue, pages, rôles, réglages des pôles. "
        "Ni ses dossiers, ni ses comptes, ni son annuaire.",
    )
    code = forms.CharField(label="Code du département", max_length=3, help_text="Par exemple 56, 2A ou 974.")
    name = forms.CharField(label="Nom du territoire", max_length=100)
    slug = forms.SlugField(label="Identifiant", required=False, help_text="Tiré du nom s'il est laissé vide.")
    domain = forms.CharField(
        label="Nom d'hôte", required=False, max_length=253, help_text="Par défaut : <identifiant>.localhost."
    )
    sample_data = forms.BooleanField(
        label="Ajouter des données d'exemple", required=False, help_text="Structures et opérateurs fictifs."
    )
