"""Forms of the people, credential and vehicle pages. They parse input only: the rules
live in :mod:`havenwatch.access.services.people` and :mod:`havenwatch.access.services.screening`."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from havenwatch.access.choices import CredentialKind, CredentialState, ProofingLevel, RecordCheckResult
from havenwatch.core.forms import PortDateTimeField


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or credential number"), required=False, max_length=100)
    employer = forms.ModelChoiceField(label=_("Employer"), required=False, queryset=None,
                                      empty_label=_("All employers"))
    state = forms.ChoiceField(label=_("Holds a credential that is"), required=False,
                              choices=[("", _("Any state")), *CredentialState.choices])

    def __init__(self, *args, employers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = employers


class PersonRegisterForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False, max_length=200)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=200)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    nationality = forms.CharField(label=_("Nationality"), required=False, max_length=8,
                                  help_text=_("Two-letter ISO country code, e.g. BE, NL, PT."))
    id_document_ref = forms.CharField(label=_("Identity document reference"), required=False, max_length=200,
                                      help_text=_("The number of the identity card or passport you checked."))
    national_number = forms.CharField(
        label=_("Belgian national register number"), required=False, max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Optional, e.g. 85.07.30-033.28. It is stored encrypted; only your organisation's "
                    "access managers can display it again."))
    proofing_level = forms.ChoiceField(label=_("How the identity was proofed"), required=False,
                                       choices=ProofingLevel.choices, initial=ProofingLevel.DOCUMENT)
    biometric_reference = forms.CharField(
        label=_("Biometric reference"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Optional: the reference of the fingerprint template on the card. The template stays on "
                    "the card; havenwatch keeps only a hash of this reference."))


class CredentialIssueForm(forms.Form):
    port = forms.ModelChoiceField(label=_("Port"), queryset=None, empty_label=_("Choose the port"),
                                  help_text=_("A credential is valid in one port; each facility there activates "
                                              "it for itself."))
    number = forms.CharField(label=_("Credential number"), required=False, max_length=60,
                             widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                             help_text=_("As printed on the badge: 8 to 40 letters, digits and dashes."))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[(CredentialKind.CARD, CredentialKind.CARD.label),
                                      (CredentialKind.MOBILE, CredentialKind.MOBILE.label)])
    valid_from = PortDateTimeField(label=_("Valid from (port time)"), required=False)
    valid_until = PortDateTimeField(label=_("Valid until (port time)"), required=False)

    def __init__(self, *args, ports, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["port"].queryset = ports
        # The validity is read in the chosen port's time zone.
        chosen = self.data.get(self.add_prefix("port")) if self.is_bound else self.initial.get("port")
        port = None
        if chosen:
            try:
                port = ports.filter(pk=getattr(chosen, "pk", chosen)).first()
            except (TypeError, ValueError):
                port = None
        for name in ("valid_from", "valid_until"):
            self.fields[name].time_zone = port.time_zone if port is not None else settings.TIME_ZONE


class CredentialStateForm(forms.Form):
    state = forms.ChoiceField(label=_("New state"), error_messages={"required": _("Choose the new state.")})
    reason = forms.CharField(label=_("Reason"), required=False, max_length=400,
                             help_text=_("Required, e.g. “reported lost on 3 March”. Kept in the credential's "
                                         "history."))

    def __init__(self, *args, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer(states)

    def offer(self, states) -> None:
        """The states to choose from (those that make sense for the credential)."""
        self.fields["state"].choices = [("", _("Choose the new state")),
                                        *[(state, CredentialState(state).label) for state in states]]


class EmployerChangeForm(forms.Form):
    employer = forms.ModelChoiceField(
        label=_("New employer"), queryset=None, empty_label=_("Choose the new employer"),
        help_text=_("The person's active credentials go inactive: the new employer issues new ones."))

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = organisations


class VerificationRequestForm(forms.Form):
    function = forms.CharField(label=_("Critical function"), required=False, max_length=200,
                               help_text=_("What the person will have access to, e.g. “access to the terminal "
                                           "operating system”."))


class RecordCheckForm(forms.Form):
    checked_on = forms.DateField(label=_("Date of the check"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    result = forms.ChoiceField(label=_("Result"), required=False,
                               choices=[("", _("Choose the result")), *RecordCheckResult.choices],
                               help_text=_("Record the date and the result only, never the extract's content."))


class TrainingForm(forms.Form):
    course = forms.CharField(label=_("Course"), required=False, max_length=200,
                             help_text=_("As the authorisations name it, e.g. “ISPS security awareness”."))
    completed_on = forms.DateField(label=_("Completed on"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("The last valid day; leave empty if the course does not expire."))


class VehicleFilterForm(forms.Form):
    q = forms.CharField(label=_("Number plate"), required=False, max_length=40)


class VehicleRegisterForm(forms.Form):
    plate = forms.CharField(
        label=_("Number plate"), required=False, max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    drivers = forms.ModelMultipleChoiceField(
        label=_("Drivers"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Optional: the people of your organisation who drive this vehicle."))

    def __init__(self, *args, people, country: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.country = country
        self.fields["drivers"].queryset = people
        self.fields["plate"].help_text = _(
            "Without a prefix, the plate counts as registered in your organisation's country (%(country)s). "
            "Prefix a foreign plate with its two-letter country code, e.g. NL:AB123C."
        ) % {"country": country}

    def plate_and_country(self) -> tuple[str, str]:
        """The plate's characters and its country: from a ``CC:`` prefix, else the organisation's."""
        value = (self.cleaned_data.get("plate") or "").strip()
        country, sep, rest = value.partition(":")
        if sep and len(country.strip()) == 2:
            return rest, country.strip()
        return value, self.country
