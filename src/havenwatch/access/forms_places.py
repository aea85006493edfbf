"""Forms of the PFSO's pages: zones, access points, authorisations, facility activations and
visit announcers. They parse input only: every rule lives in the services
(:mod:`havenwatch.access.services.places`, ``rights``, ``people`` and ``visits``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from havenwatch.access.choices import AccessPointKind, Direction, LevelMode
from havenwatch.access.forms_visits import PortDateTimeField
from havenwatch.core.choices import SecurityLevel
from havenwatch.core.forms import GeoJSONField
from havenwatch.core.schedules import DAYS

DAY_LABELS = {
    "mon": _("Monday"), "tue": _("Tuesday"), "wed": _("Wednesday"), "thu": _("Thursday"),
    "fri": _("Friday"), "sat": _("Saturday"), "sun": _("Sunday"),
}
LEVELS = (1, 2, 3)


def _facility_time_zone(form: forms.Form, facilities, name: str = "facility") -> str:
    """The time zone of the facility the form is about: the one posted if it is a choice,
    else the first choice's (a PFSO's facilities are nearly always in one port)."""
    chosen = None
    raw = form.data.get(form.add_prefix(name)) if form.is_bound else form.initial.get(name)
    if raw not in (None, ""):
        try:
            chosen = next((f for f in facilities if f.pk == int(getattr(raw, "pk", raw))), None)
        except (TypeError, ValueError):
            chosen = None
    if chosen is None:
        chosen = next(iter(facilities), None)
    return chosen.port.time_zone if chosen is not None else "UTC"


# --- zones and access points --------------------------------------------------------------


class FacilityFilterForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None, required=False,
                                      empty_label=None)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class ZoneForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None, empty_label=_("Choose the facility"))
    code = forms.CharField(label=_("Code"), max_length=200, required=False,
                           help_text=_("A short code the guards and gate controllers use, e.g. QUAY-1."))
    name = forms.CharField(label=_("Name"), max_length=400, required=False)
    geometry = GeoJSONField(
        label=_("Outline (GeoJSON)"), required=False,
        help_text=_('Optional. A GeoJSON Polygon in longitude, latitude, for example '
                    '{"type": "Polygon", "coordinates": [[[4.30, 51.30], [4.31, 51.30], [4.31, 51.31], '
                    '[4.30, 51.30]]]}. Draw it in a mapping tool and paste the text here; the first and '
                    'last points are the same.'),
    )
    escort_required = forms.BooleanField(label=_("Everyone entering must be escorted"), required=False)
    requires_verification = forms.BooleanField(
        label=_("A positive security verification is required to enter"), required=False)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class LevelRuleForm(forms.Form):
    """What a zone allows at one security level; one form per level (prefix ``sl1`` … ``sl3``)."""

    mode = forms.ChoiceField(label=_("Who may enter"), choices=LevelMode.choices, initial=LevelMode.OPEN)
    purposes = forms.CharField(label=_("Allowed purposes"), required=False, max_length=500)

    def __init__(self, *args, level: int, **kwargs):
        super().__init__(*args, prefix=f"sl{level}", **kwargs)
        self.level = level
        self.level_label = SecurityLevel(level).label

    def rule(self) -> dict | None:
        """The rule as the service takes it; ``None`` for the default (open, nothing listed)."""
        mode = self.cleaned_data["mode"]
        purposes = [p.strip() for p in self.cleaned_data["purposes"].split(",") if p.strip()]
        if mode == LevelMode.OPEN and not purposes:
            return None
        return {"mode": mode, "allowed_purposes": purposes}


def level_rules_from(rule_forms) -> dict:
    return {str(f.level): rule for f in rule_forms if (rule := f.rule()) is not None}


class AccessPointForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=200, required=False,
                           help_text=_("The code the gate controller sends, e.g. GATE-3."))
    name = forms.CharField(label=_("Name"), max_length=400, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=AccessPointKind.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.BOTH)
    open_at_levels = forms.TypedMultipleChoiceField(
        label=_("Open at security levels"), coerce=int, required=False,
        choices=SecurityLevel.choices, initial=[1, 2], widget=forms.CheckboxSelectMultiple,
        help_text=_("At security level 3 entry goes through a single controlled point: only one access "
                    "point of the facility may be open at level 3."),
    )
    requires_biometric = forms.BooleanField(label=_("A biometric match is required"), required=False)
    requires_plate = forms.BooleanField(label=_("A number plate (ANPR) is required"), required=False,
                                        help_text=_("Vehicle gates only."))
    anti_passback = forms.BooleanField(
        label=_("Anti-passback: refuse an entry by someone who is inside already"), required=False,
        initial=True)
    longitude = forms.FloatField(label=_("Longitude"), required=False,
                                 help_text=_("Optional: where the point is on the map, e.g. 4.3051."))
    latitude = forms.FloatField(label=_("Latitude"), required=False, help_text=_("For example 51.2987."))

    def clean(self):
        data = super().clean()
        lon, lat = data.get("longitude"), data.get("latitude")
        if (lon is None) != (lat is None) and not self.errors:
            raise forms.ValidationError(_("Give both the longitude and the latitude, or neither."))
        return data

    def position(self) -> dict | None:
        lon, lat = self.cleaned_data["longitude"], self.cleaned_data["latitude"]
        if lon is None or lat is None:
            return None
        return {"type": "Point", "coordinates": [lon, lat]}


# --- authorisations -----------------------------------------------------------------------


class AuthorisationFilterForm(forms.Form):
    LIVE, UPCOMING, EXPIRED, REVOKED = "live", "upcoming", "expired", "revoked"
    STATUSES = [
        ("", _("Any status")),
        (LIVE, _("Valid now")),
        (UPCOMING, _("Not yet valid")),
        (EXPIRED, _("Expired")),
        (REVOKED, _("Revoked")),
    ]

    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None, required=False,
                                      empty_label=_("All facilities"))
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=None, required=False, empty_label=_("All zones"))
    holder = forms.CharField(label=_("Holder"), required=False, max_length=100,
                             help_text=_("A name, an organisation or a credential number."))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUSES)

    def __init__(self, *args, facilities, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["zone"].queryset = zones
        self.fields["zone"].label_from_instance = lambda z: f"{z.code} · {z.name} ({z.facility.name})"


class FacilityChoiceForm(forms.Form):
    """Step one of granting: the facility (its zones and time zone shape the form)."""

    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None, empty_label=_("Choose the facility"))

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class AuthorisationGrantForm(forms.Form):
    facility = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    credential_number = forms.CharField(
        label=_("Person: credential number"), required=False, max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The number on the person's badge. Fill in a credential number or an organisation, "
                    "not both."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Or every employee of an organisation"), queryset=None, required=False,
        empty_label=_("No organisation"),
    )
    zones = forms.ModelMultipleChoiceField(
        label=_("Zones"), queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one zone.")},
        help_text=_("One authorisation is granted for each zone, all with the same conditions."),
    )
    valid_from = PortDateTimeField(label=_("Valid from (port time)"), required=False)
    valid_until = PortDateTimeField(label=_("Valid until (port time)"), required=False,
                                    help_text=_("The authorisation ends on its own at this time."))
    days = forms.MultipleChoiceField(
        label=_("Days of the week"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(day, DAY_LABELS[day]) for day in DAYS],
        help_text=_("Leave the days and hours empty for access at any hour. Hours without days apply "
                    "every day."),
    )
    time_from = forms.TimeField(label=_("From (port time)"), required=False,
                                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    time_until = forms.TimeField(
        label=_("Until (port time)"), required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("An end before the start runs past midnight, e.g. 22:00 to 06:00."),
    )
    purpose = forms.CharField(
        label=_("Purpose"), required=False, max_length=200,
        help_text=_("A short word such as work, maintenance or emergency. At a security level that lets "
                    "only listed purposes in, this is what the zone compares."),
    )
    escort_required = forms.BooleanField(label=_("Must be escorted"), required=False)
    vehicle_only = forms.BooleanField(label=_("Only with a registered vehicle"), required=False)
    requires_verification = forms.BooleanField(label=_("A positive security verification is required"),
                                               required=False)
    required_training = forms.CharField(
        label=_("Training required"), required=False, max_length=200,
        help_text=_("Optional: a course the holder must have completed and still hold, as recorded on their "
                    "page (e.g. “ISPS security awareness”)."))

    def __init__(self, *args, facilities, facility, zones, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["zones"].queryset = zones
        self.fields["zones"].label_from_instance = lambda z: f"{z.code} · {z.name}"
        self.fields["organisation"].queryset = organisations
        for name in ("valid_from", "valid_until"):
            self.fields[name].time_zone = facility.port.time_zone

    def clean(self):
        data = super().clean()
        start, end = data.get("time_from"), data.get("time_until")
        if (start is None) != (end is None) and "time_from" not in self.errors and "time_until" not in self.errors:
            self.add_error("time_until" if end is None else "time_from",
                           _("Give both the start and the end of the hours, or neither."))
        elif data.get("days") and start is None and end is None:
            self.add_error("time_from", _("Give the hours for the chosen days."))
        return data

    def schedule(self) -> dict:
        """The weekly schedule as the service takes it: ``{"mon": [["07:00", "19:00"]]}``."""
        start, end = self.cleaned_data["time_from"], self.cleaned_data["time_until"]
        if start is None or end is None:
            return {}
        days = self.cleaned_data["days"] or list(DAYS)
        span = [start.strftime("%H:%M"), end.strftime("%H:%M")]
        return {day: [list(span)] for day in DAYS if day in days}


# --- facility activations -----------------------------------------------------------------


class EnrolmentFilterForm(forms.Form):
    ACTIVE, INACTIVE = "active", "inactive"

    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None, required=False,
                                      empty_label=_("All my facilities"))
    status = forms.ChoiceField(label=_("Activation"), required=False,
                               choices=[("", _("Active and deactivated")), (ACTIVE, pgettext_lazy("activation", "Active")),
                                        (INACTIVE, _("Deactivated"))])
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("A credential number or a name."))

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class ActivateForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None, empty_label=None)
    number = forms.CharField(
        label=_("Credential number"), max_length=60,
        error_messages={"required": _("Enter the number of the credential to activate.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The number on the badge, e.g. CARD-00001234. The card must be active and of this port."),
    )

    def __init__(self, *args, facilities, **kwargs):
        # Its own ids: the page also shows the filter form, which has a facility field too.
        kwargs.setdefault("auto_id", "activate_%s")
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


# --- visit announcers ---------------------------------------------------------------------


class AnnouncerApproveForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None, empty_label=None)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None, empty_label=_("Choose the organisation"),
        help_text=_("Shipping lines and agents, forwarders, transport companies, other companies and "
                    "other terminals."),
    )
    valid_from = PortDateTimeField(label=_("From (port time)"), required=False)
    valid_until = PortDateTimeField(label=_("Until (port time)"), required=False,
                                    help_text=_("After this time the organisation can no longer announce "
                                                "visitors here."))

    def __init__(self, *args, facilities, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].label_from_instance = lambda o: f"{o.name} · {o.get_kind_display()}"
        time_zone = _facility_time_zone(self, list(facilities))
        for name in ("valid_from", "valid_until"):
            self.fields[name].time_zone = time_zone
