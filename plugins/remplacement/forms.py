"""Forms of the portals: they parse what people type; the services check the rules and write."""

from __future__ import annotations

from django import forms

from plugins.remplacement.models import AgeGroup, AvailabilityException, Qualification, ReplacementRequest

WEEKDAY_LABELS = ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"]
SLOT_ROWS = 5
TIME_WIDGET = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WeeklyForm(forms.Form):
    """One range per weekday (leave empty for a day off)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAY_LABELS):
            self.fields[f"d{day}_start"] = forms.TimeField(label=f"{label} : de", required=False, widget=TIME_WIDGET)
            self.fields[f"d{day}_end"] = forms.TimeField(label=f"{label} : à", required=False, widget=TIME_WIDGET)

    def days(self):
        return [(label, self[f"d{day}_start"], self[f"d{day}_end"]) for day, label in enumerate(WEEKDAY_LABELS)]

    def rules(self) -> list[dict]:
        rules = []
        for day, label in enumerate(WEEKDAY_LABELS):
            start, end = self.cleaned_data.get(f"d{day}_start"), self.cleaned_data.get(f"d{day}_end")
            if start is None and end is None:
                continue
            if start is None or end is None:
                self.add_error(f"d{day}_end", f"{label} : indiquez le début et la fin, ou aucun des deux.")
                continue
            rules.append({"weekday": day, "start": start, "end": end})
        return rules


class ExceptionForm(forms.Form):
    date = forms.DateField(label="Date", widget=DATE_WIDGET)
    kind = forms.ChoiceField(label="Je suis", choices=AvailabilityException.Kind.choices)
    start = forms.TimeField(label="De (vide : toute la journée)", required=False, widget=TIME_WIDGET)
    end = forms.TimeField(label="À", required=False, widget=TIME_WIDGET)


class RequestForm(forms.Form):
    structure = forms.ModelChoiceField(label="Structure", queryset=None, empty_label=None)
    qualification = forms.ModelChoiceField(
        label="Qualification demandée", queryset=Qualification.objects.all(), to_field_name="code", empty_label=None
    )
    urgency = forms.ChoiceField(label="Urgence", choices=ReplacementRequest.Urgency.choices)
    reason = forms.ChoiceField(label="Motif", choices=ReplacementRequest.Reason.choices)
    age_group = forms.ChoiceField(label="Section", choices=AgeGroup.choices, initial=AgeGroup.MIXED)
    children_present = forms.IntegerField(label="Enfants présents", min_value=0, max_value=200)
    staff_present = forms.IntegerField(label="Professionnels présents sans le remplaçant", min_value=0, max_value=100)
    children_per_staff = forms.IntegerField(
        label="Enfants par professionnel (taux)", initial=6, min_value=1, max_value=12
    )
    notes = forms.CharField(
        label="Précisions pour le remplaçant", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
        for n in range(SLOT_ROWS):
            required = n == 0
            self.fields[f"slot{n}_date"] = forms.DateField(label=f"Jour {n + 1}", required=required, widget=DATE_WIDGET)
            self.fields[f"slot{n}_start"] = forms.TimeField(label="de", required=required, widget=TIME_WIDGET)
            self.fields[f"slot{n}_end"] = forms.TimeField(label="à", required=required, widget=TIME_WIDGET)

    def slot_rows(self):
        return [(self[f"slot{n}_date"], self[f"slot{n}_start"], self[f"slot{n}_end"]) for n in range(SLOT_ROWS)]

    def slots(self) -> list[dict]:
        out = []
        for n in range(SLOT_ROWS):
            values = [self.cleaned_data.get(f"slot{n}_{part}") for part in ("date", "start", "end")]
            if all(v is None for v in values):
                continue
            if any(v is None for v in values):
                self.add_error(f"slot{n}_date", f"Jour {n + 1} : indiquez la date, le début et la fin.")
                continue
            out.append({"date": values[0], "start": values[1], "end": values[2]})
        return out


class TimesheetForm(forms.Form):
    comment = forms.CharField(label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot_list = list(slots)
        for slot in self.slot_list:
            self.fields[f"s{slot.pk}_start"] = forms.TimeField(label="Arrivée", widget=TIME_WIDGET)
            self.fields[f"s{slot.pk}_end"] = forms.TimeField(label="Départ", widget=TIME_WIDGET)
            self.fields[f"s{slot.pk}_break"] = forms.IntegerField(label="Pause (min)", min_value=0, initial=0)

    def rows(self):
        return [
            (slot, self[f"s{slot.pk}_start"], self[f"s{slot.pk}_end"], self[f"s{slot.pk}_break"])
            for slot in self.slot_list
        ]

    def lines(self) -> list[dict]:
        return [
            {
                "slot": slot.pk,
                "start": self.cleaned_data[f"s{slot.pk}_start"],
                "end": self.cleaned_data[f"s{slot.pk}_end"],
                "break_minutes": self.cleaned_data[f"s{slot.pk}_break"],
            }
            for slot in self.slot_list
        ]


class TimesheetDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("validate", "Valider"), ("reject", "À corriger")])
    comment = forms.CharField(label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 2}))
