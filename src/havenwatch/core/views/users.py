"""Users and their roles: who acts for which organisation, in which role."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from havenwatch.core import selectors
from havenwatch.core.choices import Role
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import MembershipAddForm, UserCreateForm, add_service_error
from havenwatch.core.models import Organisation
from havenwatch.core.services.auth import totp_reset
from havenwatch.core.services.users import membership_add, membership_remove
from havenwatch.core.services.users import user_create as user_create_service
from havenwatch.core.views._common import page, paginate, visible_or_404


def _role_form_options(principal) -> dict:
    """The organisations and facilities a principal can give roles in: its own, or any for the platform."""
    if principal.unrestricted:
        organisations = Organisation.objects.filter(is_active=True).order_by("name")
        facilities = selectors.facility_list(principal=principal).filter(is_active=True)
    else:
        organisations = selectors.organisation_list(principal=principal).filter(pk=principal.organisation_id)
        facilities = selectors.facility_list(principal=principal).filter(
            operator_id=principal.organisation_id, is_active=True)
    return {"organisations": organisations, "facilities": facilities,
            "include_admin": principal.unrestricted}


@page("core.view_membership")
def users(request):
    qs = selectors.membership_list(principal=request.principal).order_by("user__username", "organisation__name")
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    status = request.GET.get("status", "active")
    if q:
        qs = qs.filter(Q(user__username__icontains=q) | Q(user__first_name__icontains=q)
                       | Q(user__last_name__icontains=q) | Q(organisation__name__icontains=q))
    if role in Role.values:
        qs = qs.filter(role=role)
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "withdrawn":
        qs = qs.filter(is_active=False)
    return render(request, "core/users/list.html", {
        "page_obj": paginate(request, qs), "q": q, "role": role, "status": status, "roles": Role.choices,
        "can_manage": request.principal.has_perm("core.manage_membership"),
    })


@page("core.view_membership")
def user_detail(request, user_id: int):
    principal = request.principal
    person = visible_or_404(selectors.user_list(principal=principal), user_id)
    form = None
    if principal.has_perm("core.manage_membership"):
        form = MembershipAddForm(**_role_form_options(principal),
                                 initial={"organisation": principal.organisation_id})
    return render(request, "core/users/detail.html", {
        "person": person,
        "memberships": selectors.membership_list(principal=principal).filter(user=person),
        "form": form,
    })


@page("core.manage_membership")
def user_create(request):
    principal = request.principal
    form = UserCreateForm(request.POST or None, **_role_form_options(principal),
                          initial={"organisation": principal.organisation_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = user_create_service(
                actor=principal, username=data["username"], email=data["email"],
                password=data["password"] or None, first_name=data["first_name"], last_name=data["last_name"],
                organisation=data["organisation"], role=data["role"], facility=data["facility"],
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": person.username})
            return redirect("core:user_detail", user_id=person.pk)
    return render(request, "core/users/create.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@page("core.manage_membership")
def membership_create(request, user_id: int):
    principal = request.principal
    person = visible_or_404(selectors.user_list(principal=principal), user_id)
    form = MembershipAddForm(request.POST, **_role_form_options(principal))
    if form.is_valid():
        try:
            membership_add(actor=principal, user=person, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(user)s now holds the role %(role)s.") % {
                "user": person.username, "role": Role(form.cleaned_data["role"]).label})
            return redirect("core:user_detail", user_id=person.pk)
    return render(request, "core/users/detail.html", {
        "person": person,
        "memberships": selectors.membership_list(principal=principal).filter(user=person),
        "form": form,
    }, status=400)


@require_POST
@page("core.manage_membership")
def membership_withdraw(request, membership_id: int):
    principal = request.principal
    membership = visible_or_404(selectors.membership_list(principal=principal), membership_id)
    try:
        membership_remove(actor=principal, membership=membership)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The role %(role)s of %(user)s is withdrawn.") % {
            "role": membership.get_role_display(), "user": membership.user.username})
    return redirect("core:user_detail", user_id=membership.user_id)


@require_POST
@page("core.manage_membership")
def second_factor_reset(request, user_id: int):
    principal = request.principal
    person = visible_or_404(selectors.user_list(principal=principal), user_id)
    try:
        totp_reset(actor=principal, user=person)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The second factor of %(user)s is cleared: they set up a new one at their "
                                    "next sign-in.") % {"user": person.username})
    return redirect("core:user_detail", user_id=person.pk)
