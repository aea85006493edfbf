"""Incidents' pages: the list, opening one from selected alarms, and one incident's page
with its alarms, timeline, notes, the people and things involved, attachments, closing
with a report, and the report as a PDF.

Reading goes through the incidents' selectors (``services/incidents.py``, its reading
part): an incident the principal may not see is a 404. Every act is a service of
``services/incidents.py``, whose refusals are shown on the form at fault (400).

The forms live here: they parse input only, and nothing else uses them.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from havenwatch.controlroom import selectors
from havenwatch.controlroom.choices import OPEN_STATES
from havenwatch.controlroom.incident_pdf import incident_filename, render_incident_pdf
from havenwatch.controlroom.models import Alarm
from havenwatch.controlroom.models.incidents import Incident, IncidentState, PartyKind
from havenwatch.controlroom.services import incidents as incident_services
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.templatetags.havenwatch import local_time
from havenwatch.core.views._common import page, paginate, visible_or_404

OFFERED_ALARMS = 200  # the open alarms listed to open an incident from, most urgent first
STATE_FILTERS = [("open", gettext_lazy("Open")), ("closed", gettext_lazy("Closed")), ("all", gettext_lazy("All"))]


# --- forms ------------------------------------------------------------------------------------


def alarm_label(alarm: Alarm) -> str:
    """An alarm as a choice: number, priority, title, device, place, when raised, state."""
    where = alarm.facility.name if alarm.facility_id else alarm.port.name
    device = f" · {alarm.device.code}" if alarm.device_id else ""
    count = f" ×{alarm.count}" if alarm.count > 1 else ""
    return (f"#{alarm.pk} · P{alarm.priority} · {alarm.title}{count}{device} · {where} · "
            f"{local_time(alarm.raised_at, alarm.port.time_zone)} · {alarm.get_state_display()}")


class AlarmChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, alarm: Alarm) -> str:
        return alarm_label(alarm)


class IncidentOpenForm(forms.Form):
    alarms = AlarmChoiceField(label=gettext_lazy("Alarms"), queryset=Alarm.objects.none(),
                              widget=forms.CheckboxSelectMultiple,
                              help_text=gettext_lazy("Open alarms you work, all of one port."),
                              error_messages={"required": gettext_lazy("Choose the alarms the incident is opened "
                                                                       "from.")})
    title = forms.CharField(label=gettext_lazy("Title"), max_length=incident_services.MAX_TITLE, required=False)
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=incident_services.MAX_SUMMARY,
                              required=False, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=gettext_lazy("What is known so far."))

    def __init__(self, *args, alarms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alarms"].queryset = alarms


class NoteForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=incident_services.MAX_NOTE,
                           widget=forms.Textarea(attrs={"rows": 3}))


class LinkForm(forms.Form):
    alarm = forms.TypedChoiceField(label=gettext_lazy("Alarm"), coerce=int)

    def __init__(self, *args, alarms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alarm"].choices = [(a.pk, alarm_label(a)) for a in alarms]


class PartyForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[("", "—"), *PartyKind.choices],
                             error_messages={"required": gettext_lazy("Choose a person, a vehicle, a container or a "
                                                                      "vessel.")})
    value = forms.CharField(label=gettext_lazy("Who or what"), max_length=200, required=False, help_text=gettext_lazy(
        "A name, a number plate, a container number (e.g. CSQU3054383) or a vessel's IMO number or name."))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


class AttachForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"), widget=forms.ClearableFileInput(
        attrs={"accept": "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"}),
        help_text=gettext_lazy("A photo (JPEG, PNG) or a PDF, at most 10 MB. Both are stored without their "
                               "metadata (a photo's location and camera, a PDF's author and software)."))


class CloseForm(forms.Form):
    report = forms.CharField(label=gettext_lazy("Closing report"), required=False,
                             max_length=incident_services.MAX_REPORT, widget=forms.Textarea(attrs={"rows": 8}),
                             help_text=gettext_lazy("Required: what happened, what was done, what follows. It "
                                                    "ends the incident and is printed in its PDF."))


# --- reading ----------------------------------------------------------------------------------


def _visible(request, incident_id: int) -> Incident:
    return visible_or_404(incident_services.incident_list(principal=request.principal), incident_id)


def _workable(request, incident_id: int) -> Incident:
    return visible_or_404(incident_services.workable_incidents(principal=request.principal), incident_id)


def _free_alarms(principal):
    """Alarms the principal works that no open incident holds yet."""
    return selectors.workable_alarms(principal=principal).exclude(
        incident_links__incident__state=IncidentState.OPEN)


def _linkable(principal, incident: Incident) -> list[Alarm]:
    """The open alarms of the incident's port that may still join it."""
    return list(_free_alarms(principal).filter(port_id=incident.port_id, state__in=OPEN_STATES)
                .order_by("priority", "raised_at", "id")[:OFFERED_ALARMS])


