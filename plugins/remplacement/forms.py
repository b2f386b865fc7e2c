"""Forms of the portals and the pool screens: they parse what people type; the services check the rules and
write."""

from __future__ import annotations

from django import forms

from plugins.remplacement.models import (
    AgeGroup,
    AvailabilityException,
    Qualification,
    RatioMode,
    ReplacementRequest,
    SubstituteDocument,
)

WEEKDAY_LABELS = ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"]
RANGES_PER_DAY = 3
SLOT_ROWS = 7
QUARTER_WIDGET = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")
MINUTE_WIDGET = forms.TimeInput(attrs={"type": "time", "step": 60}, format="%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WeeklyForm(forms.Form):
    """Up to three ranges per weekday (split shifts: 7:00 to 11:30 and 15:30 to 19:30); empty rows are days off."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAY_LABELS):
            for k in range(RANGES_PER_DAY):
                suffix = "" if k == 0 else f" (plage {k + 1})"
                self.fields[f"d{day}_{k}_start"] = forms.TimeField(
                    label=f"{label}{suffix} : de", required=False, widget=MINUTE_WIDGET
                )
                self.fields[f"d{day}_{k}_end"] = forms.TimeField(
                    label=f"{label}{suffix} : à", required=False, widget=MINUTE_WIDGET
                )

    @staticmethod
    def initial_from(rules) -> dict:
        initial = {}
        per_day: dict[int, int] = {}
        for rule in sorted(rules, key=lambda r: (r.weekday, r.start_time)):
            k = per_day.get(rule.weekday, 0)
            if k >= RANGES_PER_DAY:
                continue
            initial[f"d{rule.weekday}_{k}_start"], initial[f"d{rule.weekday}_{k}_end"] = rule.start_time, rule.end_time
            per_day[rule.weekday] = k + 1
        return initial

    def days(self):
        return [
            (label, [(self[f"d{day}_{k}_start"], self[f"d{day}_{k}_end"]) for k in range(RANGES_PER_DAY)])
            for day, label in enumerate(WEEKDAY_LABELS)
        ]

    def rules(self) -> list[dict]:
        rules = []
        for day, label in enumerate(WEEKDAY_LABELS):
            for k in range(RANGES_PER_DAY):
                start, end = self.cleaned_data.get(f"d{day}_{k}_start"), self.cleaned_data.get(f"d{day}_{k}_end")
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(f"d{day}_{k}_end", f"{label} : indiquez le début et la fin, ou aucun des deux.")
                    continue
                rules.append({"weekday": day, "start": start, "end": end})
        return rules


class ExceptionForm(forms.Form):
    date = forms.DateField(label="Date", widget=DATE_WIDGET)
    kind = forms.ChoiceField(label="Je suis", choices=AvailabilityException.Kind.choices)
    start = forms.TimeField(label="De (vide : toute la journée)", required=False, widget=MINUTE_WIDGET)
    end = forms.TimeField(label="À", required=False, widget=MINUTE_WIDGET)


class RequestForm(forms.Form):
    """A director's need: the shifts, who is there, what the gap calls for."""

    structure = forms.ModelChoiceField(label="Structure", queryset=None, empty_label=None)
    age_group = forms.ChoiceField(label="Section", choices=AgeGroup.choices, initial=AgeGroup.MIXED)
    ratio_mode = forms.ChoiceField(
        label="Taux d'encadrement appliqué par la structure", choices=RatioMode.choices, initial=RatioMode.BY_WALKING
    )
    children_not_walking = forms.IntegerField(label="Enfants présents qui ne marchent pas", min_value=0, max_value=200,
                                              initial=0)  # fmt: skip
    children_walking = forms.IntegerField(label="Enfants présents qui marchent", min_value=0, max_value=200, initial=0)
    qualification = forms.ModelChoiceField(
        label="Qualification demandée", queryset=Qualification.objects.all(), to_field_name="code", required=False,
        empty_label="Celle que demande le taux d'encadrement",
    )  # fmt: skip
    headcount = forms.IntegerField(
        label="Personnes par créneau", min_value=1, max_value=10, required=False,
        help_text="Vide : le nombre qui manque au taux d'encadrement.",
    )  # fmt: skip
    allow_split = forms.BooleanField(
        label="Plusieurs personnes peuvent se partager les créneaux (une par jour, par exemple)",
        required=False,
        initial=True,
    )
    urgency = forms.ChoiceField(label="Urgence", choices=ReplacementRequest.Urgency.choices)
    reason = forms.ChoiceField(label="Motif", choices=ReplacementRequest.Reason.choices)
    notes = forms.CharField(
        label="Précisions pour le remplaçant", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
        self.qualifications = list(Qualification.objects.all())
        for q in self.qualifications:
            self.fields[f"staff_{q.code}"] = forms.IntegerField(
                label=q.label, min_value=0, max_value=100, required=False, initial=0
            )
        for n in range(SLOT_ROWS):
            required = n == 0
            self.fields[f"slot{n}_date"] = forms.DateField(label=f"Jour {n + 1}", required=required, widget=DATE_WIDGET)
            self.fields[f"slot{n}_start"] = forms.TimeField(label="de", required=required, widget=QUARTER_WIDGET)
            self.fields[f"slot{n}_end"] = forms.TimeField(label="à", required=required, widget=QUARTER_WIDGET)

    def staff_rows(self):
        return [(q, self[f"staff_{q.code}"]) for q in self.qualifications]

    def slot_rows(self):
        return [(self[f"slot{n}_date"], self[f"slot{n}_start"], self[f"slot{n}_end"]) for n in range(SLOT_ROWS)]

    def staff_present(self) -> list[dict]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return [
            {"qualification": q.code, "count": data.get(f"staff_{q.code}") or 0}
            for q in self.qualifications
            if data.get(f"staff_{q.code}")
        ]

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
    """Real arrival and departure times, to the minute, for each of the person's shifts."""

    comment = forms.CharField(label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot_list = list(slots)
        for slot in self.slot_list:
            self.fields[f"s{slot.pk}_start"] = forms.TimeField(label="Arrivée", widget=MINUTE_WIDGET)
            self.fields[f"s{slot.pk}_end"] = forms.TimeField(label="Départ", widget=MINUTE_WIDGET)
            self.fields[f"s{slot.pk}_break"] = forms.IntegerField(
                label="Pause (minutes)", min_value=0, max_value=600, initial=0
            )

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


class ProfileForm(forms.Form):
    """A substitute's own profile."""

    phone = forms.CharField(label="Téléphone", max_length=20, required=False)
    home_commune_insee = forms.CharField(
        label="Commune de résidence", max_length=100, help_text="Par exemple « Rennes », ou « Saint-Just (35) »."
    )
    max_distance_km = forms.IntegerField(label="Distance maximale acceptée (km)", min_value=1, max_value=300)
    max_hours_week = forms.IntegerField(label="Heures maximum par semaine", min_value=1, max_value=48)
    max_hours_month = forms.IntegerField(label="Heures maximum par mois", min_value=1, max_value=220)
    preferred_age_groups = forms.MultipleChoiceField(
        label="Âges préférés",
        choices=[c for c in AgeGroup.choices if c[0] != AgeGroup.MIXED],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="Document", choices=SubstituteDocument.Kind.choices)
    qualification = forms.ModelChoiceField(
        label="Diplôme concerné (pour un diplôme)", queryset=Qualification.objects.all(), to_field_name="code",
        required=False,
    )  # fmt: skip
    file = forms.FileField(label="Fichier (PDF, JPEG ou PNG, 10 Mo au plus)")
    issued_on = forms.DateField(label="Délivré le", required=False, widget=DATE_WIDGET)
    expires_on = forms.DateField(label="Valable jusqu'au", required=False, widget=DATE_WIDGET)


class PoolFilterForm(forms.Form):
    q = forms.CharField(label="Nom ou courriel", required=False)
    qualification = forms.ChoiceField(label="Diplôme", required=False)
    commune = forms.CharField(label="Commune", required=False)
    active = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous"), ("1", "Actifs"), ("0", "Désactivés")]
    )
    documents = forms.ChoiceField(
        label="Documents",
        required=False,
        choices=[
            ("", "Tous"),
            ("expired", "Un document expiré"),
            ("expiring", "Expire dans les 30 jours"),
            ("unverified", "À vérifier"),
            ("missing", "Sans extrait de casier judiciaire"),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualification"].choices = [("", "Tous"), *Qualification.objects.values_list("code", "label")]
