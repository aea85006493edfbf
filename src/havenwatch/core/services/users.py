from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.core.authz import require
from havenwatch.core.choices import Role
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import Facility, Membership, Organisation, User
from havenwatch.core.permissions import ROLE_ORGANISATION_KINDS
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit


def _check_role(*, actor: Principal, organisation: Organisation, role: str, facility: Facility | None) -> None:
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role: %(role)s.") % {"role": role}, field="role")
    if role == Role.PLATFORM_ADMIN and not actor.unrestricted:
        raise PermissionRefused(_("Only a platform administrator can make another."), field="role")
    if organisation.kind not in ROLE_ORGANISATION_KINDS.get(role, set()):
        raise ValidationFailed(
            _("The role %(role)s cannot be held in a %(kind)s.")
            % {"role": Role(role).label, "kind": organisation.get_kind_display()},
            field="role",
        )
    if facility is not None and facility.operator_id != organisation.pk:
        raise ValidationFailed(
            _("%(facility)s is not operated by %(org)s.") % {"facility": facility, "org": organisation},
            field="facility",
        )
    if not actor.unrestricted and actor.organisation_id != organisation.pk:
        raise PermissionRefused(
            _("You can only give roles in your own organisation."), field="organisation"
        )


@transaction.atomic
def user_create(
    *,
    actor: Principal,
    username: str,
    email: str,
    password: str | None,
    organisation: Organisation,
    role: str,
    first_name: str = "",
    last_name: str = "",
    facility: Facility | None = None,
    preferred_language: str = "",
) -> User:
    """Create a person's account with a first role in an organisation.

    Without a password the account cannot sign in until one is set (bulk imports).
    """
    require(actor, "core.manage_membership")
    _check_role(actor=actor, organisation=organisation, role=role, facility=facility)
    username = (username or "").strip().lower()
    if not username or len(username) > 150 or not all(c.isalnum() or c in "._-@" for c in username):
        raise ValidationFailed(
            _("A user name has letters, digits and . _ - @ only."), field="username"
        )
    if User.objects.filter(username=username).exists():
        raise Conflict(_("The user name %(name)s is taken.") % {"name": username}, field="username")
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed(_("%(email)s is not an e-mail address.") % {"email": email}, field="email") from exc
    user = User(username=username, email=email, first_name=first_name.strip(), last_name=last_name.strip(),
                preferred_language=preferred_language)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
    user.save()
    emit(actor=actor, code="core.user.created", subject=user, organisation_id=organisation.pk,
         data={"username": username, "email": email}, payload={"username": username})
    membership_add(actor=actor, user=user, organisation=organisation, role=role, facility=facility)
    return user


@transaction.atomic
def membership_add(
    *, actor: Principal, user: User, organisation: Organisation, role: str, facility: Facility | None = None
) -> Membership:
    require(actor, "core.manage_membership")
    _check_role(actor=actor, organisation=organisation, role=role, facility=facility)
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role, defaults={"facility": facility}
    )
    if not created and membership.is_active:
        raise Conflict(
            _("%(user)s already holds this role in %(org)s.") % {"user": user.username, "org": organisation.name}
        )
    if not created:
        membership.is_active = True
        membership.facility = facility
        membership.save(update_fields=["is_active", "facility"])
    emit(actor=actor, code="core.membership.added", subject=membership, organisation_id=organisation.pk,
         port_id=facility.port_id if facility else None,
         data={"user": user.username, "organisation": organisation.slug, "role": role,
               "facility": facility.isps_number if facility else None})
    return membership


@transaction.atomic
def membership_remove(*, actor: Principal, membership: Membership) -> Membership:
    require(actor, "core.manage_membership", membership)
    if actor.user_id == membership.user_id and actor.role == membership.role \
            and actor.organisation_id == membership.organisation_id:
        raise ValidationFailed(_("You cannot withdraw the role you are acting in."))
    if membership.role == Role.PLATFORM_ADMIN and not actor.unrestricted:
        raise PermissionRefused(_("Only a platform administrator can withdraw that role."))
    if not membership.is_active:
        return membership
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    emit(actor=actor, code="core.membership.removed", subject=membership,
         organisation_id=membership.organisation_id,
         data={"user": membership.user.username, "organisation": membership.organisation.slug,
               "role": membership.role})
    return membership
