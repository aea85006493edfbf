"""Receipts: 16 digits, stored only as Argon2id, wrong ones refused alike."""

from __future__ import annotations

import statistics
import time

import pytest

from havenwatch.core.errors import ValidationFailed
from havenwatch.reporting import crypto
from havenwatch.reporting.models import Report
from havenwatch.reporting.services import submission
from tests.reporting.factories import submit

pytestmark = pytest.mark.django_db


def test_only_the_argon2id_half_of_the_receipt_is_stored(rw):
    sent = submit(rw.channel)
    report = Report.objects.get(pk=sent.report.pk)
    secrets = crypto.receipt_secrets(sent.receipt, rw.channel.receipt_salt, opslimit=report.receipt_opslimit,
                                     memlimit=report.receipt_memlimit)
    assert report.receipt_hash == secrets.lookup
    assert sent.receipt not in report.receipt_hash and secrets.key.hex() not in report.receipt_hash


@pytest.mark.parametrize("typed", ["1234", "12345678901234567", "abcd efgh ijkl mnop", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦"])
def test_what_cannot_be_a_receipt_is_said_so(rw, typed):
    with pytest.raises(ValidationFailed) as caught:
        submission.receipt_open(channel=rw.channel, receipt=typed)
    assert caught.value.code == "receipt_format"


def test_every_wrong_receipt_gets_the_same_answer(rw):
    sent = submit(rw.channel)
    other = submit(rw.foreign_channel)
    answers = set()
    for receipt in ("0000000000000000", f"{(int(sent.receipt) + 7) % 10 ** 16:016d}", other.receipt):
        with pytest.raises(ValidationFailed) as caught:
            submission.receipt_open(channel=rw.channel, receipt=receipt)
        answers.add((caught.value.code, str(caught.value.message), caught.value.field))
    assert len(answers) == 1


def test_wrong_and_right_receipts_take_the_same_time(rw, settings):
    """At the real Argon2id cost, the time of a wrong receipt is the time of a right one:
    both derive once; only the derivation costs anything (medians, generous bounds for
    noisy machines: a lookup that skipped the work would be 100 times faster)."""
    settings.HAVENWATCH = {**settings.HAVENWATCH, "REPORTING_KDF": {"receipt": "interactive", "password": "min"}}
    sent = submit(rw.channel)

    def timed(receipt):
        started = time.perf_counter()
        try:
            submission.receipt_open(channel=rw.channel, receipt=receipt)
        except ValidationFailed:
            pass
        return time.perf_counter() - started

    right, wrong = [], []
    for n in range(5):
        right.append(timed(sent.receipt))
        wrong.append(timed(f"{(int(sent.receipt) + n + 1) % 10 ** 16:016d}"))
    ratio = statistics.median(wrong) / statistics.median(right)
    assert 0.6 < ratio < 1.6, (right, wrong)
