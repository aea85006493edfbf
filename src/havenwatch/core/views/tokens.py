"""API tokens of my organisation: list, create (the token is shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from havenwatch.core import selectors
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import TokenCreateForm, add_service_error
from havenwatch.core.permissions import all_permissions
from havenwatch.core.services.tokens import token_create as token_create_service
from havenwatch.core.services.tokens import token_revoke as token_revoke_service
from havenwatch.core.views._common import page, paginate, visible_or_404


def _facilities(principal):
    qs = selectors.facility_list(principal=principal).filter(is_active=True)
    return qs if principal.unrestricted else qs.filter(operator_id=principal.organisation_id)


@page("core.manage_tokens")
def tokens(request):
    qs = selectors.token_list(principal=request.principal).select_related("created_by").order_by(
        "revoked_at", "-created_at")
    return render(request, "core/tokens/list.html", {
        "page_obj": paginate(request, qs), "permission_labels": {c: str(i.label) for c, i in all_permissions().items()},
    })


@never_cache
@page("core.manage_tokens")
def token_create(request):
    principal = request.principal
    form = TokenCreateForm(request.POST or None, principal=principal, facilities=_facilities(principal))
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = token_create_service(actor=principal, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            # Shown on this response only: it is not stored, and this page is not cached.
            return render(request, "core/tokens/created.html", {"token": token, "raw": raw})
    return render(request, "core/tokens/create.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@page("core.manage_tokens")
def token_revoke(request, token_id: int):
    token = visible_or_404(selectors.token_list(principal=request.principal), token_id)
    try:
        token_revoke_service(actor=request.principal, token=token)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Token %(name)s is revoked: it no longer works.") % {"name": token.name})
    return redirect("core:tokens")
