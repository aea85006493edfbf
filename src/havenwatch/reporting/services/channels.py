"""Channels and their recipients: opened and set up by an officer of the owning organisation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.core import clock
from havenwatch.core import validation as v
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from havenwatch.core.models import Membership, Organisation, Port
from havenwatch.core.permissions import permissions_for_role
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.reporting import crypto
from havenwatch.reporting.models import Category, Channel, Recipient, ReportKey
from havenwatch.reporting.questionnaire import CHOOSABLE, DEFAULT_QUESTIONS

LANGUAGES = ("nl", "fr")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


@dataclass
class CategoryInput:
    code: str
    label: str
    translations: dict = field(default_factory=dict)  # {"nl": "...", "fr": "..."}


def _translations(values: dict, fields: tuple[str, ...], lengths: dict[str, int]) -> dict:
    out = {}
    for language in LANGUAGES:
        given = values.get(language) or {}
        cleaned = {}
        for name in fields:
            text = v.text(given.get(name), field=f"{name}_{language}", max_length=lengths[name],
                          multiline=name == "intro")
            if text:
                cleaned[name] = text
        if cleaned:
            out[language] = cleaned
    return out


def _categories(categories: list[CategoryInput]) -> list[CategoryInput]:
    seen = set()
    out = []
    for index, item in enumerate(categories):
        code = (item.code or "").strip().lower()
        if not SLUG.match(code) or len(code) > 40:
            raise ValidationFailed(_("Category %(n)s: the code is lower-case letters, digits and dashes.")
                                   % {"n": index + 1}, field="categories")
        if code in seen:
            raise ValidationFailed(_("Category %(code)s is listed twice.") % {"code": code}, field="categories")
        seen.add(code)
        label = v.text(item.label, field="categories", max_length=80,
                       required=_("Category %(n)s has no name.") % {"n": index + 1})
        translations = {lang: {"label": v.text((item.translations or {}).get(lang), field="categories",
                                               max_length=80)}
                        for lang in LANGUAGES if (item.translations or {}).get(lang)}
        out.append(CategoryInput(code=code, label=label, translations=translations))
    return out


@transaction.atomic
def channel_save(*, actor: Principal, channel: Channel | None = None, owner: Organisation | None = None,
                 slug: str, name: str, intro: str = "", translations: dict | None = None,
                 ports: list[Port] | None = None, questions: list[str] | None = None, is_public: bool = True,
                 is_active: bool = True, retention_days: int = 90,
                 categories: list[CategoryInput] | None = None) -> Channel:
    """Open a channel (``channel`` None) or change one. Categories are matched by code:
    one no longer listed is retired (kept for the reports that carry it), never deleted."""
    owner = channel.owner if channel is not None else (owner or actor.organisation)
    if owner is None:
        raise ValidationFailed(_("Choose the organisation that owns the channel."), field="owner")
    if channel is not None:
        require(actor, "reporting.manage_channels", channel)
    else:
        require(actor, "reporting.manage_channels")
        if not actor.unrestricted and owner.pk != actor.organisation.pk:
            raise PermissionRefused(_("You may open channels only for your own organisation."), field="owner")
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise ValidationFailed(_("The address is lower-case letters, digits and dashes (at most 60)."), field="slug")
    if Channel.objects.filter(slug=slug).exclude(pk=getattr(channel, "pk", None)).exists():
        raise Conflict(_("Another channel already has the address %(slug)s.") % {"slug": slug}, field="slug")
    name = v.text(name, field="name", max_length=120, required=_("Give the channel a name."))
    intro = v.text(intro, field="intro", max_length=4000, multiline=True)
    translations = _translations(translations or {}, ("name", "intro"), {"name": 120, "intro": 4000})
    questions = list(DEFAULT_QUESTIONS if questions is None else questions)
    unknown = [code for code in questions if code not in CHOOSABLE]
    if unknown:
        raise ValidationFailed(_("Unknown question: %(code)s.") % {"code": unknown[0]}, field="questions")
    if not isinstance(retention_days, int) or not 1 <= retention_days <= 3650:
        raise ValidationFailed(_("Keep closed reports between 1 and 3,650 days."), field="retention_days")
    wanted = _categories(categories or [])
    if not wanted and (channel is None or not channel.categories.filter(is_active=True).exists()):
        raise ValidationFailed(_("A channel needs at least one category for reporters to choose."),
                               field="categories")
    if channel is None:
        channel = Channel(owner=owner, receipt_salt=crypto.new_salt(), created_at=clock.now())
    channel.slug, channel.name, channel.intro, channel.translations = slug, name, intro, translations
    channel.questions = [code for code in CHOOSABLE if code in questions]
    channel.is_public, channel.is_active, channel.retention_days = bool(is_public), bool(is_active), retention_days
    channel.save()
    if ports is not None:
        channel.ports.set(ports)
    if wanted:
        existing = {category.code: category for category in channel.categories.all()}
        for position, item in enumerate(wanted):
            category = existing.pop(item.code, None) or Category(channel=channel, code=item.code)
            category.label, category.translations = item.label, item.translations
            category.position, category.is_active = position, True
            category.save()
        Category.objects.filter(pk__in=[category.pk for category in existing.values()]).update(is_active=False)
    emit(actor=actor, code="reporting.channel.saved", subject=channel, organisation_id=owner.pk, data={
        "channel": slug, "name": name, "public": channel.is_public, "active": channel.is_active,
        "retention_days": retention_days, "ports": sorted(port.unlocode for port in channel.ports.all()),
        "categories": [item.code for item in wanted], "questions": channel.questions,
    })
    return channel


def may_receive(user, organisation: Organisation) -> bool:
    return any("reporting.receive" in permissions_for_role(role) for role in Membership.objects.filter(
        user=user, organisation=organisation, is_active=True).values_list("role", flat=True))


@transaction.atomic
def recipient_add(*, actor: Principal, channel: Channel, user) -> Recipient:
    require(actor, "reporting.manage_channels", channel)
    if not may_receive(user, channel.owner):
        raise ValidationFailed(_("%(user)s is not a member of %(owner)s in a role that may receive reports.")
                               % {"user": user.get_username(), "owner": channel.owner.name}, field="user")
    if Recipient.objects.filter(channel=channel, user=user).exists():
        raise Conflict(_("%(user)s already receives this channel's reports.") % {"user": user.get_username()})
    recipient = Recipient.objects.create(channel=channel, user=user, added_at=clock.now(), added_by=actor.label)
    emit(actor=actor, code="reporting.recipient.added", subject=channel, organisation_id=channel.owner_id,
         data={"channel": channel.slug, "user": user.get_username()})
    return recipient


@transaction.atomic
def recipient_remove(*, actor: Principal, channel: Channel, user) -> int:
    """No longer a recipient: their keys to the channel's reports are deleted, so they read
    none of them again, and new reports are not sealed to them."""
    require(actor, "reporting.manage_channels", channel)
    deleted = Recipient.objects.filter(channel=channel, user=user).delete()[0]
    if not deleted:
        raise NotFound(_("%(user)s is not a recipient of this channel.") % {"user": user.get_username()})
    keys, _detail = ReportKey.objects.filter(report__channel=channel, user=user).delete()
    emit(actor=actor, code="reporting.recipient.removed", subject=channel, organisation_id=channel.owner_id,
         data={"channel": channel.slug, "user": user.get_username(), "keys_deleted": keys})
    return keys
