"""Encryption at rest: a dump without keys reveals nothing; each recipient reads; a removed
recipient reads nothing new; keys survive a new password and a recovery."""

from __future__ import annotations

import pytest
from django.db import connection

from havenwatch.core.errors import PermissionRefused, ValidationFailed
from havenwatch.core.models import AuditRecord
from havenwatch.reporting.services import channels, keys, submission, triage
from tests.reporting.factories import KEY_PASSWORD, make_recipient, submit

pytestmark = pytest.mark.django_db

SECRETS = ["Kwinten Vermassen", "1-XYZ-987", "HLXU 876543 2", "sports bags", "Quay 1742"]


def _every_value_in_the_database() -> bytes:
    """Every cell of every table, as bytes, as a dump would hold them."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        out.append(bytes(value))
                    elif value is not None:
                        out.append(str(value).encode())
    return b"\n".join(out)


def test_a_dump_of_the_database_reveals_no_report_content(rw):
    from tests.reporting.test_files_in_reports import jpeg_with_gps

    sent = submit(rw.channel, what="Kwinten Vermassen carries sports bags", vehicles="1-XYZ-987",
                  containers="HLXU 876543 2", where="Quay 1742",
                  uploads=[submission.Upload("Kwinten Vermassen.jpg", jpeg_with_gps())])
    opened = submission.receipt_open(channel=rw.channel, receipt=sent.receipt)
    submission.reporter_write(opened=opened, text="Kwinten Vermassen again, with 1-XYZ-987")
    triage.report_write(actor=rw.alice.principal, report=sent.report, text="Comment on Kwinten Vermassen",
                        kind="comment")
    dump = _every_value_in_the_database()
    for secret in SECRETS:
        assert secret.encode() not in dump, secret
    assert sent.receipt.encode() not in dump
    assert not AuditRecord.objects.filter(data__icontains="Vermassen").exists()


def test_a_removed_recipient_cannot_read_old_or_new_reports(rw):
    before = submit(rw.channel)
    channels.recipient_remove(actor=rw.officer, channel=rw.channel, user=rw.bob.principal.user)
    after = submit(rw.channel)
    for report in (before.report, after.report):
        with pytest.raises(Exception) as caught:
            triage.report_key(actor=rw.bob.principal, report=report, recipient_key=rw.bob.key())
        assert caught.type.__name__ in {"NotFound", "PermissionRefused"}
    # Added again, Bob still cannot open the new report until a colleague shares it.
    channels.recipient_add(actor=rw.officer, channel=rw.channel, user=rw.bob.principal.user)
    with pytest.raises(PermissionRefused):
        triage.report_key(actor=rw.bob.principal, report=after.report, recipient_key=rw.bob.key())
    shared = triage.reports_share(actor=rw.alice.principal, channel=rw.channel, recipient_key=rw.alice.key())
    assert shared == 2
    assert triage.report_key(actor=rw.bob.principal, report=after.report, recipient_key=rw.bob.key())


def test_a_recipient_added_later_reads_new_reports(rw, world):
    late = make_recipient(rw.officer, rw.channel, world.authority)
    sent = submit(rw.channel)
    key = triage.report_key(actor=late.principal, report=sent.report, recipient_key=late.key())
    assert triage.report_read(actor=late.principal, report=sent.report, key=key).answers["what"]


def test_the_key_password_opens_the_key_and_a_wrong_one_does_not(rw):
    with pytest.raises(ValidationFailed):
        keys.key_unlock(actor=rw.alice.principal, password="not the password")
    keys.key_change_password(actor=rw.alice.principal, password=KEY_PASSWORD, new_password="another long password 2")
    with pytest.raises(ValidationFailed):
        keys.key_unlock(actor=rw.alice.principal, password=KEY_PASSWORD)
    sent = submit(rw.channel)
    key = keys.key_unlock(actor=rw.alice.principal, password="another long password 2")
    assert triage.report_key(actor=rw.alice.principal, report=sent.report, recipient_key=key)


def test_the_recovery_key_replaces_a_forgotten_password_once(rw):
    sent = submit(rw.channel)
    recovered = keys.key_recover(actor=rw.alice.principal, recovery_key=rw.alice.recovery.lower(),
                                 new_password="a new long key password 3")
    assert bytes(recovered.private_key) == bytes(keys.key_unlock(actor=rw.alice.principal,
                                                                 password="a new long key password 3"))
    new_recovery = recovered.recovery
    key = keys.key_unlock(actor=rw.alice.principal, password="a new long key password 3")
    assert triage.report_key(actor=rw.alice.principal, report=sent.report, recipient_key=key)
    with pytest.raises(ValidationFailed):  # the old recovery key is spent
        keys.key_recover(actor=rw.alice.principal, recovery_key=rw.alice.recovery, new_password="x" * 20)
    assert new_recovery != rw.alice.recovery


def test_a_key_password_may_not_be_the_sign_in_password(rw, world):
    from havenwatch.core.choices import Role
    from tests.factories import principal

    person = principal(Role.PORT_SECURITY_OFFICER, world.authority)
    person.user.set_password("the same long password 9")
    person.user.save()
    with pytest.raises(ValidationFailed):
        keys.key_enrol(actor=person, password="the same long password 9")
    with pytest.raises(ValidationFailed):
        keys.key_enrol(actor=person, password="short")


def test_key_password_tries_are_limited_per_person(rw):
    from havenwatch.core.errors import ServiceError

    for _ in range(keys.UNLOCK_TRIES - 1):
        with pytest.raises(ValidationFailed):
            keys.key_unlock(actor=rw.alice.principal, password="guess")
    assert rw.alice.key()  # the tenth try, the right one
    with pytest.raises(ServiceError) as caught:
        rw.alice.key()
    assert caught.value.code == "too_many_tries"
    assert rw.bob.key()  # another person is not concerned
