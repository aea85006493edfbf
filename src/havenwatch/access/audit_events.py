"""The access app's event types. Personal data goes to the audit chain only as digests."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.event_types import register

register("access.person.registered", _("Person registered"), fields=("employer", "proofing_level"),
         digest_fields=("name", "date_of_birth", "national_number", "id_document_ref"))
register("access.person.employer_changed", _("Employer changed"), fields=("previous", "employer"))
register("access.credential.issued", _("Credential issued"),
         fields=("number", "kind", "port", "valid_from", "valid_until", "visit"))
register("access.credential.state_changed", _("Credential state changed"),
         fields=("number", "previous_state", "state", "reason"))
register("access.credential.activated", _("Credential activated at a facility"), fields=("number", "facility"))
register("access.credential.deactivated", _("Credential deactivated at a facility"), fields=("number", "facility"))
register("access.vehicle.registered", _("Vehicle registered"), fields=("plate", "owner"))
register("access.zone.created", _("Zone created"), fields=("facility", "code", "name", "escort_required",
                                                           "requires_verification", "level_rules"))
register("access.access_point.created", _("Access point created"),
         fields=("zone", "code", "kind", "direction", "requires_biometric", "requires_plate", "open_at_levels"))
register("access.authorisation.granted", _("Authorisation granted"),
         fields=("zone", "holder", "valid_from", "valid_until", "schedule", "purpose", "conditions"))
register("access.authorisation.revoked", _("Authorisation revoked"), fields=("zone", "holder"))
register("access.ban.issued", _("Port ban issued"),
         fields=("scope", "valid_from", "valid_until", "credentials_blocked", "visits_stopped"),
         digest_fields=("legal_reference",))
register("access.ban.lifted", _("Port ban lifted"), fields=("reason",))
register("access.verification.requested", _("Security verification requested"), fields=("function",))
register("access.verification.decided", _("Security verification decided"), fields=("function", "status",
                                                                                     "valid_until"))
register("access.record_check.recorded", _("Criminal-record extract check recorded"),
         fields=("checked_on", "result"))
register("access.person.national_number_read", _("National number read"), fields=())
register("access.training.recorded", _("Training recorded"), fields=("course", "completed_on", "valid_until"))
register("access.announcer.approved", _("Announcer approved"), fields=("organisation", "facility", "valid_until"))
register("access.population.imported", _("Synthetic population imported (demo seeder)"),
         fields=("access_points", "people", "employments", "credentials", "enrolments", "authorisations",
                 "current_authorisations", "state_changes"))
register("access.visit.announced", _("Visit announced"),
         fields=("facility", "window_start", "window_end", "visitors", "screening", "ship_call", "ship_agent"),
         digest_fields=("reason",))
register("access.visit.approved", _("Visit approved"),
         fields=("facility", "visitors", "credentials", "unavailable_confirmed"))
register("access.visit.agent_approved", _("Visit approved by the ship's agent"),
         fields=("facility", "ship_call", "agent", "unavailable_confirmed"))
register("access.visit_policy.changed", _("Visit approval policy changed"),
         fields=("facility", "terminal_approves_ship_calls"))
register("access.visit.rejected", _("Visit rejected"), fields=("facility", "reason"))
register("access.visit.cancelled", _("Visit cancelled"), fields=("facility",))
register("access.visit.stopped", _("Visit stopped by a ban"), fields=("facility",))
register("access.decision", _("Gate decision"),
         fields=("access_point", "facility", "direction", "granted", "reasons", "credential", "plate",
                 "security_level"))
register("access.override", _("Gate decision overridden"),
         fields=("access_point", "facility", "overrides", "granted", "reason"))
