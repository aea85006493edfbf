"""Forms of the shipping line's release pages. They parse input only: every rule (the
container number's check digit, the validity window, who may act) lives in
:mod:`havenwatch.release.services.releases`, which gives the specific message."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from havenwatch.access.forms_visits import PortDateTimeField
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.models import Facility, Organisation
from havenwatch.release.choices import ReleaseStatus

# Who a line names as the first release party: the consignee's forwarder, or a haulier.
FIRST_PARTY_KINDS = (OrganisationKind.FORWARDER, OrganisationKind.TRANSPORT_COMPANY)


def release_terminals():
    """The terminals a release may name: every active facility (as the service checks)."""
    return Facility.objects.filter(is_active=True).select_related("port").order_by("port__name", "name")


def first_parties():
    return Organisation.objects.filter(is_active=True, kind__in=FIRST_PARTY_KINDS).order_by("name")


class TerminalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.port.name}"


def common_time_zone(terminals) -> str:
    """The one time zone of these terminals' ports, else the platform's."""
    zones = {terminal.port.time_zone for terminal in terminals}
    return zones.pop() if len(zones) == 1 else settings.TIME_ZONE


class ReleaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *ReleaseStatus.choices])
    container = forms.CharField(label=_("Container number"), required=False, max_length=20,
                                help_text=_("The whole number or a part of it."))
    terminal = TerminalChoiceField(label=_("Terminal"), required=False, queryset=None,
                                   empty_label=_("All terminals"))

    def __init__(self, *args, terminals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terminal"].queryset = terminals


class ReleaseIssueForm(forms.Form):
    container_number = forms.CharField(
        label=_("Container number"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("ISO 6346 with its check digit, e.g. CSQU3054383. Spaces do not matter."))
    terminal = TerminalChoiceField(label=_("Terminal"), required=False, queryset=None,
                                   empty_label=_("Choose the terminal"),
                                   help_text=_("Where the container is discharged; it is picked up there."))
    bill_of_lading = forms.CharField(label=_("Bill of lading reference"), required=False, max_length=35)
    first_party = forms.ModelChoiceField(
        label=_("First release party"), required=False, queryset=None, empty_label=_("Choose the party"),
        help_text=_("The forwarder or haulier who receives the right to collect the container first; "
                    "it may pass the right on."))
    valid_from = PortDateTimeField(label=_("Valid from (port time)"), required=False)
    valid_until = PortDateTimeField(label=_("Valid until (port time)"), required=False,
                                    help_text=_("After this moment the container cannot be picked up with this "
                                                "release."))

    def __init__(self, *args, terminals, parties, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terminal"].queryset = terminals
        self.fields["first_party"].queryset = parties
        for name in ("valid_from", "valid_until"):
            self.fields[name].time_zone = time_zone

    def clean_terminal(self):
        # Runs before the times are read: they are in the chosen terminal's port time.
        terminal = self.cleaned_data["terminal"]
        if terminal is not None:
            for name in ("valid_from", "valid_until"):
                self.fields[name].time_zone = terminal.port.time_zone
        return terminal


class ReleaseEditForm(forms.Form):
    bill_of_lading = forms.CharField(label=_("Bill of lading reference"), required=False, max_length=35)
    valid_from = PortDateTimeField(label=_("Valid from (port time)"), required=False,
                                   help_text=_("Leave empty to keep the current start."))
    valid_until = PortDateTimeField(label=_("Valid until (port time)"), required=False,
                                    help_text=_("Leave empty to keep the current end."))

    def __init__(self, *args, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("valid_from", "valid_until"):
            self.fields[name].time_zone = time_zone


def _reason(label, help_text=None):
    return forms.CharField(label=label, required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=help_text)


class _ActForm(forms.Form):
    """One of the small forms on a release's page: its own ids, as several share a page."""

    act = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.act}_%s")
        super().__init__(*args, **kwargs)


class ReleaseBlockForm(_ActForm):
    act = "block"
    reason = _reason(_("Why is the release blocked?"),
                     _("Required, e.g. freight unpaid. The parties of the chain and the terminal read it."))


class ReleaseUnblockForm(_ActForm):
    act = "unblock"
    reason = _reason(_("Why is the release unblocked?"), _("Required, e.g. freight paid."))


class ReleaseRevokeForm(_ActForm):
    act = "revoke"
    reason = _reason(_("Why is the release revoked?"), _("Required. Every party of the chain reads it."))
    confirm = forms.BooleanField(
        label=_("I understand that every party of the chain loses its right to collect the container and is "
                "told so, and that a revoked release cannot be restored."),
        required=False)

    def clean_confirm(self):
        if not self.cleaned_data["confirm"]:
            raise forms.ValidationError(_("Tick the box to confirm that you revoke the release for good."))
        return True


class ReleaseReissueForm(_ActForm):
    act = "reissue"
    valid_from = PortDateTimeField(label=_("Valid from (port time)"), required=False)
    valid_until = PortDateTimeField(label=_("Valid until (port time)"), required=False)
    first_party = forms.ModelChoiceField(
        label=_("First release party"), required=False, queryset=None,
        empty_label=_("The same first party (the chain is restored)"),
        help_text=_("Naming another first party starts a new chain with that party; the current chain is not "
                    "carried over."))
    reason = _reason(_("Why is the release withdrawn and reissued?"), _("Required, e.g. a new vessel rotation."))

    def __init__(self, *args, parties, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_party"].queryset = parties
        for name in ("valid_from", "valid_until"):
            self.fields[name].time_zone = time_zone
