"""The reporter's side: a report submitted, opened again with its receipt, added to.

Nothing here knows who the reporter is, and nothing is given anything to know it by: the
services take the answers and files only, never a request. The audit chain names the
actor "anonymous reporter" and the report by channel and number.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from nacl import public

from havenwatch.core import clock, files
from havenwatch.core import crypto as instance_crypto
from havenwatch.core.errors import Conflict, NotFound, ServiceError, ValidationFailed
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.reporting import crypto, questionnaire
from havenwatch.reporting.choices import Author, EntryKind, MessageKind, ReportStatus
from havenwatch.reporting.models import (
    Attachment,
    Category,
    Channel,
    Entry,
    Message,
    RecipientKey,
    Report,
    ReportKey,
)
from havenwatch.reporting.models.reports import ANONYMOUS_REPORTER

REPORTER = Principal(label_override=ANONYMOUS_REPORTER)
FOLLOWUP_MINUTES = 30


def limits() -> tuple[int, int]:
    """(files per submission or message, bytes per file)."""
    return (int(settings.HAVENWATCH.get("REPORTING_MAX_FILES", 3)),
            int(settings.HAVENWATCH.get("REPORTING_MAX_FILE_BYTES", 8 * 1024 * 1024)))


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    data: bytes


def clean_files(uploads: list[Upload]) -> list[CleanFile]:
    """Each file checked for what it really is and stripped of its metadata, or refused."""
    most, biggest = limits()
    if len(uploads) > most:
        raise ValidationFailed(_("Attach at most %(n)s files.") % {"n": most}, field="files")
    out = []
    for upload in uploads:
        name = " ".join(str(upload.name or "").replace("/", " ").replace("\\", " ").split())[:120] or "file"
        if len(upload.data) > biggest:
            raise ValidationFailed(_("%(name)s is larger than %(mb)s MB.") % {
                "name": name, "mb": biggest // (1024 * 1024)}, field="files")
        content_type = files.sniff(upload.data)
        if content_type not in files.ALLOWED:
            raise ValidationFailed(_("%(name)s is not a photo (JPEG or PNG) or a PDF document.") % {"name": name},
                                   field="files")
        try:
            data = files.strip(upload.data, content_type)
        except ValueError:
            raise ValidationFailed(_("%(name)s could not be read as the file it claims to be.") % {"name": name},
                                   field="files") from None
        out.append(CleanFile(name=name, content_type=content_type, data=data))
    return out


def _attach(report: Report, cleaned: list[CleanFile], *, author: str, message: Message | None, now) -> None:
    Attachment.objects.bulk_create([
        Attachment(report=report, message=message, author=author, content_type=item.content_type,
                   size=len(item.data), name=crypto.seal(report.public_key, item.name.encode()),
                   data=crypto.seal(report.public_key, item.data), created_at=now)
        for item in cleaned
    ])


def seal_to_recipients(report: Report, private_key: public.PrivateKey, channel: Channel) -> int:
    """Seal the report's key to every recipient of ``channel`` who has a key and lacks this one."""
    have = set(ReportKey.objects.filter(report=report).values_list("user_id", flat=True))
    keys = RecipientKey.objects.filter(user__in=channel.recipients.values("user")).exclude(user__in=have)
    rows = [ReportKey(report=report, user_id=key.user_id, sealed=crypto.seal(key.public_key, bytes(private_key)))
            for key in keys]
    ReportKey.objects.bulk_create(rows)
    return len(rows)


def channel_ready(channel: Channel) -> bool:
    """A channel takes reports only while someone can read them."""
    return RecipientKey.objects.filter(user__in=channel.recipients.values("user")).exists()


@dataclass(frozen=True)
class Submitted:
    report: Report
    receipt: str


def _resolve(channel: Channel, category_code: str, port_id) -> tuple[Category, int | None]:
    category = channel.categories.filter(code=category_code or "", is_active=True).first()
    if category is None:
        raise ValidationFailed(_("Choose what kind of situation this is."), field="category")
    ports = list(channel.ports.values_list("pk", flat=True))
    if port_id in (None, ""):
        return category, ports[0] if len(ports) == 1 else None
    try:
        port_id = int(port_id)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Choose one of the ports offered."), field="port") from None
    from havenwatch.core.models import Port

    if (ports and port_id not in ports) or not Port.objects.filter(pk=port_id).exists():
        raise ValidationFailed(_("Choose one of the ports offered."), field="port")
    return category, port_id


