"""The release app's pages, one module per party (see docs/release.md, "Pages")."""

from havenwatch.release import urls_customs, urls_edi, urls_line, urls_parties, urls_terminal, urls_trace

app_name = "release"

urlpatterns = [
    # releases: the list everyone with a stake sees, the line's issue/block/revoke, one release's page
    *urls_line.urlpatterns,
    # forwarders and hauliers: the rights inbox, passing on, driver assignment
    *urls_parties.urlpatterns,
    # terminals: expected pickups, discharge, the pickup gate and overrides
    *urls_terminal.urlpatterns,
    # customs: holds
    *urls_customs.urlpatterns,
    # investigators: a container's chain of custody, as a page, JSON and PDF
    *urls_trace.urlpatterns,
    # shipping lines that still send EDI: COREOR import
    *urls_edi.urlpatterns,
]
