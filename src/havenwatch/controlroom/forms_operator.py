"""Forms of the operator's pages: the alarm history's filters and the acts on one alarm.
They parse input only: whether a note, a skipped step or a closing is acceptable is
``services/alarms.py``'s to say (its messages are the ones shown)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from havenwatch.controlroom.choices import AlarmState

PRIORITY_CHOICES = [("", _("All priorities")), *[(str(p), f"P{p}") for p in (1, 2, 3, 4, 5)]]


class AlarmFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), ("open", pgettext_lazy("alarm state", "Open")), *AlarmState.choices])
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int, empty_value=None,
                                      choices=PRIORITY_CHOICES)
    rule = forms.ChoiceField(label=_("Rule"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", _("All rules")), *[(code, code) for code in rules]]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class StepForm(forms.Form):
    """Tick a step of the procedure (``done``), or skip it with a reason."""

    step = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    done = forms.TypedChoiceField(widget=forms.HiddenInput, coerce=lambda v: v == "1",
                                  choices=[("1", "done"), ("0", "skip")], initial="1")
    reason = forms.CharField(label=_("Why is the step skipped?"), required=False, max_length=500)


class CloseForm(forms.Form):
    """Resolve, or close as a false alarm; both take a reason (the service requires it)."""

    outcome = forms.ChoiceField(widget=forms.HiddenInput, required=False,
                                choices=[("resolved", _("Resolved")), ("false_alarm", _("False alarm"))])
    reason = forms.CharField(label=_("How did the alarm end?"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required: what was found, and what was done."))

    def false_alarm(self) -> bool:
        return self.cleaned_data.get("outcome") == "false_alarm"
