"""Anonymised statistics of reports: counts by month, category and port for a year, as
charts drawn on the server (SVG, no script) and as a table, also downloadable as CSV.
A count below the threshold is never shown: it reads "fewer than N"."""

from __future__ import annotations

import csv
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from havenwatch.core import clock
from havenwatch.core.views._common import page
from havenwatch.reporting import selectors
from havenwatch.reporting.forms import StatisticsFilterForm
from havenwatch.reporting.models import Channel

# The month chart, in SVG user units.
CHART_HEIGHT = 160
BAR_WIDTH = 28
BAR_GAP = 12
HIDDEN_HEIGHT = 6  # a hidden count is drawn as a low hatched bar, never to its size
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _fewer(threshold: int) -> str:
    return _("fewer than %(n)s") % {"n": threshold}


def _month_bars(year: int, by_month: list[tuple[str, int | None]], threshold: int) -> list[dict]:
    counts = dict(by_month)
    top = max([count for count in counts.values() if count] + [threshold])
    bars = []
    for month in range(1, 13):
        key = f"{year}-{month:02d}"
        count = counts.get(key, 0)
        hidden = key in counts and count is None
        height = HIDDEN_HEIGHT if hidden else round(CHART_HEIGHT * (count or 0) / top)
        bars.append({
            "month": key, "date": date(year, month, 1), "count": count, "hidden": hidden,
            "x": (month - 1) * (BAR_WIDTH + BAR_GAP) + BAR_GAP // 2, "y": CHART_HEIGHT - height, "height": height,
            "text_x": (month - 1) * (BAR_WIDTH + BAR_GAP) + BAR_GAP // 2 + BAR_WIDTH // 2,
        })
    return bars


def _bars(items: list[tuple[str, int | None]], threshold: int) -> list[dict]:
    top = max([count for _key, count in items if count] + [threshold])
    return [{"name": name, "count": count, "hidden": count is None,
             "width": 2 if count is None else max(1, round(100 * count / top))} for name, count in items]


@page("reporting.view_statistics")
def statistics(request):
    principal = request.principal
    scope = selectors.statistics_scope(principal)
    this_year = clock.now().astimezone(ZoneInfo(settings.TIME_ZONE)).year
    years = sorted({this_year, *(day.year for day in scope.dates("submitted_at", "year"))}, reverse=True)
    channels = list(Channel.objects.filter(pk__in=scope.values("channel_id")).order_by("name", "id"))
    form = StatisticsFilterForm(request.GET or None, years=years, channels=channels)
    year, channel = this_year, None
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"] or this_year
        channel = next((c for c in channels if c.pk == form.cleaned_data["channel"]), None)
    zone = ZoneInfo(settings.TIME_ZONE)
    stats = selectors.report_statistics(principal, since=datetime(year, 1, 1, tzinfo=zone),
                                        until=datetime(year + 1, 1, 1, tzinfo=zone), channel=channel)
    if request.GET.get("format") == "csv":
        return _csv(stats, year, channel)
    return render(request, "reporting/staff/statistics.html", {
        "form": form, "year": year, "channel": channel, "stats": stats, "fewer": _fewer(stats.threshold),
        "months": _month_bars(year, stats.by_month, stats.threshold),
        "chart_width": 12 * (BAR_WIDTH + BAR_GAP), "chart_height": CHART_HEIGHT, "bar_width": BAR_WIDTH,
        "by_category": _bars(stats.by_category, stats.threshold),
        "by_port": _bars(stats.by_port, stats.threshold),
        "csv_query": request.GET.urlencode(),
    })


def _csv(stats: selectors.Statistics, year: int, channel: Channel | None) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"reports-{year}" + (f"-{channel.slug}" if channel else "") + ".csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow([_("Month"), _("Channel"), _("Category"), _("Port"), _("Reports")])
    fewer = _fewer(stats.threshold)
    for row in stats.rows:
        writer.writerow([_cell(row["month"]), _cell(row["channel"]), _cell(row["category"]), _cell(row["port"]),
                         fewer if row["count"] is None else row["count"]])
    return response
