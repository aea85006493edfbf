"""An incident's report as a PDF: what it was opened from, what happened, who and what was
involved, the attachments (photos as thumbnails) and the closing report. A4, DejaVu Sans
embedded (names in any script), in the reader's language (the caller activates it), times
in the port's time.

It shows what the reader may see: alarms of organisations the reader does not see are
counted, not shown.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from havenwatch.controlroom.models.incidents import Incident, IncidentAttachment, IncidentState
from havenwatch.controlroom.services import incidents as incident_services
from havenwatch.core import clock
from havenwatch.core import pdf as layout
from havenwatch.core.principal import Principal
from havenwatch.core.templatetags.havenwatch import local_time

THUMB_WIDTH = 40  # mm: four photos side by side
THUMB_HEIGHT = 40
THUMB_GAP = 6
THUMB_PIXELS = 480  # the longest side of a thumbnail as embedded


def incident_filename(incident: Incident) -> str:
    return f"incident-{incident.pk}.pdf"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return _("%(n)s MB") % {"n": f"{n / (1024 * 1024):.1f}"}
    return _("%(n)s KB") % {"n": max(1, round(n / 1024))}


def _thumbnail(attachment: IncidentAttachment) -> tuple[io.BytesIO, float] | None:
    """The photo scaled down for the page, and its height over width; ``None`` if it does not open."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(bytes(attachment.data))) as image:
            image.thumbnail((THUMB_PIXELS, THUMB_PIXELS))
            ratio = image.height / image.width
            out = io.BytesIO()
            if attachment.content_type == "image/png":
                image.save(out, format="PNG")
            else:
                image.convert("RGB").save(out, format="JPEG", quality=80)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    out.seek(0)
    return out, ratio


