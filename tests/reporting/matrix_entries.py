"""Anonymous reporting in the permission matrix (see tests/matrix.py).

World rows: a channel owned by Port Authority A (where the port security officer acts),
with the matrix's acting port security officer as its recipient (key enrolled) and one
report submitted to it; on the foreign side the same for Port Authority B, its recipient
being B's officer.

Reports are sealed to their channel's recipients: only a recipient, acting for the
channel's organisation through a session, sees them. Every other role, every token and
the platform administrator (who is no recipient) get 404 on one report and an empty list.
"""

from __future__ import annotations

from tests.matrix import ADMIN, ALL_ROLES, AUD, CM, INV, PSO, Entry, ids_of, register, register_world

API = "/api/v1/reporting"
CHANNEL_VIEWERS = frozenset({ADMIN, PSO, AUD})  # reporting.view_channel in the channel's owner (INV: police)
STATISTICS = frozenset({ADMIN, PSO, INV, CM, AUD})


def _side(officer, recipient, *, slug: str, port) -> tuple[int, int]:
    from havenwatch.reporting.services import channels, keys
    from tests.reporting.factories import KEY_PASSWORD, make_channel, submit

    channel = make_channel(officer, slug=slug, ports=[port])
    channels.recipient_add(actor=officer, channel=channel, user=recipient.user)
    keys.key_enrol(actor=recipient, password=KEY_PASSWORD)
    return channel.pk, submit(channel).report.pk


def _world(world) -> None:
    pso = world.roles[PSO]  # the acting officer exists before world builders run
    channel, report = _side(world.pso, pso.principal, slug="matrix-port-a", port=world.port)
    for org in world.orgs.values():
        world.own_objects[org.pk]["reporting_channel"] = channel
        world.own_objects[org.pk]["reporting_report"] = report
    world.foreign_objects["reporting_channel"], world.foreign_objects["reporting_report"] = _side(
        world.foreign_pso, world.foreign_pso, slug="matrix-port-b", port=world.foreign_port)


register_world(_world)

register(
    Entry("GET", f"{API}/channels?limit=500", allowed=ALL_ROLES, leak=ids_of("reporting_channel")),
    Entry("GET", f"{API}/channels/{{reporting_channel}}", allowed=CHANNEL_VIEWERS, denied=404, foreign=404),
    # An empty list for everybody but the recipient; the leak check keeps the foreign report out of every list.
    # (The matrix skips leak checks for the administrator: tests/reporting/test_api.py asserts theirs is empty.)
    Entry("GET", f"{API}/reports?limit=500", allowed=ALL_ROLES, leak=ids_of("reporting_report")),
    # Reports are sealed to their recipients: a platform administrator is no recipient and must not read
    # them, so the administrator is left out of ``allowed`` (404 on the own report) and ``admin_foreign``
    # is 404 too. A token is no person and receives nothing: token=False.
    Entry("GET", f"{API}/reports/{{reporting_report}}", allowed=frozenset({PSO}), denied=404, foreign=404,
          admin_foreign=404, token=False),
    Entry("PATCH", f"{API}/reports/{{reporting_report}}", allowed=frozenset({PSO}), denied=404, foreign=404,
          admin_foreign=404, token=False,
          body=lambda w, c, s: {"status": "in_triage", "labels": ["matrix"]}),
    # Counts only, never a report: token-grantable (committees pull them).
    Entry("GET", f"{API}/statistics", allowed=STATISTICS),
)
