"""What the recipients' pages share: finding a report the principal receives (else 404),
and sending a recipient whose key is locked to the key page and back."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from havenwatch.reporting import selectors
from havenwatch.reporting.models import Report


def received_or_404(request, report_id: int) -> Report:
    """The report if the principal is one of its channel's recipients; a 404 for any other,
    whether it exists or not."""
    report = selectors.report_received(request.principal, report_id)
    if report is None:
        raise Http404
    return report


def key_page_url(next_url: str | None = None) -> str:
    url = reverse("reporting:key")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def to_key_page(next_url: str):
    """The key page, which comes back to ``next_url`` once the key is unlocked."""
    return redirect(key_page_url(next_url))

