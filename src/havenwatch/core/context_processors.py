"""What every page of the application shell needs: the principal, the navigation, the switchers."""

from __future__ import annotations

from havenwatch.core.navigation import navigation_for


def shell(request) -> dict:
    principal = getattr(request, "principal", None)
    if principal is None or request.user is None or not request.user.is_authenticated:
        return {"nav_sections": [], "principal": principal}
    memberships = list(
        request.user.memberships.filter(is_active=True, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "role")
    )
    unread = request.user.notifications.filter(read_at__isnull=True, organisation_id=principal.organisation_id).count()
    return {
        "principal": principal,
        "nav_sections": navigation_for(principal, request.path),
        "my_memberships": memberships,
        "current_membership": getattr(request, "membership", None),
        "unread_notifications": unread,
    }
