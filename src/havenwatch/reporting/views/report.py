"""One report, as its recipients read and work it: the answers, the place on a map, the
files, the conversation, writing (to the reporter or an internal comment), triage, the
log, and forwarding a redacted copy to another channel.

A report the principal does not receive is a 404. Its content is read only with the
recipient's unlocked key (else the key page, which comes back here) and the report's key
sealed to them (else a page saying a colleague must share it, 403). Every act is one
service of ``services/triage.py``; a refusal is shown on its form (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from havenwatch.core import files as core_files
from havenwatch.core.errors import PermissionRefused, ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import Organisation, User
from havenwatch.core.templatetags.havenwatch import local_time
from havenwatch.core.views._common import page
from havenwatch.reporting import questionnaire, unlock
from havenwatch.reporting.choices import Author, MessageKind, ReportStatus
from havenwatch.reporting.forms import ForwardForm, TriageForm, WriteForm
from havenwatch.reporting.models import Channel, Report
from havenwatch.reporting.services import triage
from havenwatch.reporting.views._shared import received_or_404, to_key_page

EXCERPT = 80  # characters of a message shown beside its checkbox on the forward page


class _Stop(Exception):
    """Reading stops with this response: the key page, or "not shared with you"."""

    def __init__(self, response):
        super().__init__("stop")
        self.response = response


def _opened(request, report_id: int):
    """The report and its private key, for a recipient whose key is unlocked in this browser."""
    report = received_or_404(request, report_id)
    recipient_key = unlock.unlocked_key(request)
    if recipient_key is None:
        raise _Stop(to_key_page(reverse("reporting:report", args=[report.pk])))
    try:
        report_key = triage.report_key(actor=request.principal, report=report, recipient_key=recipient_key)
    except PermissionRefused as error:
        raise _Stop(render(request, "reporting/staff/not_shared.html", {
            "report": report, "message": str(error.message)}, status=403)) from None
    return report, report_key


def _reading(view):
    """Run ``view(request, report, report_key, ...)`` once the report is opened."""

    @wraps(view)
    def wrapped(request, report_id: int, *args, **kwargs):
        try:
            report, report_key = _opened(request, report_id)
        except _Stop as stop:
            return stop.response
        return view(request, report, report_key, *args, **kwargs)

    return wrapped


def _to_reporter(report: Report) -> bool:
    """Whether the reporter can be written to: not on a forwarded copy, not once closed (the
    service refuses both; the form then offers only an internal comment)."""
    return bool(report.receipt_hash) and report.status != ReportStatus.CLOSED


def _organisations(report: Report) -> list[Organisation]:
    """The organisations a report may be routed to (the service's rule), and whoever it is routed to now."""
    organisations = list(triage.routable_organisations())
    if report.routed_to_id and all(o.pk != report.routed_to_id for o in organisations):
        organisations.insert(0, report.routed_to)
    return organisations


def _triage_form(report: Report, data=None) -> TriageForm:
    return TriageForm(data, categories=list(report.channel.categories.all()), organisations=_organisations(report),
                      auto_id="id_triage_%s", initial={
                          "status": report.status, "category": report.category.code if report.category else "",
                          "routed_to": report.routed_to_id,
                          "labels": ", ".join(label.name for label in report.labels.all())})


@dataclass(frozen=True)
class Shown:
    """A line of the conversation as the page shows it."""

    line: triage.Line
    writer: str
    waiting: bool


def _conversation(lines: list[triage.Line]) -> list[Shown]:
    """The lines in time order, each recipient named, each question "waiting" until the
    reporter writes after it."""
    names = {user.get_username(): user.get_full_name() or user.get_username()
             for user in User.objects.filter(username__in={line.writer for line in lines if line.writer})}
    out = []
    for index, line in enumerate(lines):
        answered = any(later.author == Author.REPORTER for later in lines[index + 1:])
        out.append(Shown(line=line, writer=names.get(line.writer, line.writer),
                         waiting=line.kind == MessageKind.QUESTION and not answered))
    return out


def _map_data(report: Report, answers: dict) -> dict | None:
    point = answers.get("point")
    if not point:
        return None
    return {"point": point, "outline": report.port.boundary if report.port_id else None,
            "port": report.port.name if report.port_id else ""}


def _detail(request, report: Report, report_key, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    view = triage.report_read(actor=request.principal, report=report, key=report_key)
    to_reporter = _to_reporter(report)
    return render(request, "reporting/staff/report.html", {
        "report": report,
        "time_zone": report.port.time_zone if report.port_id else None,
        "answers": questionnaire.labelled(view.answers),
        "map_data": _map_data(report, view.answers),
        "files": view.files,
        "lines": _conversation(view.lines),
        "images": core_files.IMAGES,
        "to_reporter": to_reporter,
        "write_form": bound.get("write") or WriteForm(to_reporter=to_reporter, auto_id="id_write_%s"),
        "triage_form": bound.get("triage") or _triage_form(report),
        "labels": list(report.labels.all()),
        "entries": list(report.entries.all()),
        "forwards": list(report.forwards.select_related("to_channel", "to_channel__owner", "copy")),
    }, status=status)


@never_cache
@page("reporting.receive")
@_reading
def report_detail(request, report, report_key):
    return _detail(request, report, report_key)


@page("reporting.receive")
@_reading
def report_file(request, report, report_key, file_id: int):
    """A file of the report, as stored (stripped of its metadata when it came in): always a
    download, but a photo may be shown in the page with ``?inline=1``; never cached."""
    try:
        name, content_type, data = triage.attachment_open(actor=request.principal, report=report, key=report_key,
                                                          attachment_id=file_id)
    except ServiceError:
        raise Http404 from None
    inline = request.GET.get("inline") == "1" and content_type in core_files.IMAGES
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _back(report: Report, anchor: str = ""):
    return redirect(reverse("reporting:report", args=[report.pk]) + anchor)


@never_cache
@require_POST
@page("reporting.receive")
@_reading
def report_write(request, report, report_key):
    form = WriteForm(request.POST, to_reporter=_to_reporter(report), auto_id="id_write_%s")
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            triage.report_write(actor=request.principal, report=report, text=form.cleaned_data["text"], kind=kind)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, {
                MessageKind.MESSAGE: _("Your message is sent to the reporter."),
                MessageKind.QUESTION: _("Your question is sent to the reporter."),
            }.get(kind, _("Your comment is added.")))
            return _back(report, "#conversation")
    return _detail(request, report, report_key, bound={"write": form}, status=400)


@never_cache
@require_POST
@page("reporting.receive")
@_reading
def report_triage(request, report, report_key):
    form = _triage_form(report, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        routed_to = next((o for o in _organisations(report) if o.pk == data["routed_to"]), None)
        try:
            triage.report_triage(actor=request.principal, report=report, status=data["status"],
                                 category=data["category"], routed_to=routed_to, labels=form.label_list())
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Report %(ref)s is updated.") % {"ref": report.reference})
            return _back(report, "#triage")
    return _detail(request, report, report_key, bound={"triage": form}, status=400)


# --- forwarding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Choice:
    id: int
    label: str
    name: str = ""


def _forward_form(request, report: Report, view: triage.RecipientView, data=None) -> ForwardForm:
    time_zone = report.port.time_zone if report.port_id else None
    who = {Author.REPORTER: _("Reporter"), Author.RECIPIENT: _("Recipient")}
    lines = []
    for line in view.lines:
        if line.kind == MessageKind.COMMENT:
            continue
        text = line.text if len(line.text) <= EXCERPT else line.text[:EXCERPT - 1] + "…"
        lines.append(_Choice(id=line.id, label=f"{who.get(line.author, line.author)} · "
                                               f"{local_time(line.at, time_zone)} · {text or '—'}"))
    files = [_Choice(id=item.id, label=item.name, name=item.name)
             for item in [*view.files, *(f for line in view.lines for f in line.files)]]
    targets = Channel.objects.filter(is_active=True).exclude(pk=report.channel_id).select_related("owner").order_by(
        "owner__name", "name", "id")
    return ForwardForm(data, targets=list(targets), answers=view.answers, lines=lines, files=files,
                       auto_id="id_forward_%s")


@never_cache
@require_http_methods(["GET", "POST"])
@page("reporting.receive")
@_reading
def report_forward(request, report, report_key):
    view = triage.report_read(actor=request.principal, report=report, key=report_key)
    form = _forward_form(request, report, view, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            to_channel = Channel.objects.get(pk=data["to_channel"])  # one of the choices offered
            try:
                copy = triage.report_forward(
                    actor=request.principal, report=report, key=report_key, to_channel=to_channel,
                    answers=form.answers(), message_ids=data.get("messages", []),
                    attachment_ids=data.get("attachments", []),
                    note=data["note"])
            except ServiceError as error:
                add_service_error(form, error, fields={
                    field: f"{ForwardForm.ANSWER_PREFIX}{field}" for field in (*questionnaire.BY_CODE, "point")})
            else:
                messages.success(request, _("Forwarded to %(channel)s as #%(n)s.") % {
                    "channel": to_channel.name, "n": copy.number})
                return _back(report)
    return render(request, "reporting/staff/forward.html", {
        "report": report, "form": form, "has_targets": len(form.fields["to_channel"].choices) > 1,
    }, status=status)
