"""Template helpers of the havenwatch UI: levels, local times, labels."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from havenwatch.core import selectors
from havenwatch.core.choices import Role

register = template.Library()

@register.filter
def level_class(level) -> str:
    """The CSS class of a security level: sl1 green, sl2 amber, sl3 red."""
    try:
        return f"sl{int(level)}"
    except (TypeError, ValueError):
        return "sl-unknown"


@register.filter
def level_short(level) -> str:
    """The short form of a security level, e.g. SL2 (translators may use their ISPS abbreviation)."""
    return _("SL%(level)s") % {"level": level}


@register.filter
def level_name(level) -> str:
    names = {1: _("normal"), 2: _("heightened"), 3: _("exceptional")}
    try:
        return names.get(int(level), "")
    except (TypeError, ValueError):
        return ""


@register.filter
def local_time(value, zone: str | None = None) -> str:
    """A stored (UTC) time in a port's local time zone, e.g. 2025-03-29 14:05:09 CET."""
    if not value:
        return ""
    try:
        tz = ZoneInfo(zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(settings.TIME_ZONE)
    local = timezone.localtime(value, tz)
    return f"{formats.date_format(local, 'Y-m-d H:i:s')} {local.tzname()}"


@register.filter
def role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role or ""


@register.filter
def translated(value) -> str:
    """Translate a message stored untranslated (marked with gettext_noop where it was made)."""
    return _(value) if value else ""


@register.inclusion_tag("core/partials/level_badges.html", takes_context=True)
def security_level_badges(context):
    """The top bar's badge: the level in force where this person works."""
    request = context.get("request")
    principal = getattr(request, "principal", None)
    if principal is None or not principal.is_authenticated:
        return {"badges": []}
    badges = selectors.level_badges(principal=principal, membership=getattr(request, "membership", None))
    highest = max((b["level"] for b in badges), default=None)
    return {"badges": badges[:3], "more": max(len(badges) - 3, 0), "highest": highest}


@register.filter
def can(principal, action: str) -> bool:
    """``{% if principal|can:"core.view_events" %}``: whether the principal holds a permission."""
    return bool(principal is not None and principal.has_perm(action))


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
