"""The release app's event types."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.event_types import register

register("release.container.registered", _("Container registered"), fields=("number", "terminal"))
register("release.issued", _("Commercial release issued"),
         fields=("container", "terminal", "bill_of_lading", "first_party", "valid_from", "valid_until", "version"))
register("release.updated", _("Commercial release updated"), fields=("container", "changes", "version"))
register("release.blocked", _("Commercial release blocked"), fields=("container", "reason"))
register("release.unblocked", _("Commercial release unblocked"), fields=("container", "reason"))
register("release.revoked", _("Commercial release revoked"), fields=("container", "reason"))
register("release.reissued", _("Commercial release withdrawn and reissued"),
         fields=("container", "replaces", "first_party", "valid_from", "valid_until", "version"))
register("release.hold.placed", _("Customs hold placed"), fields=("container", "reason"))
register("release.hold.released", _("Customs hold released"), fields=("container", "reason"))
register("release.container.discharged", _("Container discharge confirmed"), fields=("container", "terminal"))
register("release.right.offered", _("Release right offered"), fields=("container", "release", "holder", "offered_by"))
register("release.right.accepted", _("Release right accepted"), fields=("container", "release", "holder", "offered_by"))
register("release.right.declined", _("Release right declined"),
         fields=("container", "release", "holder", "offered_by", "reason"))
register("release.right.revoked", _("Release right revoked"),
         fields=("container", "release", "holder", "offered_by", "reason"))
register("release.right.restored", _("Release right restored on a reissued release"),
         fields=("container", "release", "holder", "offered_by"))
register("release.assignment.created", _("Driver assigned"),
         fields=("container", "credential", "plate", "slot_start", "slot_end"))
register("release.assignment.cancelled", _("Driver assignment cancelled"), fields=("container", "credential", "reason"))
register("release.pickup", _("Pickup decision"), fields=("container", "granted", "reasons", "credential", "plate"))
register("release.pickup.override", _("Pickup let through by the terminal"),
         fields=("container", "override_of", "overridden_reasons", "reason"))
register("release.trace.read", _("Chain of custody read"), fields=("container", "format", "steps"))
register("release.coreor.imported", _("EDIFACT COREOR message imported"),
         fields=("interchange", "message", "function", "releases", "containers"))
register("release.coreor.refused", _("EDIFACT COREOR message refused"), fields=("interchange", "segment", "reason"))
register("release.population.imported", _("Synthetic release history imported (demo seeder)"),
         fields=("containers", "releases", "rights", "assignments", "ready"))
