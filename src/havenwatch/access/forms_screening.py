"""Forms of the screening pages: port bans, the companies' ban check and security
verifications. They parse input only: the rules live in
:mod:`havenwatch.access.services.screening`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.access.choices import VerificationStatus
from havenwatch.core.forms import PortDateTimeField


class BanState(models.TextChoices):
    """Where a ban stands now (derived from its dates and whether it was lifted)."""

    IN_FORCE = "in_force", _("In force")
    UPCOMING = "upcoming", _("Not yet in force")
    LIFTED = "lifted", _("Lifted")
    EXPIRED = "expired", _("Expired")


class BanScope(models.TextChoices):
    ALL_PORTS = "all", _("All ports")
    LISTED_PORTS = "listed", _("Only the ports ticked below")


class VerificationFilter(models.TextChoices):
    OPEN = "open", _("Requested or pending")
    REQUESTED = "requested", VerificationStatus.REQUESTED.label
    PENDING = "pending", VerificationStatus.PENDING.label
    POSITIVE = "positive", _("Positive and valid")
    EXPIRED = "expired", VerificationStatus.EXPIRED.label
    NEGATIVE = "negative", VerificationStatus.NEGATIVE.label
    ALL = "all", _("All verifications")


def _port_choices(ports):
    return [(port.pk, f"{port.name} ({port.unlocode})") for port in ports]


# -- port bans -------------------------------------------------------------------------


class BanFilterForm(forms.Form):
    q = forms.CharField(label=_("Person or legal reference"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any state")), *BanState.choices])
    port = forms.TypedChoiceField(label=_("Port"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, ports, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["port"].choices = [("", _("All ports")), *_port_choices(ports)]


class PersonSearchForm(forms.Form):
    """Find the person to ban: by name (and date of birth), or by a credential number."""

    name = forms.CharField(label=_("Name"), required=False, max_length=200,
                           help_text=_("First and/or last name; part of a name is enough."))
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    credential_number = forms.CharField(
        label=_("Credential number"), required=False, max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The number printed on the badge, or a visitor's QR code number."))

    def clean(self):
        data = super().clean()
        data["name"] = " ".join((data.get("name") or "").split())
        data["credential_number"] = (data.get("credential_number") or "").strip()
        if not (data["name"] or data.get("date_of_birth") or data["credential_number"]):
            raise forms.ValidationError(_("Enter a name, a date of birth or a credential number."))
        return data


class BanIssueForm(forms.Form):
    scope = forms.ChoiceField(label=_("The ban covers"), choices=BanScope.choices, initial=BanScope.ALL_PORTS)
    ports = forms.TypedMultipleChoiceField(
        label=_("Ports"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=_("Only when the judgment names some ports."))
    valid_from = PortDateTimeField(label=_("In force from"), required=False)
    valid_until = PortDateTimeField(label=_("In force until"), required=False,
                                    help_text=_("A port ban lasts 20 years at most."))
    legal_reference = forms.CharField(
        label=_("Legal reference"), required=False, max_length=400,
        help_text=_("The judgment or decision the ban rests on, e.g. “Corr. Antwerpen 2026/00123”. "
                    "Only authorities ever see it."))

    def __init__(self, *args, ports, **kwargs):
        super().__init__(*args, **kwargs)
        self.ports = {port.pk: port for port in ports}
        self.fields["ports"].choices = _port_choices(self.ports.values())
        for name in ("valid_from", "valid_until"):
            self.fields[name].time_zone = settings.TIME_ZONE

    def chosen_ports(self):
        """``None`` for a ban from all ports, else the ticked ports (possibly none)."""
        if self.cleaned_data["scope"] == BanScope.ALL_PORTS:
            return None
        return [self.ports[pk] for pk in self.cleaned_data["ports"]]


class BanLiftForm(forms.Form):
    reason = forms.CharField(label=_("Why is the ban lifted?"), required=False, max_length=600,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("For example the judgment on appeal. Credentials blocked by the ban "
                                         "stay blocked: the employer issues new ones."))


# -- the companies' ban check ----------------------------------------------------------


class BanCheckForm(forms.Form):
    """A credential number, or a name and date of birth of someone the user may see, and a port."""

    credential_number = forms.CharField(
        label=_("Credential number"), required=False, max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
        help_text=_("Type the number or scan the badge."))
    last_name = forms.CharField(label=_("Or last name"), required=False, max_length=100)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100,
                                 help_text=_("Optional, when several people share the last name."))
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    port = forms.TypedChoiceField(label=_("Port"), coerce=int,
                                  error_messages={"required": _("Choose the port the person wants to enter.")})

    def __init__(self, *args, ports, **kwargs):
        super().__init__(*args, **kwargs)
        self.ports = {port.pk: port for port in ports}
        self.fields["port"].choices = [("", _("Choose a port")), *_port_choices(self.ports.values())]

    def clean(self):
        data = super().clean()
        for name in ("credential_number", "last_name", "first_name"):
            data[name] = " ".join((data.get(name) or "").split())
        if not data["credential_number"]:
            if not data["last_name"] or not data.get("date_of_birth"):
                raise forms.ValidationError(_("Enter a credential number, or a last name and a date of birth."))
        return data

    def chosen_port(self):
        return self.ports[self.cleaned_data["port"]]


# -- security verifications ------------------------------------------------------------


class VerificationFilterForm(forms.Form):
    show = forms.ChoiceField(label=_("Show"), required=False, choices=VerificationFilter.choices)
    q = forms.CharField(label=_("Person or function"), required=False, max_length=100)


class VerificationRequestForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Employee"), queryset=None, empty_label=_("Choose the employee"),
                                    error_messages={"required": _("Choose the employee to verify.")})
    function = forms.CharField(
        label=_("Critical function"), required=False, max_length=200,
        help_text=_("What the person will have access to, e.g. “access to the terminal's IT systems” or "
                    "“personnel policy”."))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class ValidUntilDateField(forms.DateField):
    """A date, inclusive: cleans to the end of that day (midnight after it) in the platform's
    time zone, as an aware UTC time."""

    widget = forms.DateInput(attrs={"type": "date"})

    def clean(self, value):
        day = super().clean(value)
        if day is None:
            return None
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(settings.TIME_ZONE))
        return end.astimezone(UTC)


class VerificationDecideForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", _("Choose a decision")),
                 (VerificationStatus.PENDING, _("Pending: the inquiry is under way")),
                 (VerificationStatus.POSITIVE, _("Positive")),
                 (VerificationStatus.NEGATIVE, _("Negative"))],
        error_messages={"required": _("Choose a decision.")})
    valid_until = ValidUntilDateField(label=_("Valid until (inclusive)"), required=False,
                                      help_text=_("Only for a positive decision: the last day it is valid."))
