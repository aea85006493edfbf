"""Forms of the guard's pages. They parse input only: every rule lives in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from havenwatch.access.choices import Direction, Reason


class GateCheckForm(forms.Form):
    """What the guard enters at the gate: the access point, a badge and/or a plate."""

    point = forms.TypedChoiceField(label=_("Access point"), coerce=int)
    credential_number = forms.CharField(
        label=_("Badge number"), max_length=60, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}),
        help_text=_("Type the number or scan the badge."))
    plate = forms.CharField(label=_("Number plate"), max_length=24, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    direction = forms.ChoiceField(label=_("Direction"), required=False,
                                  choices=[("", _("As the access point says")),
                                           (Direction.IN, Direction.IN.label), (Direction.OUT, Direction.OUT.label)])
    biometric_match = forms.BooleanField(label=_("Biometric matched"), required=False)

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.points = {p.pk: p for p in points}
        self.fields["point"].choices = [
            (p.pk, f"{p.name} ({p.code}) · {p.zone.facility.name}") for p in self.points.values()
        ]

    def clean(self):
        data = super().clean()
        if not data.get("credential_number", "").strip() and not data.get("plate", "").strip():
            raise forms.ValidationError(_("Enter a badge number or a number plate."))
        return data

    def access_point(self):
        return self.points[self.cleaned_data["point"]]


class OverrideForm(forms.Form):
    reason = forms.CharField(label=_("Why do you let this person through?"), max_length=300, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required. Recorded in the access history and the audit log."))


class EventFilterForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None, required=False,
                                      empty_label=_("All facilities"))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("All")), ("granted", _("Granted")), ("refused", _("Refused"))])
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=[("", _("Any reason")), *Reason.choices])
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
