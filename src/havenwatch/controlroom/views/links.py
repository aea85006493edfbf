"""The page a snapshot link from an e-mail or a phone opens (see ``controlroom/links.py``)."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from havenwatch.controlroom import links, selectors
from havenwatch.controlroom.models import AlarmEvent, Snapshot


def snapshot_link(request, token: str):
    try:
        event_id, user_id = links.read_snapshot_token(token)
    except signing.SignatureExpired:
        return HttpResponse(_("This link has expired: open the alarm in the control room instead."), status=410,
                            content_type="text/plain; charset=utf-8")
    except signing.BadSignature:
        raise Http404 from None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.pk != user_id:
        raise Http404  # a forwarded link opens nothing
    alarms = selectors.alarm_list(principal=request.principal)
    if not alarms.filter(pk__in=AlarmEvent.objects.filter(event_id=event_id).values("alarm_id")).exists():
        raise Http404
    snapshot = Snapshot.objects.filter(event_id=event_id).first()
    if snapshot is None:
        raise Http404
    response = HttpResponse(bytes(snapshot.data), content_type=snapshot.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