@page("controlroom.view_alarm")
def incident_list(request):
    state = request.GET.get("state") or "open"
    qs = incident_services.incident_list(principal=request.principal)
    if state in (IncidentState.OPEN, IncidentState.CLOSED):
        qs = qs.filter(state=state)
    else:
        state = "all"
    return render(request, "controlroom/incidents/list.html", {
        "page_obj": paginate(request, qs), "state": state, "states": STATE_FILTERS,
        "can_open": request.principal.has_perm("controlroom.work_alarm"),
    })


def _detail(request, incident: Incident, *, bound: dict | None = None, status: int = 200):
    """The incident's page; ``bound`` holds the form of an act that failed, shown with its error."""
    principal = request.principal
    bound = bound or {}
    alarms, hidden = incident_services.incident_alarms(principal=principal, incident=incident)
    can_work = (incident.state == IncidentState.OPEN
                and incident_services.workable_incidents(principal=principal).filter(pk=incident.pk).exists())
    linkable = _linkable(principal, incident) if can_work else []
    # An act refused because the incident was closed meanwhile: its form is gone, its error is shown on top.
    refused = [str(e) for form in bound.values() for errors in form.errors.values() for e in errors] \
        if bound and not can_work else []
    return render(request, "controlroom/incidents/detail.html", {
        "incident": incident,
        "alarms": alarms,
        "hidden_alarms": hidden,
        "timeline": incident_services.incident_timeline(incident=incident),
        "parties": incident_services.incident_parties(incident=incident),
        "attachments": incident_services.incident_attachments(incident=incident),
        "time_zone": incident.port.time_zone,
        "can_work": can_work,
        "refused": refused,
        "max_attachments": incident_services.MAX_ATTACHMENTS,
        "note_form": bound.get("note") or NoteForm(auto_id="id_note_%s"),
        "party_form": bound.get("party") or PartyForm(auto_id="id_party_%s"),
        "attach_form": bound.get("attach") or AttachForm(auto_id="id_attach_%s"),
        "close_form": bound.get("close") or CloseForm(auto_id="id_close_%s"),
        "link_form": bound.get("link") or (LinkForm(alarms=linkable, auto_id="id_link_%s") if linkable else None),
    }, status=status)


@page("controlroom.view_alarm")
def incident_detail(request, incident_id: int):
    return _detail(request, _visible(request, incident_id))


