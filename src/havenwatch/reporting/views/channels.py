"""Channels, as the owning organisation's officers see and set them up: the list, opening
one, its page (settings, categories, questions, retention) and its recipients.

Reading goes through ``selectors.channels_visible`` (a channel of another organisation is
a 404); changing needs ``reporting.manage_channels`` on the channel. Every act is one
service of ``services/channels.py`` (or ``triage.reports_share``).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import Membership, Organisation, Port, User
from havenwatch.core.views._common import page, visible_or_404
from havenwatch.reporting import selectors, unlock
from havenwatch.reporting.forms import (
    ChannelForm,
    RecipientAddForm,
    RecipientRemoveForm,
    categories_text,
)
from havenwatch.reporting.models import Channel, Recipient, RecipientKey
from havenwatch.reporting.questionnaire import DEFAULT_QUESTIONS
from havenwatch.reporting.services import channels as channel_services
from havenwatch.reporting.services import triage
from havenwatch.reporting.views._shared import to_key_page


def _ports(principal):
    return Port.objects.restrict(principal, "core.view_port").order_by("name")


def _owners(principal):
    """Whom a new channel may belong to: the principal's organisation, or (for a platform
    administrator) any active one."""
    if not principal.unrestricted:
        return None
    return list(Organisation.objects.filter(is_active=True).order_by("name"))


def _manageable(request, channel_id: int) -> Channel:
    return visible_or_404(Channel.objects.restrict(request.principal, "reporting.manage_channels").select_related(
        "owner"), channel_id)


def _save(request, form: ChannelForm, channel: Channel | None) -> Channel | None:
    data = form.cleaned_data
    owner = None
    if channel is None and data.get("owner"):
        owner = Organisation.objects.filter(pk=data["owner"]).first()
    try:
        return channel_services.channel_save(
            actor=request.principal, channel=channel, owner=owner, slug=data["slug"], name=data["name"],
            intro=data["intro"], translations=form.translations(), ports=list(data["ports"]),
            questions=data["questions"], is_public=data["is_public"], is_active=data["is_active"],
            retention_days=data["retention_days"], categories=data["categories"])
    except ServiceError as error:
        add_service_error(form, error)
        return None


@page("reporting.view_channel")
def channel_list(request):
    channels = selectors.channels_visible(request.principal).annotate(
        recipient_count=Count("recipients", distinct=True), report_count=Count("reports", distinct=True),
    ).prefetch_related("ports").order_by("owner__name", "name", "id")
    return render(request, "reporting/staff/channels.html", {
        "channels": channels,
        "can_manage": request.principal.has_perm("reporting.manage_channels"),
    })


@require_http_methods(["GET", "POST"])
@page("reporting.manage_channels")
def channel_new(request):
    principal = request.principal
    owners = _owners(principal)
    if request.method == "POST":
        form = ChannelForm(request.POST, ports=_ports(principal), owners=owners)
        if form.is_valid():
            channel = _save(request, form, None)
            if channel is not None:
                messages.success(request, _("Channel %(name)s is open. Add its recipients: each creates their "
                                            "key before reports can come in.") % {"name": channel.name})
                return redirect("reporting:channel", channel.pk)
        return render(request, "reporting/staff/channel_new.html", {"form": form}, status=400)
    form = ChannelForm(ports=_ports(principal), owners=owners, initial={
        "questions": DEFAULT_QUESTIONS, "is_public": True, "is_active": True, "retention_days": 90})
    return render(request, "reporting/staff/channel_new.html", {"form": form})


def _channel_form(request, channel: Channel, data=None) -> ChannelForm:
    translations = channel.translations or {}
    return ChannelForm(data, ports=_ports(request.principal), initial={
        "slug": channel.slug, "name": channel.name, "intro": channel.intro,
        **{f"{field}_{lang}": (translations.get(lang) or {}).get(field, "")
           for lang in ("nl", "fr") for field in ("name", "intro")},
        "ports": list(channel.ports.all()), "questions": channel.questions,
        "categories": categories_text(channel.categories.filter(is_active=True)),
        "is_public": channel.is_public, "is_active": channel.is_active, "retention_days": channel.retention_days,
    })


def _candidates(channel: Channel, recipients: list[Recipient]) -> list[User]:
    """Members of the owner, in a role that may receive reports, who are not recipients yet."""
    taken = {recipient.user_id for recipient in recipients}
    users = {m.user_id: m.user for m in Membership.objects.filter(
        organisation=channel.owner, is_active=True).exclude(user_id__in=taken).select_related("user")}
    return sorted((user for user in users.values() if channel_services.may_receive(user, channel.owner)),
                  key=lambda user: user.get_username())


def _detail(request, channel: Channel, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    principal = request.principal
    can_manage = Channel.objects.restrict(principal, "reporting.manage_channels").filter(pk=channel.pk).exists()
    recipients = list(Recipient.objects.filter(channel=channel).select_related("user"))
    with_key = set(RecipientKey.objects.filter(user__in=[r.user_id for r in recipients]).values_list(
        "user_id", flat=True))
    receives = selectors.channels_received(principal).filter(pk=channel.pk).exists()
    return render(request, "reporting/staff/channel.html", {
        "channel": channel,
        "ports": list(channel.ports.all()),
        "categories": list(channel.categories.all()),
        "recipients": [(recipient, recipient.user_id in with_key) for recipient in recipients],
        "can_manage": can_manage,
        "form": (bound.get("channel") or _channel_form(request, channel)) if can_manage else None,
        "add_form": (bound.get("add") or RecipientAddForm(candidates=_candidates(channel, recipients),
                                                          auto_id="id_add_%s")) if can_manage else None,
        "can_share": receives and unlock.unlocked_key(request) is not None,
        "receives": receives,
        "report_count": channel.reports.count(),
    }, status=status)


@page("reporting.view_channel")
def channel_detail(request, channel_id: int):
    return _detail(request, visible_or_404(selectors.channels_visible(request.principal), channel_id))


@require_POST
@page("reporting.manage_channels")
def channel_edit(request, channel_id: int):
    channel = _manageable(request, channel_id)
    form = _channel_form(request, channel, request.POST)
    if form.is_valid() and _save(request, form, channel) is not None:
        messages.success(request, _("Channel %(name)s is saved.") % {"name": form.cleaned_data["name"]})
        return redirect("reporting:channel", channel.pk)
    channel.refresh_from_db()
    return _detail(request, channel, bound={"channel": form}, status=400)


@require_POST
@page("reporting.manage_channels")
def recipient_add(request, channel_id: int):
    channel = _manageable(request, channel_id)
    recipients = list(Recipient.objects.filter(channel=channel))
    form = RecipientAddForm(request.POST, candidates=_candidates(channel, recipients), auto_id="id_add_%s")
    if form.is_valid():
        user = User.objects.get(pk=form.cleaned_data["user"])
        try:
            channel_services.recipient_add(actor=request.principal, channel=channel, user=user)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(user)s now receives this channel's reports once they have created their "
                                        "key; a recipient who can read the older reports shares them.")
                             % {"user": user.get_full_name() or user.get_username()})
            return redirect("reporting:channel", channel.pk)
    return _detail(request, channel, bound={"add": form}, status=400)


@require_POST
@page("reporting.manage_channels")
def recipient_remove(request, channel_id: int):
    channel = _manageable(request, channel_id)
    form = RecipientRemoveForm(request.POST)
    recipient = Recipient.objects.filter(channel=channel, user_id=form.cleaned_data["user"]).select_related(
        "user").first() if form.is_valid() else None
    if recipient is None:
        messages.error(request, _("This person is not a recipient of this channel."))
        return redirect("reporting:channel", channel.pk)
    try:
        deleted = channel_services.recipient_remove(actor=request.principal, channel=channel, user=recipient.user)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, ngettext(
            "%(user)s no longer receives this channel's reports; %(n)s report key of theirs is deleted.",
            "%(user)s no longer receives this channel's reports; %(n)s report keys of theirs are deleted.",
            deleted) % {
            "user": recipient.user.get_full_name() or recipient.user.get_username(), "n": deleted})
    return redirect("reporting:channel", channel.pk)


@require_POST
@page("reporting.receive")
def reports_share(request, channel_id: int):
    channel = visible_or_404(selectors.channels_received(request.principal), channel_id)
    recipient_key = unlock.unlocked_key(request)
    if recipient_key is None:
        return to_key_page(reverse("reporting:channel", args=[channel.pk]))
    try:
        shared = triage.reports_share(actor=request.principal, channel=channel, recipient_key=recipient_key)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, ngettext("Shared %(n)s report key.", "Shared %(n)s report keys.", shared)
                         % {"n": shared})
    return redirect("reporting:channel", channel.pk)
