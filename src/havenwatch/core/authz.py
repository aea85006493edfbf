"""The one question services ask before they act: may this principal do this to this row?"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _

from havenwatch.core.errors import PermissionRefused
from havenwatch.core.principal import Principal


def may(principal: Principal, action: str, obj: models.Model | None = None) -> bool:
    if not principal.has_perm(action):
        return False
    if obj is None:
        return True
    manager = type(obj)._default_manager
    return manager.restrict(principal, action).filter(pk=obj.pk).exists()


def require(principal: Principal, action: str, obj: models.Model | None = None) -> None:
    """Raise :class:`PermissionRefused` unless ``principal`` may do ``action`` (to ``obj``)."""
    if not may(principal, action, obj):
        from havenwatch.core.permissions import all_permissions

        info = all_permissions().get(action)
        what = info.label if info else action
        if obj is None:
            raise PermissionRefused(_("Your role does not allow this: %(what)s.") % {"what": what})
        raise PermissionRefused(
            _("Your organisation may not do this to %(object)s: %(what)s.") % {"object": obj, "what": what}
        )
