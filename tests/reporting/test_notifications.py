"""Recipients are told of new reports and of the reporter's messages, with nothing of the report."""

from __future__ import annotations

import pytest
from django.core import mail

from havenwatch.core import events
from havenwatch.core.models import Notification
from havenwatch.reporting.services import submission
from tests.reporting.factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails(rw):
    for person in (rw.alice, rw.bob, rw.carol):
        person.principal.user.email = f"{person.principal.user.username}@example.org"
        person.principal.user.save()


def test_each_recipient_of_the_channel_is_told_of_a_new_report_and_the_reporters_message(rw, emails,
                                                                                         django_capture_on_commit_callbacks):
    sent = submit(rw.channel, what="Kwinten Vermassen carries bags")
    with django_capture_on_commit_callbacks(execute=True):
        events.run_consumers_once()
    told = Notification.objects.filter(kind="reporting.report.submitted")
    assert {n.user_id for n in told} == {rw.alice.principal.user.pk, rw.bob.principal.user.pk}
    assert {m.to[0] for m in mail.outbox} == {rw.alice.principal.user.email, rw.bob.principal.user.email}
    for message in mail.outbox:
        assert f"/reporting/{sent.report.pk}/" in message.body
        assert "Kwinten" not in message.body and "bags" not in message.subject

    opened = submission.receipt_open(channel=rw.channel, receipt=sent.receipt)
    submission.reporter_write(opened=opened, text="More about Kwinten")
    with django_capture_on_commit_callbacks(execute=True):
        events.run_consumers_once()
    assert Notification.objects.filter(kind="reporting.report.reporter_wrote").count() == 2
    events.run_consumers_once()  # told once only
    assert Notification.objects.filter(kind__startswith="reporting.").count() == 4
