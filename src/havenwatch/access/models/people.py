from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.access.choices import CredentialKind, CredentialState, ProofingLevel
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class Person(models.Model):
    """Someone who may enter a port: an employee, a driver, a visitor.

    The national number is sealed (readable by the server only) with a keyed digest for
    finding duplicates; the biometric template stays on the card, only its reference's
    hash is kept here.
    """

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    nationality = models.CharField(_("nationality"), max_length=2)
    id_document_ref = models.CharField(_("identity document reference"), max_length=60, blank=True)
    national_number_sealed = models.BinaryField(_("sealed national number"), null=True, blank=True, editable=False)
    national_number_digest = models.CharField(_("national number digest"), max_length=64, blank=True, db_index=True)
    proofing_level = models.CharField(_("identity proofing"), max_length=16, choices=ProofingLevel.choices,
                                      default=ProofingLevel.NONE)
    biometric_reference_hash = models.CharField(_("biometric reference (hash)"), max_length=64, blank=True)
    employer = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="people", verbose_name=_("employer"))
    created_at = models.DateTimeField(_("created"))

    objects = RestrictedQuerySet.as_manager()
    # Authorities screen anyone (bans, verifications); everyone else sees its own staff.
    tenancy = Tenancy(org="employer", global_actions={"access.screen_people"})

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["last_name", "first_name"], name="access_person_name_idx")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Employment(models.Model):
    """Who a person worked for, and when: credentials are tied to the employer."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employments", verbose_name=_("person"))
    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("employer"))
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="organisation")

    class Meta:
        ordering = ["person", "-started_on"]
        verbose_name = _("employment")
        verbose_name_plural = _("employments")

    def __str__(self) -> str:
        return f"{self.person} · {self.organisation}"


class Credential(models.Model):
    """A port-wide credential: a badge, a mobile credential, or a visitor's QR code.

    Never deleted: access events refer to it. Issued by the employer's access manager
    for a port; each facility activates it for itself (:class:`FacilityEnrolment`).
    """

    number = models.CharField(_("number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CredentialKind.choices, default=CredentialKind.CARD)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="credentials", verbose_name=_("holder"))
    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="credentials",
                             verbose_name=_("port"))
    issued_by = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="issued_credentials",
                                  verbose_name=_("issued by"))
    state = models.CharField(_("state"), max_length=16, choices=CredentialState.choices,
                             default=CredentialState.ACTIVE, db_index=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    visit = models.ForeignKey("access.Visit", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="credentials", verbose_name=_("visit"))
    created_at = models.DateTimeField(_("created"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="issued_by", port="port", jurisdiction_actions={"access.view_credential"})

    class Meta:
        ordering = ["number"]
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__gt=models.F("valid_from")),
                                   name="%(app_label)s_%(class)s_window_valid"),
        ]

    def __str__(self) -> str:
        return self.number


class CredentialStateChange(models.Model):
    """Every change of a credential's state, with who and why."""

    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="state_changes",
                                   verbose_name=_("credential"))
    previous_state = models.CharField(_("previous state"), max_length=16, choices=CredentialState.choices)
    state = models.CharField(_("new state"), max_length=16, choices=CredentialState.choices)
    reason = models.CharField(_("reason"), max_length=300)
    changed_by = models.CharField(_("changed by"), max_length=160)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("credential state change")
        verbose_name_plural = _("credential state changes")

    def __str__(self) -> str:
        return f"{self.credential}: {self.previous_state} → {self.state}"

    @property
    def reason_label(self) -> str:
        """The reason as people read it: a platform reason translated, a person's own words as written."""
        from havenwatch.access.choices import SYSTEM_STATE_REASONS

        label = SYSTEM_STATE_REASONS.get(self.reason)
        return str(label) if label is not None else self.reason

    @property
    def changed_by_label(self) -> str:
        from havenwatch.access.choices import AUTHORITY_ACTOR

        return str(_("The port's authorities")) if self.changed_by == AUTHORITY_ACTOR else self.changed_by


class FacilityEnrolment(models.Model):
    """A facility activating a port-wide credential for itself."""

    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="enrolments",
                                   verbose_name=_("credential"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="enrolments",
                                 verbose_name=_("facility"))
    is_active = models.BooleanField(_("active"), default=True)
    activated_at = models.DateTimeField(_("activated"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="facility__operator", port="facility__port",
                      jurisdiction_actions={"access.view_credential"})

    class Meta:
        ordering = ["facility", "credential"]
        verbose_name = _("facility activation")
        verbose_name_plural = _("facility activations")
        constraints = [
            models.UniqueConstraint(fields=["credential", "facility"], name="%(app_label)s_%(class)s_unique")
        ]

    def __str__(self) -> str:
        return f"{self.credential} @ {self.facility}"
