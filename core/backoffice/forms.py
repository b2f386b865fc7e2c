"""Forms of the case screens (their errors are French; the services check again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.forms.utils import ErrorDict

from core.models import Comment, Structure
from core.selectors.case_work import INBOXES
from workflows.forms import FormSpec, django_form_class, raw_values
from workflows.models import WorkflowDefinition

# Above this many structures, the structure filter is a search by name or commune rather than a list to scroll
# (a territory of 5,000 structures rendered a 5,000-option list on every inbox page: seconds per page).
STRUCTURE_SELECT_MAX = 200


class StructureSearchField(forms.CharField):
    """The structure filter of a territory with many structures: a structure's number (the links of other screens
    give it) or words of its name or commune; cleans to a queryset of the matching structures."""

    def __init__(self, structures, **kwargs: Any) -> None:
        super().__init__(
            label="Structure", required=False, max_length=200, help_text="Nom ou commune de la structure.", **kwargs
        )
        self.structures = structures

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if not value:
            return None
        if value.isdigit():
            structure = self.structures.filter(pk=int(value)).first()
            if structure is None:
                raise forms.ValidationError("Sélectionnez un choix valide. Cette structure n'existe pas.")
            return structure
        return self.structures.filter(models.Q(name__icontains=value) | models.Q(commune__icontains=value))


class StructurePickField(forms.CharField):
    """One structure of a long directory, found by what the person types — its name, its commune or its SIRET —
    instead of a list of thousands of options: cleans to the one structure that matches; when several do, the
    form offers them as a list (`StructurePickMixin`); a structure's number (a list's choice) is taken as is."""

    MATCHES_SHOWN = 30

    def __init__(self, structures, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Nom, commune ou SIRET de la structure.")
        super().__init__(max_length=200, **kwargs)
        self.structures = structures
        self.matches: list[Structure] = []

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if not value:
            return None
        if value.isdigit() and len(value) < 14:  # a number from the list of matches (a SIRET has 14 digits)
            structure = self.structures.filter(pk=int(value)).first()
            if structure is None:
                raise forms.ValidationError("Cette structure n'existe pas ou plus : cherchez-la par son nom.")
            return structure
        siret = value.replace(" ", "")
        found = list(
            self.structures.filter(
                models.Q(name__icontains=value) | models.Q(commune__icontains=value) | models.Q(siret=siret)
            )[: self.MATCHES_SHOWN + 1]
        )
        if not found:
            raise forms.ValidationError(f"Aucune structure de l'annuaire ne correspond à « {value} ».")
        if len(found) > 1:
            self.matches = found[: self.MATCHES_SHOWN]
            more = " (les 30 premières)" if len(found) > self.MATCHES_SHOWN else ""
            raise forms.ValidationError(
                f"Plusieurs structures correspondent à « {value} »{more} : choisissez-la dans la liste ou précisez."
            )
        return found[0]


def structure_field(structures, **kwargs: Any) -> forms.Field:
    """A list of the structures when they are few, else a search (`StructurePickField`)."""
    if structures.count() > STRUCTURE_SELECT_MAX:
        kwargs.pop("empty_label", None)
        return StructurePickField(structures, **kwargs)
    return forms.ModelChoiceField(queryset=structures, **kwargs)


class StructurePickMixin:
    """After a search that matched several structures, the `structure` field becomes the list of the matches."""

    def full_clean(self) -> None:
        super().full_clean()
        field = self.fields.get("structure")
        if isinstance(field, StructurePickField) and field.matches:
            choices = forms.ModelChoiceField(
                label=field.label, queryset=field.structures.filter(pk__in=[m.pk for m in field.matches]),
                required=field.required, empty_label="— Choisir parmi les structures trouvées —",
                help_text="Ou revenez à la recherche en rechargeant la page.",
            )  # fmt: skip
            self.fields["structure"] = choices
            self._bound_fields_cache.pop("structure", None)  # bound while cleaning, to the search field
            self.data = self.data.copy()
            self.data.pop(self.add_prefix("structure"), None)


class CaseFilterForm(forms.Form):
    inbox = forms.ChoiceField(label="Boîte", choices=list(INBOXES.items()), required=False)
    q = forms.CharField(label="Recherche", required=False, help_text="Référence, structure ou contenu du dossier.")
    workflow = forms.ChoiceField(label="Type de dossier", required=False)
    state = forms.CharField(label="État (code)", required=False)
    structure = forms.ModelChoiceField(label="Structure", queryset=Structure.objects.none(), required=False)
    assignee = forms.ChoiceField(label="Chargé du dossier", required=False)
    overdue = forms.ChoiceField(
        label="Échéance", required=False, choices=[("", "Toutes"), ("oui", "En retard"), ("non", "À jour")]
    )

    def __init__(self, *args: Any, structures, assignees, states: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workflow"].choices = [("", "Tous"), *WorkflowDefinition.objects.values_list("code", "name")]
        self.fields["structure"].queryset = structures
        if structures.count() > STRUCTURE_SELECT_MAX:  # thousands of options: a name to search for instead
            self.fields["structure"] = StructureSearchField(structures)
        self.fields["assignee"].choices = [("", "Tous"), *[(str(u.pk), _name(u)) for u in assignees]]
        self.fields["state"] = forms.ChoiceField(label="État", required=False, choices=[("", "Tous"), *states])

    def selector_filters(self, assignees) -> dict[str, Any]:
        data = self.cleaned_data
        by_pk = {str(u.pk): u for u in assignees}
        return {
            "workflow": data.get("workflow") or None,
            "state": data.get("state") or None,
            "structure": data.get("structure"),
            "assignee": by_pk.get(data.get("assignee") or ""),
            "overdue": {"oui": True, "non": False}.get(data.get("overdue") or ""),
            "search": (data.get("q") or "").strip() or None,
        }


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


COMMENT_FIELD_LABELS = {"none": "", "optional": "Commentaire (facultatif)", "required": "Commentaire (obligatoire)"}


def transition_form_class(form_spec: FormSpec | None, comment: str) -> type[forms.Form]:
    """The form of a transition: its workflow form's fields (if any) and its comment."""
    base = django_form_class(form_spec, display=True) if form_spec is not None else forms.Form
    fields: dict[str, forms.Field] = {}
    if comment != "none":
        fields["comment"] = forms.CharField(
            label=COMMENT_FIELD_LABELS[comment], required=comment == "required", widget=forms.Textarea({"rows": 3})
        )
    return type("TransitionForm", (base,), fields)


