"""Forms of the officers' control-room pages: devices, rules, procedures, watch lists.

They parse input only. Every rule (a fence is a line, a code is unique in the port, a rule
compiles, who may write what) lives in the services, which give the specific message;
the views put it back on the form."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from havenwatch.controlroom.choices import DeviceKind, RuleStatus
from havenwatch.core.forms import LOCAL_FORMAT, GeoJSONField, PortDateTimeField


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.port.name}"


class DeviceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        where = obj.facility.name if obj.facility_id else obj.port.name
        return f"{obj.code} · {obj.name} ({where})"


# --- devices -------------------------------------------------------------------------------

STATUS_CHOICES = [
    ("", _("In service")),
    ("silent", _("Silent or never heard from")),
    ("retired", _("Retired")),
    ("all", _("All")),
]


class DeviceFilterForm(forms.Form):
    q = forms.CharField(label=_("Code or name"), required=False, max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *DeviceKind.choices])
    facility = FacilityChoiceField(label=_("Facility"), required=False, queryset=None,
                                   empty_label=_("All facilities"))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class _PlaceForm(forms.Form):
    """Where a device is: GeoJSON text, or a longitude and a latitude for a point."""

    geometry = GeoJSONField(
        label=_("Position (GeoJSON)"), required=False,
        help_text=_("A GeoJSON Point, or a LineString for a fence segment, in longitude, latitude. For a point "
                    "you may give the longitude and latitude below instead."))
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180,
                                 widget=forms.NumberInput(attrs={"step": "any"}))
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90,
                                widget=forms.NumberInput(attrs={"step": "any"}),
                                help_text=_("In decimal degrees, e.g. 51.2800. Click the map to fill both."))
    field_of_view = GeoJSONField(label=_("Field of view (GeoJSON)"), required=False,
                                 help_text=_("Optional, for a camera: a GeoJSON Polygon of what it sees."))
    external_name = forms.CharField(
        label=_("Name in the source system"), required=False, max_length=120,
        help_text=_("The camera's name in the video system, or the alarm panel's account."))
    silent_after = forms.IntegerField(
        label=_("Silent after (minutes)"), initial=15, min_value=1,
        help_text=_("Without a message for this long, the device counts as silent."))

    def clean(self):
        data = super().clean()
        lon, lat = data.get("longitude"), data.get("latitude")
        if (lon is None) != (lat is None):
            self.add_error("latitude" if lat is None else "longitude",
                           _("Give both the longitude and the latitude, or neither."))
        elif lon is not None:
            if data.get("geometry"):
                self.add_error("geometry", _("Give the position either as GeoJSON or as a longitude and "
                                             "latitude, not both."))
            else:
                data["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
        return data

    def place(self) -> dict:
        """What the services take of the place."""
        data = self.cleaned_data
        return {"geometry": data["geometry"], "field_of_view": data["field_of_view"],
                "external_name": data["external_name"], "silent_after": data["silent_after"]}


class DeviceRegisterForm(_PlaceForm):
    facility = FacilityChoiceField(
        label=_("Facility"), required=False, queryset=None, empty_label=_("None: a device of the port itself"),
        help_text=_("A facility's device belongs to its operator; the port's own devices to the port authority."))
    port = forms.ModelChoiceField(label=_("Port"), required=False, queryset=None,
                                  empty_label=_("The facility's port"),
                                  help_text=_("Needed only for a device of the port itself."))
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Choose the kind")), *DeviceKind.choices])
    code = forms.CharField(label=_("Code"), max_length=40,
                           help_text=_("Unique in the port, e.g. F-12 or CAM-QUAY-3."))
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("A name operators recognise."))

    field_order = ["facility", "port", "kind", "code", "name", "geometry", "longitude", "latitude",
                   "field_of_view", "external_name", "silent_after"]

    def __init__(self, *args, ports, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        if ports.exists():
            self.fields["port"].queryset = ports
        else:  # a facility's officer: its devices are its facilities'
            del self.fields["port"]
            self.fields["facility"].required = True
            self.fields["facility"].empty_label = _("Choose the facility")
            self.fields["facility"].help_text = ""

    def clean(self):
        data = super().clean()
        if data.get("port") is None:
            if data.get("facility") is not None:
                data["port"] = data["facility"].port
            elif "port" in self.fields and "facility" not in self.errors:
                self.add_error("port", _("Choose the port of a device that belongs to no facility."))
        return data


class DeviceEditForm(_PlaceForm):
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("A name operators recognise."))

    field_order = ["name", "geometry", "longitude", "latitude", "field_of_view", "external_name", "silent_after"]

    def place(self) -> dict:
        return {"name": self.cleaned_data["name"], **super().place()}


class DeviceRetireForm(forms.Form):
    reason = forms.CharField(label=_("Why is the device retired?"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required, e.g. replaced by CAM-QUAY-4. Kept in the audit log."))
    confirm = forms.BooleanField(
        label=_("I understand that the device's events are refused from now on, that its tokens stop "
                "working for it, and that a retired device cannot be brought back."),
        required=False)

    def clean_confirm(self):
        if not self.cleaned_data["confirm"]:
            raise forms.ValidationError(_("Tick the box to confirm that you retire the device."))
        return True


class DeviceTokenForm(forms.Form):
    devices = DeviceChoiceField(
        label=_("Devices"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("One device, or the devices behind one gateway. All of one owner."))
    name = forms.CharField(label=_("Name"), max_length=120,
                           help_text=_("Say what sends with it, e.g. “North quay gateway”."))
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
        help_text=_("Optional. In the platform's time zone."))

    def __init__(self, *args, devices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["devices"].queryset = devices


# --- rules ---------------------------------------------------------------------------------


class RuleFilterForm(forms.Form):
    q = forms.CharField(label=_("Code or title"), required=False, max_length=160)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *RuleStatus.choices])


class DryRunForm(forms.Form):
    """The period "would it have fired?" looks at, in the port's time."""

    since = PortDateTimeField(label=_("From (port time)"), required=False)
    until = PortDateTimeField(label=_("To (port time)"), required=False)

    def __init__(self, *args, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("since", "until"):
            self.fields[name].time_zone = time_zone

    def period(self) -> tuple[datetime, datetime] | None:
        """(since, until) of a valid form, or None with an error on what is missing."""
        for name in ("since", "until"):
            if name not in self.errors and self.cleaned_data.get(name) is None:
                self.add_error(name, _("Give the start and the end of the period."))
        if "since" in self.errors or "until" in self.errors:
            return None
        return self.cleaned_data["since"], self.cleaned_data["until"]


class RuleForm(DryRunForm):
    """A rule's text, its status and a note; the area only for a new rule. The period is for
    "would it have fired?", which runs the text without saving it."""

    area = forms.ChoiceField(label=_("Area"), required=False,
                             help_text=_("The whole port, or one facility: a facility's rule sees only its "
                                         "facility's events."))
    text = forms.CharField(
        label=_("Rule (YAML)"), required=False, max_length=20_000, strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "mono"}))
    status = forms.ChoiceField(label=_("Status"), choices=RuleStatus.choices, initial=RuleStatus.ACTIVE,
                               help_text=_("Only active rules raise alarms; a draft is kept for later."))
    note = forms.CharField(label=_("Note on this version"), required=False, max_length=300,
                           help_text=_("What changed and why; shown in the rule's versions."))

    field_order = ["area", "text", "status", "note", "since", "until"]

    def __init__(self, *args, areas: list | None, **kwargs):
        """``areas``: [(group label, [(key, label, port or facility)])], or None for the next
        version of a rule (its area stays)."""
        super().__init__(*args, **kwargs)
        self.areas = {}
        if areas is None:
            del self.fields["area"]
            return
        choices = [("", _("Choose the area"))]
        for group, items in areas:
            choices.append((group, [(key, label) for key, label, _obj in items]))
            self.areas.update({key: obj for key, _label, obj in items})
        self.fields["area"].choices = choices

    def clean_area(self):
        key = self.cleaned_data["area"]
        if key not in self.areas:
            raise forms.ValidationError(_("Choose the port or the facility the rule is for."))
        return key

    def area_objects(self):
        """(port, facility or None) of the chosen area."""
        area = self.areas[self.cleaned_data["area"]]
        return (area.port, area) if hasattr(area, "isps_number") else (area, None)


