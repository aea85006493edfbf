"""The recipient's inbox: the reports of the channels they receive, by their clear
metadata only (nothing is decrypted here), filtered and paged."""

from __future__ import annotations

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from django.shortcuts import render

from havenwatch.core.views._common import page, paginate
from havenwatch.reporting import selectors, unlock
from havenwatch.reporting.choices import OPEN_STATUSES, ReportStatus
from havenwatch.reporting.forms import ALL, OPEN, InboxFilterForm
from havenwatch.reporting.models import Category, Label
from havenwatch.reporting.views._shared import key_page_url


@page("reporting.receive")
def inbox(request):
    principal = request.principal
    channels = list(selectors.channels_received(principal).order_by("name", "id"))
    categories = {}
    for category in Category.objects.filter(channel__in=channels).order_by("position", "id"):
        categories.setdefault(category.code, category.display_label)
    labels = sorted(set(Label.objects.filter(channel__in=channels).values_list("name", flat=True)))
    form = InboxFilterForm(request.GET or None, channels=channels, categories=list(categories.items()),
                           labels=labels)
    reports = selectors.reports_received(principal)
    counts = dict(reports.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    status = OPEN
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        status = data["status"] or OPEN
        if data["channel"]:
            reports = reports.filter(channel_id=data["channel"])
        if data["category"]:
            reports = reports.filter(category__code=data["category"])
        if data["label"]:
            reports = reports.filter(labels__name=data["label"])  # one label of a name per channel: no duplicates
        if data["number"]:
            slug, number = form.reference()
            reports = reports.filter(number=number) if number is not None else reports.none()
            if slug:
                reports = reports.filter(channel__slug=slug)
    if status == OPEN:
        reports = reports.filter(status__in=OPEN_STATUSES)
    elif status != ALL:
        reports = reports.filter(status=status)
    reports = reports.annotate(unread=ExpressionWrapper(
        Q(recipient_read_at__isnull=True) | Q(reporter_active_at__gt=F("recipient_read_at")),
        output_field=BooleanField())).defer("content", "receipt_box").prefetch_related("labels")
    return render(request, "reporting/staff/inbox.html", {
        "form": form,
        "page_obj": paginate(request, reports),
        "status": status,
        "counts": [(value, label, counts.get(value, 0)) for value, label in ReportStatus.choices],
        "open_count": sum(counts.get(value, 0) for value in OPEN_STATUSES),
        "has_channels": bool(channels),
        "locked": unlock.unlocked_key(request) is None,
        "unlock_url": key_page_url(request.get_full_path()),
    })
