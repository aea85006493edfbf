"""Forms of the customs pages. They parse input only: the container number is read with
:func:`havenwatch.release.validation.container_number` and the rules of a hold live in
:mod:`havenwatch.release.services.holds`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class HoldPlaceForm(forms.Form):
    container = forms.CharField(
        label=_("Container number"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("ISO 6346 with its check digit, e.g. CSQU3054383."))
    reason = forms.CharField(label=_("Reason of the hold"), required=False, max_length=300,
                             help_text=_("Required, e.g. selected for a scan. The terminal and the parties of "
                                         "the release see that customs holds the container."))


class HoldReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Reason of the release"), required=False, max_length=300,
                             help_text=_("Required, e.g. scan clear."))


class ContainerSearchForm(forms.Form):
    q = forms.CharField(label=_("Container number"), required=False, max_length=20,
                        help_text=_("The whole number or a part of it."))
