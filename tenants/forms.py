"""Forms of the platform admins' back office (public host)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from tenants.models import Territory


class TerritoryCloneForm(forms.Form):
    source = forms.ModelChoiceField(
        label="Territoire à cloner",
        queryset=Territory.objects.exclude(schema_name="public").order_by("-is_template", "code", "name"),
        required=False,
        empty_label="Le modèle de territoire",
        help_text="Sa configuration est copiée : workflows, formulaires, catalogue, pages, rôles, réglages des pôles. "
        "Ni ses dossiers, ni ses comptes, ni son annuaire. Le site du nouveau territoire reste un brouillon "
        "jusqu'à ce que vous le publiiez.",
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
    first_admin_email = forms.EmailField(
        label="Courriel de la première administratrice ou du premier administrateur",
        required=False,
        help_text="Invité comme administrateur du nouveau territoire : le lien d'invitation vous est montré.",
    )
    first_admin_first_name = forms.CharField(label="Prénom", required=False, max_length=150)
    first_admin_last_name = forms.CharField(label="Nom", required=False, max_length=150)

    def first_admin(self) -> dict[str, str] | None:
        email = self.cleaned_data.get("first_admin_email")
        if not email:
            return None
        return {
            "email": email,
            "first_name": self.cleaned_data.get("first_admin_first_name", ""),
            "last_name": self.cleaned_data.get("first_admin_last_name", ""),
        }

    def add_errors(self, exc: ValidationError) -> None:
        """The service's French errors, on their fields."""
        for field, errors in exc.message_dict.items():
            for error in errors:
                self.add_error(field if field in self.fields else None, error)
