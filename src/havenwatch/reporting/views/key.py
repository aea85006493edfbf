"""A recipient's reporting key: creating it (the recovery key is shown once), unlocking it
for this browser's session, locking it, a new key password, and recovery.

The unlocked key is kept by :mod:`havenwatch.reporting.unlock` (half in the session, half
in a cookie scoped to /reporting/). Every page here is never cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.views._common import page, safe_next
from havenwatch.reporting import crypto, unlock
from havenwatch.reporting.forms import KeyEnrolForm, KeyPasswordForm, KeyRecoverForm, KeyUnlockForm
from havenwatch.reporting.services import keys


def _key_page(request, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    key = keys.key_of(request.user)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    return render(request, "reporting/staff/key.html", {
        "key": key,
        "fingerprint": crypto.fingerprint(key.public_key) if key else "",
        "unlocked": unlock.unlocked_key(request) is not None,
        "next": next_url or "",
        "enrol_form": bound.get("enrol") or KeyEnrolForm(auto_id="id_enrol_%s"),
        "unlock_form": bound.get("unlock") or KeyUnlockForm(initial={"next": next_url or ""},
                                                            auto_id="id_unlock_%s"),
        "password_form": bound.get("password") or KeyPasswordForm(auto_id="id_password_%s"),
        "recover_form": bound.get("recover") or KeyRecoverForm(auto_id="id_recover_%s"),
    }, status=status)


def _recovery_page(request, recovery: str, *, first: bool):
    """The recovery key, shown this once; the key is unlocked with it (the caller remembers it)."""
    return render(request, "reporting/staff/recovery.html", {
        "recovery": recovery, "first": first,
        "fingerprint": crypto.fingerprint(keys.key_of(request.user).public_key),
        "next": safe_next(request, request.POST.get("next")) or reverse("reporting:inbox"),
    })


@never_cache
@page("reporting.receive")
def key(request):
    return _key_page(request)


def _shown_once(request, keyed: keys.Keyed, *, first: bool):
    """The recovery key's page, with the key left unlocked in this browser."""
    response = _recovery_page(request, keyed.recovery, first=first)
    unlock.remember(request, response, keyed.private_key)
    return response


@never_cache
@require_POST
@page("reporting.receive")
def key_enrol(request):
    form = KeyEnrolForm(request.POST, auto_id="id_enrol_%s")
    if form.is_valid():
        password = form.cleaned_data["password"]
        try:
            keyed = keys.key_enrol(actor=request.principal, password=password)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            return _shown_once(request, keyed, first=True)
    return _key_page(request, bound={"enrol": form}, status=400)


@never_cache
@require_POST
@page("reporting.receive")
def key_unlock(request):
    form = KeyUnlockForm(request.POST, auto_id="id_unlock_%s")
    if form.is_valid():
        try:
            private = keys.key_unlock(actor=request.principal, password=form.cleaned_data["password"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            response = redirect(safe_next(request, form.cleaned_data["next"]) or reverse("reporting:inbox"))
            unlock.remember(request, response, private)
            messages.success(request, _("Your reporting key is unlocked in this browser until you sign out."))
            return response
    return _key_page(request, bound={"unlock": form}, status=400)


@never_cache
@require_POST
@page("reporting.receive")
def key_lock(request):
    response = redirect("reporting:key")
    unlock.forget(request, response)
    messages.success(request, _("Your reporting key is locked: unlock it again to read reports."))
    return response


@never_cache
@require_POST
@page("reporting.receive")
def key_password(request):
    form = KeyPasswordForm(request.POST, auto_id="id_password_%s")
    if form.is_valid():
        try:
            keys.key_change_password(actor=request.principal, password=form.cleaned_data["password"],
                                     new_password=form.cleaned_data["new_password"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your key password is changed. Your recovery key stays the same."))
            return redirect("reporting:key")
    return _key_page(request, bound={"password": form}, status=400)


@never_cache
@require_POST
@page("reporting.receive")
def key_recover(request):
    form = KeyRecoverForm(request.POST, auto_id="id_recover_%s")
    if form.is_valid():
        password = form.cleaned_data["new_password"]
        try:
            keyed = keys.key_recover(actor=request.principal, recovery_key=form.cleaned_data["recovery_key"],
                                     new_password=password)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            return _shown_once(request, keyed, first=False)
    return _key_page(request, bound={"recover": form}, status=400)
