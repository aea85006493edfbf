"""Abuse controls that identify nobody: spent proof-of-work challenges and anonymous counters."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SpentChallenge(models.Model):
    """A proof-of-work challenge already used: each is good for one request only."""

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        ordering = ["expires_at"]
        verbose_name = _("spent challenge")
        verbose_name_plural = _("spent challenges")
        indexes = [models.Index(fields=["expires_at"], name="reporting_spent_expiry")]

    def __str__(self) -> str:
        return self.digest[:12]


class AnonymousThrottle(models.Model):
    """How many times a keyed act happened in a window. The key is a keyed hash of an
    anonymous session or of a channel, never an address."""

    key = models.CharField(_("key"), max_length=64)
    window_start = models.DateTimeField(_("window start"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        ordering = ["window_start"]
        verbose_name = _("anonymous counter")
        verbose_name_plural = _("anonymous counters")
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="%(app_label)s_%(class)s_window")]

    def __str__(self) -> str:
        return f"{self.key[:12]} · {self.count}"
