"""The audit log: filter, page through, and verify the chain."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from havenwatch.core import selectors
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import AuditFilterForm
from havenwatch.core.models import Port
from havenwatch.core.services.audit import audit_chain_verify
from havenwatch.core.views._common import page, paginate
from havenwatch.core.views.events import event_label

VERIFY_RESULT = "havenwatch_audit_verify"


@page("core.view_audit")
def audit(request):
    qs = selectors.audit_records(principal=request.principal)
    form = AuditFilterForm(request.GET or None)
    zone = ZoneInfo(settings.TIME_ZONE)
    if form.is_valid():
        data = form.cleaned_data
        if data["code"]:
            qs = qs.filter(code__startswith=data["code"].strip())
        if data["actor"]:
            qs = qs.filter(actor_label__icontains=data["actor"].strip())
        if data["subject"]:
            subject_type, _sep, subject_id = data["subject"].strip().partition(":")
            qs = qs.filter(subject_type=subject_type)
            if subject_id:
                qs = qs.filter(subject_id=subject_id)
        if data["since"]:
            qs = qs.filter(occurred_at__gte=datetime.combine(data["since"], time.min, tzinfo=zone))
        if data["until"]:
            qs = qs.filter(occurred_at__lt=datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=zone))
    page_obj = paginate(request, qs)
    zones = dict(Port.objects.filter(pk__in={r.port_id for r in page_obj if r.port_id})
                 .values_list("pk", "time_zone"))
    rows = [
        {"record": r, "label": event_label(r.code), "zone": zones.get(r.port_id, settings.TIME_ZONE),
         "data": json.dumps(r.data, ensure_ascii=False, sort_keys=True)}
        for r in page_obj
    ]
    return render(request, "core/audit.html", {
        "page_obj": page_obj, "rows": rows, "filter_form": form,
        "verify": request.session.pop(VERIFY_RESULT, None),
        "can_verify": request.principal.has_perm("core.verify_audit"),
    })


@require_POST
@page("core.verify_audit")
def audit_verify(request):
    try:
        result = audit_chain_verify(actor=request.principal)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        request.session[VERIFY_RESULT] = result.as_dict()
    return redirect("core:audit")
