"""What a principal may see of anonymous reporting.

Reports are not restricted by organisation like other rows: a report is seen only by
the recipients of its channel, acting through a membership of the channel's owner.
A platform administrator who is not a recipient sees none of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from havenwatch.core.principal import Principal
from havenwatch.reporting.models import Channel, Report


def channels_visible(principal: Principal) -> QuerySet[Channel]:
    return Channel.objects.restrict(principal, "reporting.view_channel").select_related("owner")


def channels_received(principal: Principal) -> QuerySet[Channel]:
    """The channels whose reports this principal reads."""
    if principal.user is None or principal.token is not None or principal.organisation is None \
            or not principal.has_perm("reporting.receive"):
        return Channel.objects.none()
    return Channel.objects.filter(recipients__user=principal.user, owner=principal.organisation)


def reports_received(principal: Principal) -> QuerySet[Report]:
    return Report.objects.filter(channel__in=channels_received(principal)).select_related(
        "channel", "category", "port", "routed_to")


def report_received(principal: Principal, pk) -> Report | None:
    try:
        return reports_received(principal).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def channels_public() -> QuerySet[Channel]:
    return Channel.objects.filter(is_public=True, is_active=True).order_by("name")


# --- anonymised statistics --------------------------------------------------------------
@dataclass(frozen=True)
class Statistics:
    rows: list[dict]  # {"month", "channel", "category", "port", "count"} with small counts hidden
    by_month: list[tuple[str, int | None]]  # None: fewer than the threshold
    by_category: list[tuple[str, int | None]]
    by_port: list[tuple[str, int | None]]
    total: int | None  # None: fewer than the threshold
    threshold: int


def statistics_scope(principal: Principal) -> QuerySet[Report]:
    """Reports counted for a principal: those of channels their organisation owns, and
    those about ports their organisation holds a jurisdiction over (a committee)."""
    if not principal.has_perm("reporting.view_statistics"):
        return Report.objects.none()
    if principal.unrestricted:
        return Report.objects.all()
    q = Q(pk__in=[])
    if principal.organisation is not None:
        q |= Q(channel__owner=principal.organisation)
    if principal.jurisdiction_port_ids:
        q |= Q(port__in=sorted(principal.jurisdiction_port_ids))
    return Report.objects.filter(q)


def report_statistics(principal: Principal, *, since=None, until=None, channel: Channel | None = None) -> Statistics:
    """Counts by month, channel, category and port. A count below the threshold
    (``HAVENWATCH["REPORTING_STATS_MIN"]``, default 3) is shown as "fewer than" it and left
    out of the sums by row, so a table never points at one reporter. Forwarded copies are
    not counted twice."""
    threshold = int(settings.HAVENWATCH.get("REPORTING_STATS_MIN", 3))
    reports = statistics_scope(principal).filter(forwarded_from__isnull=True)
    if since is not None:
        reports = reports.filter(submitted_at__gte=since)
    if until is not None:
        reports = reports.filter(submitted_at__lt=until)
    if channel is not None:
        reports = reports.filter(channel=channel)
    grouped = (reports.annotate(month=TruncMonth("submitted_at"))
               .values("month", "channel__name", "category__label", "port__name")
               .annotate(count=Count("pk")).order_by("month", "channel__name", "category__label", "port__name"))
    rows, months, categories, ports = [], Counter(), Counter(), Counter()
    total = 0
    for item in grouped:
        month = item["month"].strftime("%Y-%m") if item["month"] else ""
        count = item["count"]
        total += count
        months[month] += count
        categories[item["category__label"] or "-"] += count
        ports[item["port__name"] or "-"] += count
        rows.append({"month": month, "channel": item["channel__name"], "category": item["category__label"] or "-",
                     "port": item["port__name"] or "-", "count": count if count >= threshold else None})

    def hidden(items):
        return [(key, count if count >= threshold else None) for key, count in items]

    return Statistics(
        rows=rows, by_month=hidden(sorted(months.items())),
        by_category=hidden(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_port=hidden(sorted(ports.items(), key=lambda kv: (-kv[1], kv[0]))),
        total=total if total >= threshold or total == 0 else None, threshold=threshold)
