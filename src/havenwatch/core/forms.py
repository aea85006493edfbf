"""Forms of the core's pages. They parse input only: every rule lives in the services.

A :class:`~havenwatch.core.errors.ServiceError` raised by a service is put back on the
form with :func:`add_service_error`, on the field it names when the form has that field.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import OrganisationKind, Role, SecurityLevel
from havenwatch.core.errors import ServiceError
from havenwatch.core.event_types import all_types
from havenwatch.core.permissions import all_permissions

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class PortDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read in the port's time zone; cleans to an aware UTC time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)

    def __init__(self, *args, time_zone: str = "UTC", **kwargs):
        self.time_zone = time_zone
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        for fmt in (LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                naive = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return naive.replace(tzinfo=ZoneInfo(self.time_zone)).astimezone(UTC)
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def prepare_value(self, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(ZoneInfo(self.time_zone)).strftime(LOCAL_FORMAT)
        return value


def add_service_error(form: forms.Form, error: ServiceError, *, fields: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form: on its field if the form has one, else on top."""
    field = (fields or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, str(error.message))


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code"), max_length=8, min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9 ]*", "autofocus": True}),
    )


class SwitchOrganisationForm(forms.Form):
    membership = forms.IntegerField(label=_("Act as"))


class SecurityLevelForm(forms.Form):
    """Set the level of one port or one facility; the choices are what the principal may set."""

    target = forms.ChoiceField(label=_("Port or facility"))
    level = forms.TypedChoiceField(label=_("New level"), coerce=int, choices=SecurityLevel.choices)
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Recorded in the history and the audit log, and shown to every facility."))

    def __init__(self, *args, ports, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.ports = {p.pk: p for p in ports}
        self.facilities = {f.pk: f for f in facilities}
        choices = []
        if self.ports:
            choices.append((_("Whole port"), [(f"port:{p.pk}", str(p)) for p in self.ports.values()]))
        if self.facilities:
            choices.append((_("One facility"), [(f"facility:{f.pk}", f"{f.name} · {f.port.name}")
                                                 for f in self.facilities.values()]))
        self.fields["target"].choices = choices

    def target_objects(self):
        """(port, facility or None) of the chosen target."""
        kind, _sep, pk = self.cleaned_data["target"].partition(":")
        if kind == "port":
            return self.ports[int(pk)], None
        facility = self.facilities[int(pk)]
        return facility.port, facility


class AuditFilterForm(forms.Form):
    code = forms.CharField(label=_("Event type starts with"), required=False, max_length=80)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=160)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=160,
                              help_text=_("A type such as core.facility, or type:id such as core.facility:4"))
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *OrganisationKind.choices])


class OrganisationCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    country = forms.CharField(label=_("Country"), max_length=2, initial="BE",
                              help_text=_("Two-letter ISO code, e.g. BE, NL, FR"))
    slug = forms.CharField(label=_("Short name"), max_length=60, required=False,
                           help_text=_("Used in addresses and exports; made from the name when left empty."))
    vat_number = forms.CharField(label=_("VAT number"), max_length=20, required=False)
    eori_number = forms.CharField(label=_("EORI number"), max_length=20, required=False)


class FacilityFilterForm(forms.Form):
    port = forms.TypedChoiceField(label=_("Port"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, ports, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["port"].choices = [("", _("All ports")), *[(p.pk, p.name) for p in ports]]


class GeoJSONField(forms.CharField):
    """A GeoJSON text; parsed here, its shape checked by the service."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise forms.ValidationError(_("This is not valid JSON: %(error)s") % {"error": exc}) from exc

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value)
        return value


class FacilityCreateForm(forms.Form):
    port = forms.ModelChoiceField(label=_("Port"), queryset=None, empty_label=_("Choose a port"))
    operator = forms.ModelChoiceField(label=_("Operator"), queryset=None, empty_label=_("Choose the operator"))
    name = forms.CharField(label=_("Name"), max_length=160)
    isps_number = forms.CharField(label=_("ISPS facility number"), max_length=32,
                                  help_text=_("UN/LOCODE, a dash and four digits, e.g. BEANR-0123"))
    geometry = GeoJSONField(label=_("Outline (GeoJSON)"), required=False,
                            help_text=_("Optional. A GeoJSON Polygon in longitude, latitude."))

    def __init__(self, *args, ports, operators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["port"].queryset = ports
        self.fields["operator"].queryset = operators


def _role_choices(*, include_admin: bool):
    return [(value, label) for value, label in Role.choices if include_admin or value != Role.PLATFORM_ADMIN]


class RoleFields(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None,
                                          empty_label=_("Choose the organisation"))
    role = forms.ChoiceField(label=_("Role"))
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None, required=False,
                                      empty_label=_("No particular facility"),
                                      help_text=_("Only for roles bound to one facility, such as a gate guard."))

    def __init__(self, *args, organisations, facilities, include_admin: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["facility"].queryset = facilities
        self.fields["role"].choices = _role_choices(include_admin=include_admin)


class UserCreateForm(RoleFields):
    username = forms.CharField(label=_("User name"), max_length=150,
                               help_text=_("Letters, digits and . _ - @"))
    email = forms.CharField(label=_("E-mail address"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Initial password"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters. Leave empty for an account that cannot sign in yet."),
    )

    field_order = ["username", "email", "first_name", "last_name", "password", "organisation", "role", "facility"]


class MembershipAddForm(RoleFields):
    pass


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120,
                           help_text=_("Say what uses the token, e.g. “Gate 3 controller”."))
    permissions = forms.MultipleChoiceField(label=_("Permissions"), widget=forms.CheckboxSelectMultiple,
                                            required=False)
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Optional. In the platform's time zone."),
    )
    facility = forms.ModelChoiceField(label=_("Bound to facility"), queryset=None, required=False,
                                      empty_label=_("Any facility of the organisation"),
                                      help_text=_("For a device or gate controller at one facility."))

    def __init__(self, *args, principal, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = [
            (info.code, f"{info.label} ({info.code})")
            for info in sorted(all_permissions().values(), key=lambda i: i.code)
            if info.token_grantable and principal.has_perm(info.code)
        ]
        self.fields["facility"].queryset = facilities


class WebhookCreateForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500,
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))
    event_types = forms.MultipleChoiceField(
        label=_("Event types"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Leave empty to receive every event your organisation may see."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = [(t.code, f"{t.label} ({t.code})") for t in all_types()]