def report_submit(*, channel: Channel, category: str, answers: dict, port=None,
                  uploads: list[Upload] = ()) -> Submitted:
    """A new report: its key pair made, its answers and files sealed, its key sealed to
    each recipient and under the receipt. Returns the receipt, which is stored nowhere."""
    if not channel.is_active or not channel.is_public:
        raise NotFound(_("This reporting channel does not exist or is closed."))
    if not channel_ready(channel):
        raise Conflict(_("This channel cannot take reports right now: nobody can read them yet."))
    category_row, port_id = _resolve(channel, category, port)
    cleaned = questionnaire.clean_answers(channel.questions, answers)
    attachments = clean_files(list(uploads)) if questionnaire.ATTACHMENTS in channel.questions else []
    private_key = crypto.new_report_key()
    for _attempt in range(3):
        receipt = crypto.new_receipt()
        secrets = crypto.receipt_secrets(receipt, channel.receipt_salt)
        try:
            report = _write(channel, category_row, port_id, cleaned, attachments, private_key, secrets)
        except IntegrityError:
            continue  # another report of the channel has this receipt (or number): draw again
        return Submitted(report=report, receipt=receipt)
    raise ServiceError(_("The report could not be stored; please send it again."), code="retry")


def next_number(channel: Channel) -> int:
    """The channel's next report number, with the channel locked until the caller's
    transaction ends: one number at a time (a forward into the channel takes one too)."""
    Channel.objects.select_for_update().filter(pk=channel.pk).first()
    return (Report.objects.filter(channel=channel).aggregate(top=Max("number"))["top"] or 0) + 1


@transaction.atomic
def _write(channel, category, port_id, answers, attachments, private_key, secrets) -> Report:
    now = clock.now()
    number = next_number(channel)
    report = Report.objects.create(
        channel=channel, number=number, port_id=port_id, category=category, status=ReportStatus.NEW,
        public_key=bytes(private_key.public_key),
        content=crypto.seal_json(bytes(private_key.public_key), {"v": 1, "answers": answers}),
        receipt_hash=secrets.lookup, receipt_box=crypto.box(secrets.key, bytes(private_key)),
        receipt_opslimit=secrets.opslimit, receipt_memlimit=secrets.memlimit, submitted_at=now,
        reporter_active_at=now)
    _attach(report, attachments, author=Author.REPORTER, message=None, now=now)
    seal_to_recipients(report, private_key, channel)
    Entry.objects.create(report=report, at=now, actor=REPORTER.label, kind=EntryKind.SUBMITTED,
                         detail=f"{len(attachments)}" if attachments else "")
    emit(actor=REPORTER, code="reporting.report.submitted", subject=report, organisation_id=channel.owner_id,
         port_id=port_id, data={"channel": channel.slug, "number": number, "category": category.code,
                                "port": port_id})
    return report


# --- opening with the receipt ---------------------------------------------------------
@dataclass(frozen=True)
class Opened:
    report: Report
    private_key: public.PrivateKey


_DUMMY_BOX = crypto.box(b"\0" * 32, b"\0" * 32)


def receipt_open(*, channel: Channel, receipt: str) -> Opened:
    """The report a receipt opens. A wrong receipt and an unknown one cost the same work
    and get the same answer, so trying receipts teaches nothing but "no"."""
    digits = crypto.clean_receipt(receipt)
    if digits is None:
        raise ValidationFailed(_("A receipt is 16 digits."), field="receipt", code="receipt_format")
    # Every Argon2id cost the channel's receipts were made with (one, unless the setting
    # changed), each tried every time: the work does not depend on the receipt.
    costs = [crypto.cost("receipt")]
    costs += [c for c in Report.objects.filter(channel=channel).exclude(receipt_hash="").values_list(
        "receipt_opslimit", "receipt_memlimit").distinct() if c not in costs]
    report, raw = None, None
    for opslimit, memlimit in costs:
        secrets = crypto.receipt_secrets(digits, channel.receipt_salt, opslimit=opslimit, memlimit=memlimit)
        found = Report.objects.filter(channel=channel, receipt_hash=secrets.lookup).select_related("channel").first()
        try:
            opened = crypto.unbox(secrets.key, found.receipt_box if found is not None else _DUMMY_BOX)
        except crypto.CannotOpen:
            opened = None
        if found is not None and opened is not None:
            report, raw = found, opened
    if report is None or raw is None:
        raise ValidationFailed(_("This receipt does not open a report here. Check the digits and try again."),
                               field="receipt", code="receipt_unknown")
    Report.objects.filter(pk=report.pk).update(reporter_read_at=clock.now())
    return Opened(report=report, private_key=public.PrivateKey(raw))


