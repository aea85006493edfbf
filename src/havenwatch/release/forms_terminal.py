"""Forms of the terminal's pages: the expected pickups' filters, the gate clerk's check and
the override. They parse input only: the decision is ``services/pickups.py``'s."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from havenwatch.access import validation as access_validation
from havenwatch.core.errors import ServiceError

BIOMETRIC_CHOICES = [
    ("", _("Not checked")),
    ("yes", _("Yes, the driver matches")),
    ("no", _("No, the driver does not match")),
]


class TerminalChoiceMixin:
    """A terminal field when the principal decides at several terminals; else the only one, fixed."""

    def _set_terminals(self, terminals, *, required: bool) -> None:
        self.terminals = {t.pk: t for t in terminals}
        field = self.fields["terminal"]
        field.choices = ([] if required else [("", _("All terminals"))]) + [
            (t.pk, f"{t.name} · {t.port.name}") for t in self.terminals.values()]
        if len(self.terminals) == 1 and required:
            field.widget = forms.HiddenInput()
            field.initial = next(iter(self.terminals))

    def terminal(self):
        return self.terminals.get(self.cleaned_data.get("terminal"))


class ExpectedFilterForm(TerminalChoiceMixin, forms.Form):
    terminal = forms.TypedChoiceField(label=_("Terminal"), required=False, coerce=int, empty_value=None)
    ready = forms.BooleanField(label=_("Ready only (all lights green and a driver assigned)"), required=False)
    number = forms.CharField(label=_("Container number or part of it"), required=False, max_length=20)

    def __init__(self, *args, terminals, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_terminals(terminals, required=False)
        if len(self.terminals) < 2:
            del self.fields["terminal"]


class PickupCheckForm(TerminalChoiceMixin, forms.Form):
    """What the gate clerk enters for one truck."""

    terminal = forms.TypedChoiceField(label=_("Terminal"), coerce=int,
                                      error_messages={"invalid_choice": _("Choose one of your terminals.")})
    container = forms.CharField(
        label=_("Container number"), max_length=40,
        error_messages={"required": _("Give the container number (ISO 6346, e.g. CSQU3054383).")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}),
        help_text=_("ISO 6346, check digit included, e.g. CSQU 305438 3."))
    credential = forms.CharField(
        label=_("Badge number presented"), max_length=60,
        error_messages={"required": _("Scan or type the number of the driver's badge.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    plate = forms.CharField(
        label=_("Truck plate"), max_length=40,
        error_messages={"required": _("Give the truck's number plate as read at the gate.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("A plate of the port's country as it reads, e.g. 1-ABC-234; a foreign plate with its country, "
                    "e.g. NL:AB-123-C."))
    biometric = forms.ChoiceField(label=_("Biometric match"), choices=BIOMETRIC_CHOICES, required=False,
                                  help_text=_("Only where the gate has a reader; a failed match refuses the pickup."))

    def __init__(self, *args, terminals, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_terminals(terminals, required=True)

    def clean(self):
        data = super().clean()
        terminal = self.terminals.get(data.get("terminal"))
        plate = data.get("plate")
        if terminal is not None and plate:
            try:
                data["plate"] = access_validation.plate_in(plate, terminal.port.unlocode[:2])
            except ServiceError as error:
                self.add_error("plate", str(error.message))
        return data

    def biometric_match(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("biometric"))


class AttemptFilterForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("All")), ("granted", _("Granted")), ("refused", _("Refused"))])
    container = forms.CharField(label=_("Container number or part of it"), required=False, max_length=20)


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you let this pickup through?"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required. Recorded with the pickup, audited and sent to the control room."))
