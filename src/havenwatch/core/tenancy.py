"""Which rows a principal may see or act on: ``Model.objects.restrict(principal, action)``.

Each restricted model declares a :class:`Tenancy`: the path from the row to its owning
organisation, the path to its port, and which actions reach beyond the owner. The rule
is the same everywhere and denies by default:

1. a principal without the permission for ``action`` sees nothing;
2. a platform administrator sees everything;
3. otherwise the rows owned by the principal's organisation, plus
   - rows of ports the organisation holds a jurisdiction over, for the model's
     ``jurisdiction_actions`` (a police force reads the facilities of its ports);
   - rows of ports the organisation is active in, for ``port_member_actions``
     (a terminal sees its port's security level);
   - every row, for ``global_actions`` (reference data such as ports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from havenwatch.core.principal import Principal


@dataclass(frozen=True)
class Tenancy:
    org: str | None = None
    port: str | None = None
    jurisdiction_actions: frozenset[str] | set[str] = field(default_factory=frozenset)
    port_member_actions: frozenset[str] | set[str] = field(default_factory=frozenset)
    global_actions: frozenset[str] | set[str] = field(default_factory=frozenset)
    many: bool = False  # a path crosses a to-many relation: filter through a subquery

    def q_for(self, principal: Principal, action: str) -> models.Q | None:
        """The filter for ``principal`` doing ``action``; ``None`` means every row."""
        if action in self.global_actions:
            return None
        q = models.Q(pk__in=[])
        org = principal.organisation
        if org is not None and self.org:
            q |= models.Q(**{self.org: org.pk})
        if self.port:
            if action in self.jurisdiction_actions and principal.jurisdiction_port_ids:
                q |= models.Q(**{f"{self.port}__in": sorted(principal.jurisdiction_port_ids)})
            if action in self.port_member_actions and principal.active_port_ids:
                q |= models.Q(**{f"{self.port}__in": sorted(principal.active_port_ids)})
        return q


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, principal: Principal | None, action: str) -> RestrictedQuerySet:
        """Only the rows ``principal`` may ``action``. Deny by default."""
        if principal is None or not principal.has_perm(action):
            return self.none()
        if principal.is_platform_admin or principal.is_system:
            return self
        tenancy: Tenancy | None = getattr(self.model, "tenancy", None)
        if tenancy is None:
            return self.none()
        q = tenancy.q_for(principal, action)
        if q is None:
            return self
        if tenancy.many:
            return self.filter(pk__in=self.model._base_manager.filter(q).values("pk"))
        return self.filter(q)