def followup_token(opened: Opened) -> str:
    """What carries an opened report from one page to the next without a cookie: the
    report and its key, sealed with the instance's key, good for 30 minutes. It travels
    in the form's body only, never in an address."""
    expires = clock.now() + timedelta(minutes=FOLLOWUP_MINUTES)
    sealed = instance_crypto.seal(json.dumps({"p": "reporting.followup", "r": opened.report.pk,
                                              "k": bytes(opened.private_key).hex(), "e": int(expires.timestamp())}))
    return base64.urlsafe_b64encode(sealed).decode()


def followup_resume(*, channel: Channel, token: str) -> Opened:
    expired = ServiceError(_("Your session with this report ended. Enter your receipt again."), code="expired")
    try:
        value = json.loads(instance_crypto.unseal(base64.urlsafe_b64decode((token or "").encode())))
        if value.get("p") != "reporting.followup":
            raise ValueError("not a follow-up token")
        report = Report.objects.select_related("channel").get(pk=int(value["r"]), channel=channel)
        private_key = public.PrivateKey(bytes.fromhex(value["k"]))
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, instance_crypto.SealError,
            Report.DoesNotExist):
        raise expired from None
    if value.get("e", 0) < clock.now().timestamp() or bytes(private_key.public_key) != bytes(report.public_key):
        raise expired
    return Opened(report=report, private_key=private_key)


# --- the reporter reads and writes ------------------------------------------------------
@dataclass(frozen=True)
class Line:
    id: int
    author: str
    kind: str
    text: str
    at: object
    files: list[tuple[str, str, int]]  # (name, content type, size)


@dataclass(frozen=True)
class ReporterView:
    report: Report
    answers: dict
    files: list[tuple[str, str, int]]
    lines: list[Line]


def _names(private_key, attachments) -> list[tuple[str, str, int]]:
    return [(crypto.unseal(private_key, item.name).decode(), item.content_type, item.size) for item in attachments]


def reporter_view(opened: Opened) -> ReporterView:
    """What the reporter sees: their answers, file names and the conversation (never the
    recipients' internal comments, nor who of them wrote)."""
    report, key = opened.report, opened.private_key
    content = crypto.unseal_json(key, report.content)
    attachments = list(report.attachments.only("pk", "message_id", "name", "content_type", "size"))
    lines = []
    for message in report.messages.exclude(kind=MessageKind.COMMENT):
        own = [item for item in attachments if item.message_id == message.pk]
        lines.append(Line(id=message.pk, author=message.author, kind=message.kind,
                          text=crypto.unseal(key, message.body).decode(), at=message.created_at,
                          files=_names(key, own)))
    first = [item for item in attachments if item.message_id is None and item.author == Author.REPORTER]
    return ReporterView(report=report, answers=content.get("answers", {}), files=_names(key, first),
                        lines=lines)


@transaction.atomic
def reporter_write(*, opened: Opened, text: str, uploads: list[Upload] = ()) -> Message:
    """The reporter answers a question or adds information (text, files or both)."""
    from havenwatch.core import validation

    report = Report.objects.select_for_update().select_related("channel").get(pk=opened.report.pk)
    if report.status == ReportStatus.CLOSED:
        raise Conflict(_("This report is closed: you can still read it, but no longer add to it."))
    text = validation.text(text, field="text", max_length=10000, multiline=True)
    cleaned = clean_files(list(uploads)) if questionnaire.ATTACHMENTS in report.channel.questions else []
    if not text and not cleaned:
        raise ValidationFailed(_("Write something or attach a file."), field="text")
    now = clock.now()
    message = Message.objects.create(report=report, author=Author.REPORTER, kind=MessageKind.MESSAGE,
                                     body=crypto.seal(report.public_key, text.encode()), created_at=now)
    _attach(report, cleaned, author=Author.REPORTER, message=message, now=now)
    report.reporter_active_at = now
    report.save(update_fields=["reporter_active_at"])
    emit(actor=REPORTER, code="reporting.report.reporter_wrote", subject=report,
         organisation_id=report.channel.owner_id, port_id=report.port_id,
         data={"channel": report.channel.slug, "number": report.number, "attachments": len(cleaned)})
    return message
