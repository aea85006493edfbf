"""The recipients' side: reading, triage, answering the reporter, forwarding, sharing.

Every act takes the recipient's unlocked private key where it must read or write
content; acts on clear metadata (status, category, routing, labels) do not need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _
from nacl import public

from havenwatch.core import audit, clock
from havenwatch.core import validation as v
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from havenwatch.core.models import Organisation
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.reporting import crypto, questionnaire
from havenwatch.reporting.choices import Author, EntryKind, MessageKind, ReportStatus
from havenwatch.reporting.models import Attachment, Channel, Entry, Forward, Label, Message, Report, ReportKey
from havenwatch.reporting.selectors import channels_received, report_received
from havenwatch.reporting.services.submission import channel_ready, next_number, seal_to_recipients

# The organisations competent to act on a report.
ROUTABLE_KINDS = frozenset({OrganisationKind.POLICE, OrganisationKind.CUSTOMS, OrganisationKind.PORT_AUTHORITY,
                            OrganisationKind.MARITIME_AUTHORITY})


def routable_organisations():
    return Organisation.objects.filter(is_active=True, kind__in=ROUTABLE_KINDS).order_by("kind", "name")


def _report(actor: Principal, report: Report, *, lock: bool = False) -> Report:
    """The report again, if ``actor`` receives its channel; else it does not exist for them."""
    if report_received(actor, report.pk) is None:
        raise NotFound(_("No such report."))
    if lock:
        return Report.objects.select_for_update().select_related("channel").get(pk=report.pk)
    return report


def report_key(*, actor: Principal, report: Report, recipient_key: public.PrivateKey) -> public.PrivateKey:
    """The report's private key, opened with the recipient's own."""
    _report(actor, report)
    sealed = ReportKey.objects.filter(report=report, user=actor.user).values_list("sealed", flat=True).first()
    if sealed is None:
        raise PermissionRefused(_("This report came in before you could read this channel's reports: "
                                  "a colleague who can read it can share it with you."), code="not_shared")
    try:
        return public.PrivateKey(crypto.unseal(recipient_key, sealed))
    except crypto.CannotOpen:
        raise PermissionRefused(_("Your reporting key does not open this report."), code="not_shared") from None


def _log(report: Report, actor: Principal, kind: str, detail: str = "", *, at=None) -> None:
    Entry.objects.create(report=report, at=at or clock.now(), actor=actor.label, kind=kind, detail=detail[:300])


def _emit(actor: Principal, code: str, report: Report, **data) -> None:
    emit(actor=actor, code=code, subject=report, organisation_id=report.channel.owner_id, port_id=report.port_id,
         data={"channel": report.channel.slug, "number": report.number, **data}, publish=False)


@dataclass(frozen=True)
class FileInfo:
    id: int
    name: str
    content_type: str
    size: int
    author: str


@dataclass(frozen=True)
class Line:
    id: int
    author: str
    kind: str
    writer: str
    text: str
    at: object
    files: list[FileInfo]


@dataclass(frozen=True)
class RecipientView:
    report: Report
    answers: dict
    files: list[FileInfo]
    lines: list[Line]


def report_read(*, actor: Principal, report: Report, key: public.PrivateKey) -> RecipientView:
    """The whole report, decrypted, for a recipient. Reading is audited."""
    report = _report(actor, report)
    content = crypto.unseal_json(key, report.content)
    attachments = list(report.attachments.only("pk", "message_id", "name", "content_type", "size", "author"))

    def info(items):
        return [FileInfo(id=item.pk, name=crypto.unseal(key, item.name).decode(), content_type=item.content_type,
                         size=item.size, author=item.author) for item in items]

    lines = [Line(id=message.pk, author=message.author, kind=message.kind,
                  writer=message.author_user.get_username() if message.author_user else "",
                  text=crypto.unseal(key, message.body).decode(), at=message.created_at,
                  files=info([item for item in attachments if item.message_id == message.pk]))
             for message in report.messages.select_related("author_user")]
    with transaction.atomic():
        Report.objects.filter(pk=report.pk).update(recipient_read_at=clock.now())
        _emit(actor, "reporting.report.opened", report)
    return RecipientView(report=report, answers=content.get("answers", {}),
                         files=info([item for item in attachments if item.message_id is None]), lines=lines)


def attachment_open(*, actor: Principal, report: Report, key: public.PrivateKey, attachment_id) -> tuple[str, str, bytes]:
    """A file of the report, decrypted: (name, type, bytes). Each opening is audited, as
    reading the report is: a photo or document may be what identifies someone."""
    report = _report(actor, report)
    item = Attachment.objects.filter(report=report, pk=attachment_id).first()
    if item is None:
        raise NotFound(_("No such attachment."))
    opened = crypto.unseal(key, item.name).decode(), item.content_type, crypto.unseal(key, item.data)
    with transaction.atomic():
        _emit(actor, "reporting.report.file_opened", report, file=item.pk)
    return opened


@transaction.atomic
def report_write(*, actor: Principal, report: Report, text: str, kind: str = MessageKind.MESSAGE) -> Message:
    """A message or a question to the reporter, or an internal comment (never shown to them)."""
    report = _report(actor, report, lock=True)
    if kind not in MessageKind.values:
        raise ValidationFailed(_("Choose a message, a question or a comment."), field="kind")
    text = v.text(text, field="text", max_length=10000, multiline=True, required=_("Write something."))
    if kind != MessageKind.COMMENT and report.status == ReportStatus.CLOSED:
        raise Conflict(_("This report is closed: reopen it to write to the reporter."))
    if kind != MessageKind.COMMENT and not report.receipt_hash:
        raise Conflict(_("This report was forwarded to you: its reporter can only be reached by its first channel."))
    now = clock.now()
    message = Message.objects.create(report=report, author=Author.RECIPIENT, author_user=actor.user, kind=kind,
                                     body=crypto.seal(report.public_key, text.encode()), created_at=now)
    if kind == MessageKind.COMMENT:
        _emit(actor, "reporting.report.commented", report)
    else:
        if report.status == ReportStatus.NEW:
            report.status = ReportStatus.IN_TRIAGE
            report.save(update_fields=["status"])
        _emit(actor, "reporting.report.replied", report, kind=kind)
    return message


def _purge_time(report: Report, at):
    return at + timedelta(days=report.channel.retention_days)


@transaction.atomic
def report_triage(*, actor: Principal, report: Report, status: str | None = None, category: str | None = None,
                  routed_to: Organisation | None | bool = False, labels: list[str] | None = None) -> Report:
    """Change what triage decides, each change in the report's log and the audit chain.
    ``routed_to``: an organisation, ``None`` to clear, ``False`` to leave as it is."""
    report = _report(actor, report, lock=True)
    now = clock.now()
    changes: dict[str, object] = {}
    if status is not None and status != report.status:
        if status not in ReportStatus.values:
            raise ValidationFailed(_("Unknown status."), field="status")
        report.status = status
        if status == ReportStatus.CLOSED:
            report.closed_at, report.purge_after = now, _purge_time(report, now)
        else:
            report.closed_at = report.purge_after = None
        changes["status"] = status
        _log(report, actor, EntryKind.STATUS, status, at=now)  # a code: shown in the reader's language
    if category is not None and category != (report.category.code if report.category else None):
        row = report.channel.categories.filter(code=category).first()
        if row is None:
            raise ValidationFailed(_("Unknown category."), field="category")
        report.category = row
        changes["category"] = category
        _log(report, actor, EntryKind.CATEGORY, category, at=now)  # a code: shown in the reader's language
    if routed_to and (not routed_to.is_active or routed_to.kind not in ROUTABLE_KINDS):
        raise ValidationFailed(_("Route reports to a police force, customs, a port authority or a maritime "
                                 "authority."), field="routed_to")
    if routed_to is not False and (routed_to.pk if routed_to else None) != report.routed_to_id:
        report.routed_to = routed_to
        changes["routed_to"] = routed_to.name if routed_to else None
        _log(report, actor, EntryKind.ROUTED, routed_to.name if routed_to else "", at=now)
    if labels is not None:
        names = sorted({v.text(name, field="labels", max_length=40) for name in labels} - {""})
        before = sorted(report.labels.values_list("name", flat=True))
        if names != before:
            rows = []
            for name in names:
                row, _created = Label.objects.get_or_create(channel=report.channel, name=name)
                rows.append(row)
            report.labels.set(rows)
            changes["labels"] = names
            _log(report, actor, EntryKind.LABELS, ", ".join(names), at=now)
    if not changes:
        return report
    if report.status == ReportStatus.NEW and "status" not in changes:
        report.status = ReportStatus.IN_TRIAGE
    report.save()
    _emit(actor, "reporting.report.triaged", report, changes=changes)
    return report


@transaction.atomic
def report_forward(*, actor: Principal, report: Report, key: public.PrivateKey, to_channel: Channel,
                   answers: dict, message_ids: list[int] = (), attachment_ids: list[int] = (),
                   note: str = "") -> Report:
    """A copy for another channel (police, customs, another port), with only what the
    recipient chose to pass on and their redactions. The copy is sealed to the other
    channel's recipients; the reporter keeps talking to this channel only."""
    report = _report(actor, report, lock=True)
    if to_channel.pk == report.channel_id or not to_channel.is_active:
        raise ValidationFailed(_("Choose another active channel to forward to."), field="to_channel")
    if not channel_ready(to_channel):
        raise Conflict(_("Nobody can read reports in %(channel)s yet.") % {"channel": to_channel.name},
                       field="to_channel")
    original = crypto.unseal_json(key, report.content).get("answers", {})
    cleaned = questionnaire.clean_answers(list(questionnaire.CHOOSABLE), {**answers})
    redacted = cleaned != original
    note = v.text(note, field="note", max_length=2000, multiline=True)
    now = clock.now()
    copy_key = crypto.new_report_key()
    copy_public = bytes(copy_key.public_key)
    number = next_number(to_channel)
    category = to_channel.categories.filter(code=report.category.code if report.category else "",
                                            is_active=True).first()
    copy = Report.objects.create(
        channel=to_channel, number=number, port=report.port, category=category, status=ReportStatus.NEW,
        public_key=copy_public, content=crypto.seal_json(copy_public, {"v": 1, "answers": cleaned}),
        forwarded_from=report, submitted_at=now)
    messages = report.messages.filter(pk__in=list(message_ids)).exclude(kind=MessageKind.COMMENT)
    Message.objects.bulk_create([
        Message(report=copy, author=message.author, kind=MessageKind.MESSAGE, created_at=message.created_at,
                body=crypto.seal(copy_public, crypto.unseal(key, message.body)))
        for message in messages])
    if note:
        Message.objects.create(report=copy, author=Author.RECIPIENT, author_user=actor.user,
                               kind=MessageKind.COMMENT, body=crypto.seal(copy_public, note.encode()), created_at=now)
    items = report.attachments.filter(pk__in=list(attachment_ids))
    Attachment.objects.bulk_create([
        Attachment(report=copy, author=item.author, content_type=item.content_type, size=item.size,
                   name=crypto.seal(copy_public, crypto.unseal(key, item.name)),
                   data=crypto.seal(copy_public, crypto.unseal(key, item.data)), created_at=item.created_at)
        for item in items])
    seal_to_recipients(copy, copy_key, to_channel)
    Forward.objects.create(report=report, to_channel=to_channel, copy=copy, at=now, by=actor.label,
                           redacted=redacted)
    report.status = ReportStatus.FORWARDED
    report.routed_to = to_channel.owner
    report.save(update_fields=["status", "routed_to"])
    _log(report, actor, EntryKind.FORWARDED, f"{to_channel.name} #{number}", at=now)
    Entry.objects.create(report=copy, at=now, actor=actor.label, kind=EntryKind.RECEIVED,
                         detail=f"{report.channel.owner.name} · {report.channel.name}")
    _emit(actor, "reporting.report.forwarded", report, to_channel=to_channel.slug, copy=number, redacted=redacted,
          content=audit.digest({"answers": cleaned, "messages": sorted(m.pk for m in messages),
                                "attachments": sorted(item.pk for item in items)}))
    emit(actor=actor, code="reporting.report.received", subject=copy, organisation_id=to_channel.owner_id,
         port_id=copy.port_id, data={"channel": to_channel.slug, "number": number, "from_channel": report.channel.slug,
                                     "category": category.code if category else None, "port": copy.port_id})
    return copy


@transaction.atomic
def reports_share(*, actor: Principal, channel: Channel, recipient_key: public.PrivateKey) -> int:
    """Seal every report of the channel this recipient can open to the channel's other
    recipients who cannot yet (a colleague added after the reports came in)."""
    if not channels_received(actor).filter(pk=channel.pk).exists():
        raise NotFound(_("No such channel."))
    shared = 0
    for sealed in ReportKey.objects.filter(report__channel=channel, user=actor.user).select_related(
            "report", "report__channel"):
        try:
            key = public.PrivateKey(crypto.unseal(recipient_key, sealed.sealed))
        except crypto.CannotOpen:
            continue
        added = seal_to_recipients(sealed.report, key, channel)
        if added:
            shared += added
            _log(sealed.report, actor, EntryKind.SHARED, str(added))
            _emit(actor, "reporting.report.shared", sealed.report, recipients=added)
    return shared