def form_raw_values(form_spec: FormSpec | None, post, files, prefix: str) -> tuple[dict, dict]:
    """The raw values of a workflow form's fields from a POST (for `form_validate`, which converts them)."""
    if form_spec is None:
        return {}, {}
    return raw_values(form_spec, post, files, prefix)


def errors_show(form: forms.Form, errors: dict[str, list[str]] | None = None, message: str = "") -> forms.Form:
    """Put the service's French errors on a bound form (without running Django's own validation again)."""
    form._errors = ErrorDict()
    form.cleaned_data = {}
    for code, messages in (errors or {}).items():
        form.add_error(code if code in form.fields else None, messages)
    if message and not errors:
        form.add_error(None, message)
    return form


class CommentForm(forms.Form):
    body = forms.CharField(label="Commentaire", widget=forms.Textarea({"rows": 3}))
    visibility = forms.ChoiceField(
        label="Visibilité", choices=Comment.Visibility.choices, initial=Comment.Visibility.INTERNAL,
        widget=forms.RadioSelect,
    )  # fmt: skip


class AttachmentForm(forms.Form):
    file = forms.FileField(label="Fichier", help_text="PDF, image, texte ou document bureautique ; 10 Mo au plus.")
    visibility = forms.ChoiceField(
        label="Visibilité", choices=Comment.Visibility.choices, initial=Comment.Visibility.INTERNAL,
        widget=forms.RadioSelect,
    )  # fmt: skip


class AssignForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        label="Chargés du dossier", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, queryset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = queryset
        self.fields["users"].label_from_instance = _name


class BulkForm(forms.Form):
    cases = forms.CharField(widget=forms.MultipleHiddenInput, required=False)
    transition = forms.CharField(label="Transition")
    comment = forms.CharField(label="Commentaire", required=False, widget=forms.Textarea({"rows": 2}))


class StructureChoiceForm(StructurePickMixin, forms.Form):
    def __init__(self, *args: Any, queryset, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"] = structure_field(
            queryset, label="Structure concernée", required=False, help_text="Facultatif pour l'équipe.",
            empty_label="— Aucune structure —",
        )  # fmt: skip
        if required:  # people outside the team open cases for their structure only (the case stays theirs)
            self.fields["structure"].required = True
            self.fields["structure"].help_text = "Le dossier est rattaché à votre structure : ses membres le suivront."
            self.fields["structure"].error_messages["required"] = "Choisissez la structure concernée par ce dossier."


class StructureCorrectForm(forms.ModelForm):
    """The details of a structure created from a public request, as the coordinator corrects them before
    confirming it (the directory's own rules apply: SIRET, postcode, name and commune unique)."""

    class Meta:
        model = Structure
        fields = ("name", "kind", "siret", "address", "postcode", "commune", "places", "network", "email", "phone")


class StructureLinkForm(StructurePickMixin, forms.Form):
    """Link the case to another structure of the directory (the one created from the request was a duplicate)."""

    def __init__(self, *args: Any, queryset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"] = structure_field(queryset, label="Structure de l'annuaire", empty_label="— Choisir —")
