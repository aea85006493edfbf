"""The investigator's pages: find a container by its number, read its chain of custody as a
timeline, and download it as JSON or PDF. Every reading is audited (``services/traces.py``)."""

from __future__ import annotations

import json

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from havenwatch.core.errors import NotFound
from havenwatch.core.forms import add_service_error
from havenwatch.core.views._common import page
from havenwatch.release.services.traces import trace_read
from havenwatch.release.trace import InvalidContainerNumber, trace_filename, traceable_container
from havenwatch.release.trace_pdf import render_trace_pdf


class TraceSearchForm(forms.Form):
    """The number only; whether it is one, and whether it is in your ports, the trace says."""

    number = forms.CharField(
        label=_("Container number"), max_length=20,
        help_text=_("ISO 6346 with its check digit, e.g. CSQU3054383; spaces do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )


def _search_page(request, form, status=200):
    return render(request, "release/trace/search.html", {"form": form}, status=status)


def _container_or_page(request, number):
    """The container, or the search page with the reason it cannot be shown (400 or 404)."""
    try:
        return traceable_container(principal=request.principal, number=number), None
    except (InvalidContainerNumber, NotFound) as error:
        form = TraceSearchForm({"number": number})
        form.is_valid()
        add_service_error(form, error)
        return None, _search_page(request, form, status=error.status)


@page("release.trace")
def trace(request):
    """Find a container by its number; a number in your ports leads to its chain of custody."""
    if "number" not in request.GET:
        return _search_page(request, TraceSearchForm())
    form = TraceSearchForm(request.GET)
    if not form.is_valid():
        return _search_page(request, form, status=400)
    container, refusal = _container_or_page(request, form.cleaned_data["number"])
    if refusal is not None:
        return refusal
    return redirect("release:trace_detail", number=container.number)


@page("release.trace")
def trace_detail(request, number: str):
    container, refusal = _container_or_page(request, number)
    if refusal is not None:
        return refusal
    if container.number != number:  # "csqu 305438 3" → the one address of the container
        return redirect("release:trace_detail", number=container.number)
    document = trace_read(principal=request.principal, container=container, fmt="page")
    return render(request, "release/trace/detail.html", {"document": document, "container": container})


def _download(request, number: str, fmt: str, content_type: str, render_body):
    """A download of the trace (JSON or PDF) as an attachment; its read is audited."""
    container, refusal = _container_or_page(request, number)
    if refusal is not None:
        return refusal
    document = trace_read(principal=request.principal, container=container, fmt=fmt)
    response = HttpResponse(render_body(document), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{trace_filename(container.number, fmt)}"'
    response["Cache-Control"] = "no-store"
    return response


@page("release.trace")
def trace_json(request, number: str):
    return _download(request, number, "json", "application/json; charset=utf-8",
                     lambda document: json.dumps(document, ensure_ascii=False, indent=2))


@page("release.trace")
def trace_pdf(request, number: str):
    return _download(request, number, "pdf", "application/pdf", render_trace_pdf)
