"""Forms of the forwarders' and hauliers' pages. They parse input only: the rules of the
chain of rights and of driver assignments live in ``services/rights.py`` and
``services/assignments.py``, which give the specific message."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from havenwatch.access.forms_visits import PortDateTimeField

# The service limits a reason to 300 characters and says so; this only bounds what is read.
REASON_READ_MAX = 2000


def _reason_field(label, help_text):
    return forms.CharField(label=label, required=False, max_length=REASON_READ_MAX, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 2}))


class DeclineForm(forms.Form):
    reason = _reason_field(_("Why do you decline?"), _("Required. The sender reads it and keeps holding the right."))


class TakeBackForm(forms.Form):
    reason = _reason_field(_("Why do you take the right back?"),
                           _("Required. The receiver reads it; an open offer further down falls with it."))


class AssignmentCancelForm(forms.Form):
    reason = _reason_field(_("Why is the assignment cancelled?"),
                           _("Required. After the cancellation no driver may pick the container up until you "
                             "assign one again."))


class TransferForm(forms.Form):
    to = forms.ModelChoiceField(
        label=_("Pass the right on to"), queryset=None, empty_label=_("Choose the next party"),
        help_text=_("The receiver must accept before it holds the right. Until then you hold it, and you may take "
                    "the offer back."))

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = parties
        self.fields["to"].error_messages["required"] = _("Choose the party you pass the right on to.")
        self.fields["to"].error_messages["invalid_choice"] = _(
            "Choose an active forwarder or haulier from the list.")


class AssignmentForm(forms.Form):
    credential = forms.CharField(
        label=_("Driver's badge number"), max_length=60,
        error_messages={"required": _("Give the driver's badge number.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The number on the driver's port credential. Only this driver can then pick the container up."))
    plate = forms.CharField(
        label=_("Truck plate"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("As registered, e.g. 1-ABC-234; prefix a foreign plate with its country, e.g. NL:AB-123-C."))
    slot_start = PortDateTimeField(label=_("Slot from (port time)"),
                                   error_messages={"required": _("Give the start of the time slot.")})
    slot_end = PortDateTimeField(label=_("Slot until (port time)"),
                                 error_messages={"required": _("Give the end of the time slot.")},
                                 help_text=_("The gate refuses the driver outside this slot."))

    def __init__(self, *args, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("slot_start", "slot_end"):
            self.fields[name].time_zone = time_zone