@page("controlroom.view_alarm")
def incident_attachment(request, incident_id: int, attachment_id: int):
    """An attachment's file, for who sees the incident: photos shown in the page, PDFs
    downloaded; never cached outside the browser's memory."""
    incident = _visible(request, incident_id)
    attachment = visible_or_404(incident_services.incident_attachments(incident=incident, with_data=True),
                                attachment_id)
    response = HttpResponse(bytes(attachment.data), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(not attachment.is_image, attachment.name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@page("controlroom.view_alarm")
def incident_pdf(request, incident_id: int):
    incident = _visible(request, incident_id)
    response = HttpResponse(render_incident_pdf(principal=request.principal, incident=incident),
                            content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, incident_filename(incident))
    response["Cache-Control"] = "no-store"
    return response


# --- acting ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page("controlroom.work_alarm")
def incident_open(request):
    """Open an incident from alarms ticked in a list of the open ones the principal works
    (``?alarm=<id>`` ticks one beforehand, as the alarm's page links here)."""
    principal = request.principal
    free = _free_alarms(principal)
    chosen = request.POST.getlist("alarms") if request.method == "POST" else request.GET.getlist("alarm")
    chosen = [int(pk) for pk in chosen if pk.isdigit() and len(pk) < 10]
    offered = free.filter(Q(state__in=OPEN_STATES) | Q(pk__in=chosen)).select_related(
        "port", "facility", "device").order_by("priority", "raised_at", "id")
    if request.method != "POST":
        listed = offered.filter(pk__in=list(offered.values_list("pk", flat=True)[:OFFERED_ALARMS]))
        form = IncidentOpenForm(alarms=listed, initial={"alarms": chosen})
        return render(request, "controlroom/incidents/open.html", {"form": form, "has_alarms": listed.exists()})
    form = IncidentOpenForm(request.POST, alarms=offered)
    if form.is_valid():
        data = form.cleaned_data
        try:
            incident = incident_services.incident_open(actor=principal, alarms=list(data["alarms"]),
                                                       title=data["title"], summary=data["summary"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Incident #%(n)s is open.") % {"n": incident.pk})
            return redirect("controlroom:incident", incident.pk)
    form.fields["alarms"].queryset = offered.filter(pk__in=list(offered.values_list("pk", flat=True)[:OFFERED_ALARMS]))
    return render(request, "controlroom/incidents/open.html", {"form": form, "has_alarms": True}, status=400)


def _act(request, incident_id: int, key: str, make_form, act, done: str):
    """One act on an incident: a valid form (``make_form(incident)``), one service call; on a
    refusal, the page again with the form and its error (400)."""
    incident = _workable(request, incident_id)
    form = make_form(incident)
    if form.is_valid():
        try:
            act(incident, form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, done % {"n": incident.pk})
            return redirect("controlroom:incident", incident.pk)
    return _detail(request, incident, bound={key: form}, status=400)


@require_POST
@page("controlroom.work_alarm")
def incident_note(request, incident_id: int):
    return _act(request, incident_id, "note", lambda incident: NoteForm(request.POST, auto_id="id_note_%s"),
                lambda incident, data: incident_services.incident_note(
                    actor=request.principal, incident=incident, text=data["text"]),
                _("Note added to incident #%(n)s."))


@require_POST
@page("controlroom.work_alarm")
def incident_link(request, incident_id: int):
    principal = request.principal
    offered: dict[int, Alarm] = {}

    def form(incident):
        offered.update({a.pk: a for a in _linkable(principal, incident)})
        return LinkForm(request.POST, alarms=offered.values(), auto_id="id_link_%s")

    return _act(request, incident_id, "link", form,
                lambda incident, data: incident_services.incident_link_alarm(
                    actor=principal, incident=incident, alarm=offered[data["alarm"]]),
                _("Alarm linked to incident #%(n)s."))


@require_POST
@page("controlroom.work_alarm")
def incident_party(request, incident_id: int):
    return _act(request, incident_id, "party", lambda incident: PartyForm(request.POST, auto_id="id_party_%s"),
                lambda incident, data: incident_services.incident_add_party(
                    actor=request.principal, incident=incident, kind=data["kind"], value=data["value"],
                    note=data["note"]),
                _("Recorded on incident #%(n)s."))


@require_POST
@page("controlroom.work_alarm")
def incident_attach(request, incident_id: int):
    def attach(incident, data):
        upload = data["file"]
        incident_services.incident_attach(
            actor=request.principal, incident=incident, name=upload.name, content_type=upload.content_type or "",
            data=upload.read(incident_services.MAX_ATTACHMENT_BYTES + 1))  # the service refuses what is past it

    return _act(request, incident_id, "attach",
                lambda incident: AttachForm(request.POST, request.FILES, auto_id="id_attach_%s"),
                attach, _("File attached to incident #%(n)s."))


@require_POST
@page("controlroom.work_alarm")
def incident_close(request, incident_id: int):
    return _act(request, incident_id, "close", lambda incident: CloseForm(request.POST, auto_id="id_close_%s"),
                lambda incident, data: incident_services.incident_close(
                    actor=request.principal, incident=incident, report=data["report"]),
                _("Incident #%(n)s is closed."))
