"""Forms of the visit pre-notification pages. They parse input only: the rules live in
:mod:`havenwatch.access.services.visits`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from havenwatch.access.choices import VisitStatus
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.forms import PortDateTimeField
from havenwatch.core.models import Organisation

MAX_VISITORS = 5


class VisitFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *VisitStatus.choices])
    facility = forms.ModelChoiceField(label=_("Facility"), required=False, queryset=None,
                                      empty_label=_("All facilities"))
    day = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class FacilityChoiceForm(forms.Form):
    """Step one of announcing: the facility (its zones and time zone shape the form)."""

    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class VisitAnnounceForm(forms.Form):
    facility = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    zones = forms.ModelMultipleChoiceField(label=_("Zones"), queryset=None, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    window_start = PortDateTimeField(label=_("From (port time)"), required=False)
    window_end = PortDateTimeField(label=_("Until (port time)"), required=False)
    ship_call = forms.CharField(label=_("Ship call"), required=False, max_length=200,
                                help_text=_("For a visit to a ship: vessel and call reference. Without a window, "
                                            "the ETA and ETD make it."))
    ship_agent = forms.ModelChoiceField(
        label=_("Ship's agent"), required=False, queryset=None, empty_label=_("We are the ship's agent"),
        help_text=_("For a ship call: the agent of the call, who approves the visit first."))
    eta = PortDateTimeField(label=_("ETA (port time)"), required=False)
    etd = PortDateTimeField(label=_("ETD (port time)"), required=False)
    reason = forms.CharField(label=_("Reason of the visit"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    plate = forms.CharField(label=_("Number plate"), required=False, max_length=40,
                            help_text=_("Optional. Prefix a foreign plate with its country, e.g. NL:AB123C."))

    def __init__(self, *args, facilities, facility, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["zones"].queryset = zones
        self.fields["ship_agent"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.SHIPPING_LINE, is_active=True).order_by("name")
        for name in ("window_start", "window_end", "eta", "etd"):
            self.fields[name].time_zone = facility.port.time_zone


class VisitorForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False, max_length=200)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=200)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    nationality = forms.CharField(label=_("Nationality (ISO code)"), required=False, max_length=8)
    id_document_ref = forms.CharField(label=_("ID document reference"), required=False, max_length=200)

    def identity(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.fields}


VisitorFormSet = forms.formset_factory(VisitorForm, extra=MAX_VISITORS, max_num=MAX_VISITORS,
                                       absolute_max=MAX_VISITORS, validate_max=True)


class VisitApproveForm(forms.Form):
    confirm_unavailable = forms.BooleanField(
        label=_("I checked the visitors whose ban screening is unavailable by other means"), required=False)


class VisitRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("The announcer reads it."))


class VisitPolicyForm(forms.Form):
    facility = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    terminal_approves_ship_calls = forms.BooleanField(
        label=_("We approve ship-call visits after the ship's agent"), required=False)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
