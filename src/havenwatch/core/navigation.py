"""The application's menu. Each entry names the permission that shows it; other apps add theirs."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    section: str
    label: str
    url_name: str
    permission: str | None
    order: int = 100


_ITEMS: list[NavItem] = []


def register(section, label, url_name: str, permission: str | None, order: int = 100) -> None:
    _ITEMS.append(NavItem(section=section, label=label, url_name=url_name, permission=permission, order=order))


def navigation_for(principal, current_path: str = "") -> list[dict]:
    sections: dict[str, list[dict]] = {}
    for item in sorted(_ITEMS, key=lambda i: i.order):
        if item.permission and not principal.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        matches = current_path == url or (url != "/" and current_path.startswith(url))
        sections.setdefault(str(item.section), []).append({"label": item.label, "url": url, "active": matches})
    # Only the entry whose address is the longest prefix of the page's is active: the
    # control room's screen at /controlroom/ is not lit on /controlroom/rules/.
    lit = [entry for items in sections.values() for entry in items if entry["active"]]
    best = max((len(entry["url"]) for entry in lit), default=0)
    for entry in lit:
        entry["active"] = len(entry["url"]) == best
    return [{"title": title, "items": items} for title, items in sections.items()]


OVERVIEW = _("Overview")
SECURITY = _("Security")
ADMINISTRATION = _("Administration")
INTEGRATION = _("Integration")

register(OVERVIEW, _("Dashboard"), "core:dashboard", None, order=1)
register(OVERVIEW, _("Live events"), "core:events", "core.view_events", order=5)
register(SECURITY, _("Security levels"), "core:security_levels", "core.view_security_level", order=10)
register(SECURITY, _("Audit log"), "core:audit", "core.view_audit", order=20)
register(ADMINISTRATION, _("Organisations"), "core:organisations", "core.view_organisation", order=30)
register(ADMINISTRATION, _("Ports"), "core:ports", "core.view_port", order=31)
register(ADMINISTRATION, _("Facilities"), "core:facilities", "core.view_facility", order=32)
register(ADMINISTRATION, _("Users and roles"), "core:users", "core.view_membership", order=33)
register(INTEGRATION, _("API tokens"), "core:tokens", "core.manage_tokens", order=40)
register(INTEGRATION, _("Webhooks"), "core:webhooks", "core.manage_webhooks", order=41)
