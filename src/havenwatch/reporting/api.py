"""Anonymous reporting over the API: channels, the reports a recipient receives, their
triage, and anonymised statistics. Mounted under ``/api/v1/reporting/``.

Metadata only. The API never returns or accepts what a reporter wrote (answers,
messages, files) nor the recipients' comments: those are sealed to the report's key,
which only a recipient's own key opens, and that key is unlocked only in the recipient's
browser session. What is here is what triage and statistics need in clear: channel,
number, port, category, status, routing, labels and times.

Reports are seen by their channel's recipients only, through a session: a bearer token
is no person and receives nothing (an empty list, a 404), and a platform administrator
who is not a recipient sees none either. Channels (``reporting.view_channel``) and
statistics (``reporting.view_statistics``) work for tokens holding the permission.
"""

from datetime import datetime

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from havenwatch.core.api.common import Page, as_utc, get_visible, need, principal_of
from havenwatch.core.errors import ValidationFailed
from havenwatch.core.models import Organisation
from havenwatch.reporting import selectors
from havenwatch.reporting.models import Channel
from havenwatch.reporting.schemas import (
    ReportingChannelFilter,
    ReportingChannelOut,
    ReportingReportFilter,
    ReportingReportOut,
    ReportingStatisticsFilter,
    ReportingStatisticsOut,
    ReportingTriageIn,
)
from havenwatch.reporting.services import triage

router = Router(tags=["reporting"])

METADATA_ONLY = (
    "Metadata only: report content (answers, messages, files, comments) is never returned or accepted by the API; "
    "it is readable only with a recipient's unlocked key in the browser."
)


def _described(text: str) -> str:
    return f"{text}\n\n{METADATA_ONLY}"


def _channels(actor):
    return (selectors.channels_visible(actor).annotate(recipient_count=Count("recipients", distinct=True))
            .prefetch_related("ports", "categories"))


def _reports(actor):
    return (selectors.reports_received(actor).select_related("forwarded_from__channel")
            .prefetch_related("labels"))


# --- channels --------------------------------------------------------------------------------------------------------
@router.get("/channels", response=list[ReportingChannelOut], summary="Reporting channels you may see",
            description=_described("Needs `reporting.view_channel`: the channels of your organisation (every channel "
                                   "for a platform administrator); an empty list otherwise."))
@paginate(Page)
def channel_list(request, filters: Query[ReportingChannelFilter]):
    qs = _channels(principal_of(request))
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    if filters.public is not None:
        qs = qs.filter(is_public=filters.public)
    return qs


@router.get("/channels/{int:channel_id}", response=ReportingChannelOut, summary="One reporting channel",
            description=_described("404 when the channel is not visible to you."))
def channel_detail(request, channel_id: int):
    return get_visible(_channels(principal_of(request)), channel_id, "channel")


# --- reports ---------------------------------------------------------------------------------------------------------
@router.get("/reports", response=list[ReportingReportOut], summary="Reports you receive, the newest first",
            description=_described("The reports of the channels you are a recipient of, acting for the channel's "
                                   "organisation. Anybody else, a token and a platform administrator who is not a "
                                   "recipient included, gets an empty list."))
@paginate(Page)
def report_list(request, filters: Query[ReportingReportFilter]):
    qs = _reports(principal_of(request))
    if filters.channel:
        qs = qs.filter(channel__slug=filters.channel)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category__code=filters.category)
    if filters.label:
        qs = qs.filter(labels__name=filters.label)
    since, until = as_utc(filters.since, "since"), as_utc(filters.until, "until")
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    if until is not None:
        qs = qs.filter(submitted_at__lt=until)
    return qs


@router.get("/reports/{int:report_id}", response=ReportingReportOut, summary="One report you receive",
            description=_described("404 for anybody who is not a recipient of its channel."))
def report_detail(request, report_id: int):
    return get_visible(_reports(principal_of(request)), report_id, "report")


def _routed_to(pk: int | None) -> Organisation | None:
    if pk is None:
        return None
    organisation = Organisation.objects.filter(pk=pk).first()
    if organisation is None:
        raise ValidationFailed(_("There is no organisation %(id)s.") % {"id": pk}, field="routed_to_id")
    return organisation  # which organisations a report may go to is the service's rule


@router.patch("/reports/{int:report_id}", response=ReportingReportOut, summary="Triage a report you receive",
              description=_described(
                  "Change its status, category (a code of its channel), the organisation it is routed to (null "
                  "clears it) or its labels (the whole list). Only the fields sent change; each change is written "
                  "to the report's log and the audit chain. Other fields are refused (422)."))
def report_triage(request, report_id: int, payload: ReportingTriageIn):
    actor = principal_of(request)
    report = get_visible(_reports(actor), report_id, "report")
    sent = payload.model_fields_set
    triage.report_triage(
        actor=actor, report=report,
        status=payload.status.value if payload.status is not None else None,
        category=payload.category,
        routed_to=_routed_to(payload.routed_to_id) if "routed_to_id" in sent else False,
        labels=payload.labels,
    )
    return get_visible(_reports(actor), report_id, "report")


# --- statistics ------------------------------------------------------------------------------------------------------
def _statistics_channel(actor, slug: str) -> Channel:
    """A channel to count by: a public one, or one the principal may see (never probe the others)."""
    channel = Channel.objects.filter(
        Q(is_public=True) | Q(pk__in=selectors.channels_visible(actor).values("pk")), slug=slug).first()
    if channel is None:
        raise Http404(_("No channel %(slug)s is visible to you.") % {"slug": slug})
    return channel


@router.get("/statistics", response=ReportingStatisticsOut, summary="Anonymised statistics of reports",
            description=_described(
                "Needs `reporting.view_statistics` (token-grantable). Counts of the reports of your organisation's "
                "channels and about the ports you hold a jurisdiction over, by month, channel, category and port. "
                "Counts below `threshold` are null, and forwarded copies are not counted twice."))
def report_statistics(request, filters: Query[ReportingStatisticsFilter]):
    actor = principal_of(request)
    need(actor, "reporting.view_statistics")
    since = until = None
    if filters.year is not None:
        zone = timezone.get_current_timezone()
        since, until = datetime(filters.year, 1, 1, tzinfo=zone), datetime(filters.year + 1, 1, 1, tzinfo=zone)
    channel = _statistics_channel(actor, filters.channel) if filters.channel else None
    stats = selectors.report_statistics(actor, since=since, until=until, channel=channel)

    def counts(items):
        return [{"key": key, "count": count} for key, count in items]

    return {"threshold": stats.threshold, "total": stats.total, "rows": stats.rows,
            "by_month": counts(stats.by_month), "by_category": counts(stats.by_category),
            "by_port": counts(stats.by_port)}
