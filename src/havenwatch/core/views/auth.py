"""Signing in (password, then a TOTP second factor where the role needs one), out, and switching organisation.

Between the password and the second factor the session holds only the pending user's
id and when the password was accepted: the person is not signed in until the code is.
"""

from __future__ import annotations

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import CodeForm, LoginForm, SwitchOrganisationForm, add_service_error
from havenwatch.core.middleware import SESSION_MEMBERSHIP
from havenwatch.core.models import User
from havenwatch.core.services import auth as auth_services
from havenwatch.core.views._common import page, safe_next

PENDING_USER = "havenwatch_pending_user"
PENDING_SINCE = "havenwatch_pending_since"
PENDING_NEXT = "havenwatch_pending_next"
PENDING_SECONDS = 300


def _safe_next(request, candidate: str | None) -> str:
    return safe_next(request, candidate) or settings.LOGIN_REDIRECT_URL


def _finish_login(request, user: User, *, second_factor: bool):
    target = request.session.get(PENDING_NEXT) or request.POST.get("next") or request.GET.get("next")
    target = _safe_next(request, target)
    for key in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
        request.session.pop(key, None)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    auth_services.login_succeeded(user=user, second_factor=second_factor)
    if user.preferred_language:
        response = redirect(target)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.preferred_language,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response
    return redirect(target)


def _pending_user(request) -> User | None:
    """The user whose password was accepted a moment ago, or None (and the pending state dropped)."""
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE, 0)
    if user_id is None or time.time() - since > PENDING_SECONDS:
        for key in (PENDING_USER, PENDING_SINCE):
            request.session.pop(key, None)
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request, request.GET.get("next")))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = auth_services.login_check_password(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            if not auth_services.needs_second_factor(user):
                return _finish_login(request, user, second_factor=False)
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            request.session[PENDING_SINCE] = time.time()
            request.session[PENDING_NEXT] = _safe_next(request, request.POST.get("next"))
            return redirect("core:login_otp" if user.has_totp else "core:totp_enrol")
    return render(request, "core/auth/login.html", {"form": form, "next": request.GET.get("next", "")})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_otp(request):
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in with your password first."))
        return redirect("core:login")
    if not user.has_totp:
        return redirect("core:totp_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            auth_services.login_check_second_factor(user=user, code=form.cleaned_data["code"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            return _finish_login(request, user, second_factor=True)
    return render(request, "core/auth/login_otp.html", {"form": form, "pending_user": user})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def totp_enrol(request):
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in with your password first."))
        return redirect("core:login")
    if user.has_totp:
        return redirect("core:login_otp")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            auth_services.totp_confirm(user=user, code=form.cleaned_data["code"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your second factor is set up. Keep your phone with you."))
            return _finish_login(request, user, second_factor=True)
    secret, uri = auth_services.totp_enrolment(user=user)
    qr = segno.make(uri, error="m").svg_inline(scale=5, dark="#0b1d2a", light="#ffffff", title=_("QR code"))
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    response = render(request, "core/auth/totp_enrol.html", {
        "form": form, "pending_user": user, "secret": grouped, "qr_svg": mark_safe(qr),  # noqa: S308 (segno output)
    })
    response["Cache-Control"] = "no-store"
    return response


def logout(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    auth_logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("core:login")


@require_POST
@page()
def switch_organisation(request):
    form = SwitchOrganisationForm(request.POST)
    if form.is_valid():
        wanted = form.cleaned_data["membership"]
        membership = request.user.memberships.filter(
            pk=wanted, is_active=True, organisation__is_active=True
        ).select_related("organisation").first()
        if membership is not None:
            request.session[SESSION_MEMBERSHIP] = membership.pk
            messages.success(request, _("You now act as %(role)s for %(organisation)s.") % {
                "role": membership.get_role_display(), "organisation": membership.organisation.name})
        else:
            messages.error(request, _("You hold no such role."))
    return redirect(_safe_next(request, request.POST.get("next")) if request.POST.get("next") else "core:dashboard")
