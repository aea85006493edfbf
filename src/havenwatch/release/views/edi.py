"""The shipping line's EDIFACT page: import a COREOR interchange, by file or pasted text."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.views._common import page
from havenwatch.release import selectors
from havenwatch.release.edifact import MAX_BYTES, MAX_CONTAINERS
from havenwatch.release.services.coreor import (
    ISSUED,
    REVOKED,
    UNCHANGED,
    UPDATED,
    CoreorImportRefused,
    coreor_import,
)

RESULT_KEY = "release.coreor_result"  # the last import's summary, shown once after the redirect
SHOWN = 500  # releases listed on the page after an import (the counts cover them all)
ACTS = {ISSUED: gettext_lazy("Issued"), UPDATED: gettext_lazy("Updated"), UNCHANGED: gettext_lazy("Unchanged"),
        REVOKED: gettext_lazy("Revoked")}


class CoreorImportForm(forms.Form):
    """A file or pasted text; what it says is the service's to judge."""

    file = forms.FileField(
        label=gettext_lazy("EDIFACT file"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".edi,.edifact,.txt,text/plain,application/edifact"}),
        help_text=gettext_lazy("The interchange as your system writes it (.edi), at most 5 MB."),
    )
    text = forms.CharField(
        label=gettext_lazy("Or paste the interchange"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "autocomplete": "off", "class": "mono"}),
        help_text=gettext_lazy("From UNA or UNB to UNZ. Line breaks between segments are fine."),
    )

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if upload and text:
            raise forms.ValidationError(_("Upload a file or paste the interchange, not both."))
        if not upload and not text and not self.errors:
            raise forms.ValidationError(_("Upload a COREOR file or paste the interchange."))
        return data

    def payload(self) -> bytes | str:
        upload = self.cleaned_data.get("file")
        if upload:
            return upload.read(MAX_BYTES + 1)  # the service refuses what is past the bound
        return self.cleaned_data["text"]


def _result(request, stored: dict | None) -> dict | None:
    """The last import, its releases read again as the actor may see them now."""
    if not stored:
        return None
    acts = {int(pk): act for pk, act in stored["acts"]}
    releases = {r.pk: r for r in selectors.release_list(principal=request.principal)
                .filter(pk__in=acts).select_related("container__terminal__port")}
    rows = [{"release": releases[pk], "act": ACTS[act]} for pk, act in acts.items() if pk in releases]
    return {**stored, "rows": rows, "more": stored["total"] - len(rows)}


def _page(request, form, *, result=None, errors=None, status=200):
    return render(request, "release/edi/import.html", {
        "form": form, "result": result, "errors": errors or [], "max_mb": MAX_BYTES // (1024 * 1024),
        "max_containers": MAX_CONTAINERS,
    }, status=status)


@require_http_methods(["GET", "POST"])
@page("release.issue")
def coreor_import_view(request):
    if request.method == "GET":
        return _page(request, CoreorImportForm(), result=_result(request, request.session.pop(RESULT_KEY, None)))
    form = CoreorImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        outcome = coreor_import(actor=request.principal, data=form.payload())
    except CoreorImportRefused as error:
        add_service_error(form, error)
        return _page(request, form, errors=error.errors, status=400)
    except ServiceError as error:
        add_service_error(form, error)
        return _page(request, form, status=400)
    counts = {act: outcome.count(act) for act in ACTS}
    request.session[RESULT_KEY] = {
        "interchange": outcome.interchange, "messages": outcome.messages, "counts": counts,
        "total": len(outcome.releases), "acts": [(release.pk, act) for act, release in outcome.releases[:SHOWN]],
    }
    messages.success(request, _("Interchange %(ref)s imported: %(issued)s issued, %(updated)s updated, %(revoked)s "
                                "revoked.") % {"ref": outcome.interchange, **counts})
    return redirect("release:coreor_import")