def _thumbnails(pdf, attachments: list[IncidentAttachment]) -> None:
    """The photos in rows of four, each with its name under it."""
    per_row = max(1, int((pdf.epw + THUMB_GAP) // (THUMB_WIDTH + THUMB_GAP)))
    column, row_top, row_height = 0, pdf.get_y() + 2, 0.0
    for attachment in attachments:
        thumb = _thumbnail(attachment)
        if thumb is None:
            continue
        image, ratio = thumb
        height = min(THUMB_WIDTH * ratio, THUMB_HEIGHT)
        width = height / ratio
        if column == per_row:
            column, row_top, row_height = 0, row_top + row_height + 4, 0.0
        if row_top + height + 6 > pdf.page_break_trigger:
            pdf.add_page()
            column, row_top, row_height = 0, pdf.get_y(), 0.0
        x = pdf.l_margin + column * (THUMB_WIDTH + THUMB_GAP)
        pdf.image(image, x=x, y=row_top, w=width, h=height)
        pdf.set_xy(x, row_top + height + 0.5)
        pdf.set_font(layout.FONT, "", 7)
        pdf.set_text_color(*layout.MUTED)
        pdf.multi_cell(THUMB_WIDTH, 3.2, attachment.name, align="L", max_line_height=3.2)
        row_height = max(row_height, pdf.get_y() - row_top)
        column += 1
    pdf.set_xy(pdf.l_margin, row_top + row_height + 2)


def render_incident_pdf(*, principal: Principal, incident: Incident, compress: bool = True) -> bytes:
    """The PDF of an incident as ``principal`` may see it. ``compress=False`` leaves the page
    streams readable (tests)."""
    zone = incident.port.time_zone
    now = clock.now()
    alarms, hidden = incident_services.incident_alarms(principal=principal, incident=incident)
    timeline = list(incident_services.incident_timeline(incident=incident))
    parties = list(incident_services.incident_parties(incident=incident))
    attachments = list(incident_services.incident_attachments(incident=incident, with_data=True))
    heading = _("Incident #%(n)s: %(title)s") % {"n": incident.pk, "title": incident.title}
    organisation = principal.organisation.name if principal.organisation else ""

    pdf = layout.document(title=heading, author=organisation or principal.label, created_at=now, compress=compress,
                          footer_left=_("Incident #%(n)s") % {"n": incident.pk})
    layout.title(pdf, heading)
    where = incident.port.name + (f" · {incident.facility.name}" if incident.facility_id else "")
    facts = [
        (_("Where"), where),
        (_("State"), str(incident.get_state_display())),
        (_("Opened"), _("%(when)s by %(who)s") % {"when": local_time(incident.opened_at, zone),
                                                  "who": incident.opened_by}),
    ]
    if incident.closed_at:
        facts.append((_("Closed"), _("%(when)s by %(who)s") % {"when": local_time(incident.closed_at, zone),
                                                                "who": incident.closed_by}))
    facts.append((_("Generated"), _("%(when)s by %(who)s") % {
        "when": local_time(now, zone), "who": f"{principal.label} ({organisation})" if organisation
        else principal.label}))
    layout.facts(pdf, facts)

    layout.heading(pdf, _("Summary"))
    layout.paragraph(pdf, incident.summary or _("No summary was given."),
                     color=layout.INK if incident.summary else layout.MUTED)

    layout.heading(pdf, _("Alarms (%(count)s)") % {"count": len(alarms) + hidden})
    if alarms:
        layout.table(pdf, col_widths=(9, 50, 26, 14, 33, 38), headings=(
            _("No."), _("Alarm"), _("Rule"), _("Priority"), _("Events (port time)"), _("State")), rows=[
            (f"#{a.pk}", a.title + (f" · {a.device.code}" if a.device_id else "") + (f" ×{a.count}" if a.count > 1
                                                                                      else ""),
             f"{a.rule_code} v{a.rule_version}", f"P{a.priority}",
             _("%(first)s to %(last)s") % {"first": local_time(a.first_event_at, zone),
                                           "last": local_time(a.last_event_at, zone)},
             str(a.get_state_display()) + (f": {a.close_reason}" if a.close_reason else ""))
            for a in alarms])
    if hidden:
        layout.paragraph(pdf, ngettext("%(n)s further alarm is of an organisation whose alarms you do not see.",
                                       "%(n)s further alarms are of organisations whose alarms you do not see.",
                                       hidden) % {"n": hidden}, color=layout.MUTED)

    layout.heading(pdf, _("Timeline"))
    layout.table(pdf, col_widths=(30, 28, 30, 82), headings=(_("Time (port time)"), _("Act"), _("By"), _("What")),
                 rows=[(local_time(e.at, zone), str(e.get_kind_display()),
                        e.user.get_full_name() or e.actor if e.user_id else e.actor, e.text or "—")
                       for e in timeline])

    layout.heading(pdf, _("Involved"))
    if parties:
        layout.table(pdf, col_widths=(22, 55, 63, 30), headings=(_("Kind"), _("Who or what"), _("Note"), _("Added")),
                     rows=[(str(p.get_kind_display()), p.value, p.note or "—", local_time(p.added_at, zone))
                           for p in parties])
    else:
        layout.paragraph(pdf, _("No person, vehicle, container or vessel is recorded."), color=layout.MUTED)

    layout.heading(pdf, _("Attachments (%(count)s)") % {"count": len(attachments)})
    if attachments:
        layout.table(pdf, col_widths=(55, 14, 16, 85), headings=(_("File"), _("Type"), _("Size"), _("SHA-256")),
                     rows=[(a.name, incident_services.TYPE_NAMES.get(a.content_type, a.content_type), _size(a.size),
                            a.sha256) for a in attachments])
        photos = [a for a in attachments if a.is_image]
        if photos:
            _thumbnails(pdf, photos)
    else:
        layout.paragraph(pdf, _("Nothing is attached."), color=layout.MUTED)

    layout.heading(pdf, _("Closing report"))
    if incident.state == IncidentState.CLOSED:
        layout.paragraph(pdf, incident.report)
    else:
        layout.paragraph(pdf, _("The incident is open: it has no closing report yet."), color=layout.MUTED)
    return layout.output(pdf)
