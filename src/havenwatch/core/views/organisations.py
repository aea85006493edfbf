"""Organisations: the parties on the platform, their facilities, jurisdictions and members."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from havenwatch.core import selectors
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import OrganisationCreateForm, OrganisationFilterForm, add_service_error
from havenwatch.core.services.organisations import organisation_create as organisation_create_service
from havenwatch.core.views._common import page, paginate, visible_or_404


@page("core.view_organisation")
def organisations(request):
    qs = selectors.organisation_list(principal=request.principal)
    form = OrganisationFilterForm(request.GET or None)
    if form.is_valid():
        if form.cleaned_data["q"]:
            term = form.cleaned_data["q"]
            qs = qs.filter(Q(name__icontains=term) | Q(slug__icontains=term) | Q(vat_number__icontains=term))
        if form.cleaned_data["kind"]:
            qs = qs.filter(kind=form.cleaned_data["kind"])
    return render(request, "core/organisations/list.html", {
        "page_obj": paginate(request, qs), "filter_form": form,
        "can_create": request.principal.has_perm("core.manage_organisation"),
    })


@page("core.view_organisation")
def organisation_detail(request, organisation_id: int):
    principal = request.principal
    organisation = visible_or_404(selectors.organisation_list(principal=principal), organisation_id)
    facilities = selectors.facility_list(principal=principal).filter(operator=organisation) \
        if principal.has_perm("core.view_facility") else []
    jurisdictions = selectors.jurisdiction_list(principal=principal).filter(organisation=organisation)
    members = selectors.membership_list(principal=principal).filter(organisation=organisation, is_active=True) \
        if principal.has_perm("core.view_membership") else None
    return render(request, "core/organisations/detail.html", {
        "organisation": organisation, "facilities": facilities, "jurisdictions": jurisdictions,
        "authority_of": selectors.port_list(principal=principal).filter(authority=organisation),
        "members": members,
    })


@page("core.manage_organisation")
def organisation_create(request):
    form = OrganisationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = organisation_create_service(actor=request.principal, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Organisation %(name)s created.") % {"name": organisation.name})
            return redirect("core:organisation_detail", organisation_id=organisation.pk)
    return render(request, "core/organisations/create.html", {"form": form}, status=400 if form.errors else 200)
