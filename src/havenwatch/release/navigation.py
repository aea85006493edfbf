"""The release app's menu entries."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.navigation import register

RELEASE = _("Container release")

register(RELEASE, _("Releases"), "release:releases", "release.view_release", order=70)
register(RELEASE, _("Issue a release"), "release:release_issue", "release.issue", order=71)
register(RELEASE, _("EDIFACT import"), "release:coreor_import", "release.issue", order=72)
register(RELEASE, _("Rights inbox"), "release:inbox", "release.transfer", order=73)
register(RELEASE, _("Expected pickups"), "release:expected", "release.pickup", order=74)
register(RELEASE, _("Pickup gate"), "release:gate", "release.pickup", order=75)
register(RELEASE, _("Pickup attempts"), "release:attempts", "release.pickup", order=76)
register(RELEASE, _("Customs holds"), "release:holds", "release.hold", order=77)
register(RELEASE, _("Chain of custody"), "release:trace", "release.trace", order=78)