# --- procedures and watch lists -------------------------------------------------------------


class SopForm(forms.Form):
    port = forms.ModelChoiceField(label=_("Port"), queryset=None, empty_label=_("Choose the port"))
    code = forms.CharField(label=_("Code"), max_length=64,
                           help_text=_("Lower-case letters, digits and dashes, e.g. intrusion. Rules name the "
                                       "procedure by it (sop: intrusion)."))
    title = forms.CharField(label=_("Title"), max_length=160)
    steps = forms.CharField(
        label=_("Steps"), widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("One step per line, in order: 1 to 30 steps. Alarms already raised keep the steps they "
                    "were raised with."))

    def __init__(self, *args, ports=None, **kwargs):
        super().__init__(*args, **kwargs)
        if ports is None:  # a new version: the port and the code are the procedure's
            del self.fields["port"], self.fields["code"]
        else:
            self.fields["port"].queryset = ports

    def clean_steps(self):
        return [line.strip() for line in self.cleaned_data["steps"].splitlines() if line.strip()]


class WatchlistCreateForm(forms.Form):
    port = forms.ModelChoiceField(label=_("Port"), queryset=None, empty_label=_("Choose the port"))
    code = forms.CharField(label=_("Code"), max_length=64,
                           help_text=_("Lower-case letters, digits and dashes, e.g. stolen-plates. Rules name "
                                       "the list by it (watchlist: stolen-plates)."))
    name = forms.CharField(label=_("Name"), max_length=120)

    def __init__(self, *args, ports, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["port"].queryset = ports


class WatchlistAddForm(forms.Form):
    values = forms.CharField(
        label=_("Values to add"), widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("Plates or serial numbers, one per line or separated by commas. Spaces, dots and "
                    "dashes are dropped and letters put in capitals, as cameras read plates."))
    note = forms.CharField(label=_("Why they are listed"), max_length=300,
                           help_text=_("Required, e.g. reported stolen on 12 March. Operators read it."))

    def clean_values(self):
        text = self.cleaned_data["values"].replace(",", "\n")
        return [line.strip() for line in text.splitlines() if line.strip()]


class WatchlistRemoveForm(forms.Form):
    value = forms.CharField(max_length=64, widget=forms.HiddenInput)
