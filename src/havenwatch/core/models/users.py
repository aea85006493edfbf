from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import Role
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships, never from the user row.

    ``is_staff`` and ``is_superuser`` are unused: the platform administrator is a role.
    """

    totp_secret_sealed = models.BinaryField(_("sealed TOTP secret"), null=True, blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(_("second factor confirmed"), null=True, blank=True)
    totp_last_step = models.BigIntegerField(_("last TOTP step used"), default=0)
    failed_logins = models.PositiveIntegerField(_("failed sign-ins in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    preferred_language = models.CharField(_("language"), max_length=8, blank=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None and self.totp_secret_sealed is not None


class Membership(models.Model):
    """A user acting for an organisation in one role."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user"))
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    facility = models.ForeignKey(
        "core.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("facility"),
        help_text=_("For roles bound to one facility, such as a gate guard."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="organisation")

    class Meta:
        ordering = ["organisation__name", "user__username", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="%(app_label)s_%(class)s_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"
