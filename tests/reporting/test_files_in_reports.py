"""Attachments of reports: told by their bytes, stripped of metadata, sealed, limited."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from havenwatch.core.errors import ValidationFailed
from havenwatch.reporting.models import Attachment, Report
from havenwatch.reporting.services import submission, triage
from tests.reporting.factories import submit

pytestmark = pytest.mark.django_db


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A real JPEG as a phone writes it: camera make and model, time, GPS position."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Reporter Phone 12"  # Model
    exif[0x0132] = "2026:11:20 02:31:07"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 17.0, 42.0)
    gps[3], gps[4] = "E", (4.0, 18.0, 9.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken by Kwinten")
    return out.getvalue()


def pdf_with_author() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_author("Kwinten Vermassen")
    pdf.set_creator("Reporter's Laptop Word 2021")
    pdf.set_title("Shift list of the night crew")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Night crew: Tuesday")
    return bytes(pdf.output())


def _stored(report: Report, alice) -> list[tuple[str, str, bytes]]:
    key = triage.report_key(actor=alice.principal, report=report, recipient_key=alice.key())
    return [triage.attachment_open(actor=alice.principal, report=report, key=key, attachment_id=item.pk)
            for item in Attachment.objects.filter(report=report)]


def test_a_photo_is_stored_without_its_position_camera_or_comment(rw):
    sent = submit(rw.channel, uploads=[submission.Upload("IMG_0042.jpg", jpeg_with_gps())])
    [(name, content_type, data)] = _stored(sent.report, rw.alice)
    assert (name, content_type) == ("IMG_0042.jpg", "image/jpeg")
    for trace in (b"PhoneMaker", b"Reporter Phone 12", b"2026:11:20", b"Kwinten"):
        assert trace not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (64, 48)
        assert not image.getexif()
    from havenwatch.core.models import AuditRecord

    opened = AuditRecord.objects.get(code="reporting.report.file_opened")
    assert opened.actor_label == rw.alice.principal.user.username and "IMG_0042" not in str(opened.data)


def test_a_pdf_is_stored_without_its_author_and_software(rw):
    sent = submit(rw.channel, uploads=[submission.Upload("list.pdf", pdf_with_author())])
    [(_name, content_type, data)] = _stored(sent.report, rw.alice)
    assert content_type == "application/pdf"
    for trace in (b"Kwinten", b"Word 2021", b"Shift list"):
        assert trace not in data
    from pypdf import PdfReader

    assert "Tuesday" in PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_a_file_is_what_its_bytes_say_not_its_name(rw):
    sent = submit(rw.channel, uploads=[submission.Upload("holiday.jpg", pdf_with_author())])
    [(_name, content_type, _data)] = _stored(sent.report, rw.alice)
    assert content_type == "application/pdf"


@pytest.mark.parametrize("data", [b"<html><script>alert(1)</script></html>", b"PK\x03\x04zipzip",
                                  b"\xff\xd8\xff\xe0broken jpeg", b""])
def test_a_file_that_is_not_a_photo_or_pdf_is_refused_and_nothing_is_stored(rw, data):
    with pytest.raises(ValidationFailed) as caught:
        submit(rw.channel, uploads=[submission.Upload("evidence.jpg", data)])
    assert "evidence.jpg" in str(caught.value.message)
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_too_many_or_too_large_files_are_refused(rw, settings):
    settings.HAVENWATCH = {**settings.HAVENWATCH, "REPORTING_MAX_FILES": 2, "REPORTING_MAX_FILE_BYTES": 10_000}
    photo = submission.Upload("a.jpg", jpeg_with_gps())
    with pytest.raises(ValidationFailed, match="at most 2"):
        submit(rw.channel, uploads=[photo, photo, photo])
    with pytest.raises(ValidationFailed, match="larger than"):
        submit(rw.channel, uploads=[submission.Upload("big.jpg", jpeg_with_gps((1600, 1200)) + b"\0" * 20_000)])
    assert not Report.objects.exists()
