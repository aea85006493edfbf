"""Channels, their questionnaire and the people who receive their reports.

A channel is one public reporting point (the national Portwatch, a port's "Our Port
Drug-Free") owned by one organisation. Its reports are read only by its recipients:
people of the owning organisation named one by one, each with a key pair of their own.
Being an officer of the owner is not enough; being a platform administrator is not
enough either. Nobody without a recipient's key can read a report.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


def _translated(obj, field: str) -> str:
    language = (get_language() or "en")[:2]
    return (obj.translations.get(language) or {}).get(field) or getattr(obj, field)


class Channel(models.Model):
    """One reporting point: its public pages, its questionnaire, its recipients and its retention."""

    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    slug = models.SlugField(_("address"), max_length=60, unique=True,
                            help_text=_("The channel's public address: /report/<address>/"))
    name = models.CharField(_("name"), max_length=120)
    intro = models.TextField(_("introduction"), max_length=4000, blank=True)
    # {"nl": {"name": ..., "intro": ...}, "fr": {...}}: what a reporter reads in their language.
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    ports = models.ManyToManyField("core.Port", related_name="+", blank=True, verbose_name=_("ports"),
                                   help_text=_("The ports the channel takes reports about; none means every port."))
    questions = models.JSONField(_("optional questions"), default=list, blank=True)
    is_public = models.BooleanField(_("open to the public"), default=True,
                                    help_text=_("A closed channel only receives reports forwarded to it."))
    is_active = models.BooleanField(_("active"), default=True)
    retention_days = models.PositiveIntegerField(_("retention after closing (days)"), default=90)
    receipt_salt = models.BinaryField(_("receipt salt"), max_length=16)
    created_at = models.DateTimeField(_("created"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="owner")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("reporting channel")
        verbose_name_plural = _("reporting channels")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return _translated(self, "name")

    @property
    def display_intro(self) -> str:
        return _translated(self, "intro")


class Category(models.Model):
    """A category a reporter picks (drugs, theft, intrusion...), with its labels in each language."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="categories",
                                verbose_name=_("channel"))
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=80)
    translations = models.JSONField(_("translations"), default=dict, blank=True)  # {"nl": {"label": ...}}
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["channel", "position", "id"]
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")
        constraints = [models.UniqueConstraint(fields=["channel", "code"], name="%(app_label)s_%(class)s_code")]

    def __str__(self) -> str:
        return self.display_label

    @property
    def display_label(self) -> str:
        return _translated(self, "label")


class Label(models.Model):
    """A recipient's own tag on reports of a channel ("cocaine", "repeat", "needs police")."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="labels", verbose_name=_("channel"))
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        ordering = ["channel", "name"]
        verbose_name = _("report label")
        verbose_name_plural = _("report labels")
        constraints = [models.UniqueConstraint(fields=["channel", "name"], name="%(app_label)s_%(class)s_name")]

    def __str__(self) -> str:
        return self.name


class Recipient(models.Model):
    """A person who reads a channel's reports. New reports are sealed to their key only
    while they are one: a removed recipient's keys to the channel's reports are deleted."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="recipients",
                                verbose_name=_("channel"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("person"))
    added_at = models.DateTimeField(_("added"))
    added_by = models.CharField(_("added by"), max_length=200)

    class Meta:
        ordering = ["channel", "user__username"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [models.UniqueConstraint(fields=["channel", "user"], name="%(app_label)s_%(class)s_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.channel}"


class RecipientKey(models.Model):
    """A person's key pair for reading reports. The private key is stored only wrapped:
    once by a key derived from their key password (Argon2id), once by their recovery key."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reporting_key",
                                verbose_name=_("person"))
    public_key = models.BinaryField(_("public key"), max_length=32)
    salt = models.BinaryField(_("salt"), max_length=16)
    opslimit = models.PositiveIntegerField(_("Argon2id passes"))
    memlimit = models.PositiveBigIntegerField(_("Argon2id memory"))
    by_password = models.BinaryField(_("private key under the key password"))
    by_recovery = models.BinaryField(_("private key under the recovery key"))
    created_at = models.DateTimeField(_("created"))
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        ordering = ["user"]
        verbose_name = _("recipient key")
        verbose_name_plural = _("recipient keys")

    def __str__(self) -> str:
        return f"key of {self.user}"
