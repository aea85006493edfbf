"""PDF documents the platform hands out (a chain of custody, an incident's closing report):
A4, DejaVu Sans embedded so that names in any script print, "page N of M" in the footer,
in the reader's language (the caller activates it).

The building blocks are deliberately few: a heading, label–value facts, a paragraph and a
table. A document module (``release/trace_pdf.py``, ``controlroom/incident_pdf.py``) lays
out its own content with them, so every PDF of havenwatch looks the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
INK = (23, 35, 46)
MUTED = (95, 111, 126)
LINE = (216, 222, 229)
HEAD_FILL = (232, 236, 240)
STATE_INK = {"green": (31, 122, 69), "red": (179, 38, 30)}


class Document(FPDF):
    """An A4 page in portrait with DejaVu Sans (regular and bold) and a footer: ``footer_left``
    on the left, "page N of M" on the right."""

    def __init__(self, footer_left: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_left = footer_left
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*MUTED)
        self.cell(self.epw / 2, 5, self.footer_left, align="L")
        # "{nb}" is replaced by the number of pages when the document is closed.
        self.cell(self.epw / 2, 5, _("page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"},
                  align="R")


def document(*, title: str, author: str, created_at: datetime, footer_left: str, compress: bool = True) -> Document:
    """A new document with its metadata set and its first page open. ``compress=False``
    leaves the page streams readable (tests)."""
    pdf = Document(footer_left=footer_left)
    pdf.set_compression(compress)
    pdf.set_title(title)
    pdf.set_subject(title)
    pdf.set_author(author)
    pdf.set_creator("havenwatch")
    pdf.set_creation_date(created_at)
    pdf.add_page()
    return pdf


def title(pdf: FPDF, text: str) -> None:
    """The document's title, large and bold, on top of the first page."""
    pdf.set_font(FONT, "B", 16)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 8, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def heading(pdf: FPDF, text: str) -> None:
    """A section's heading, underlined by a thin rule."""
    pdf.ln(3)
    pdf.set_font(FONT, "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*LINE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    pdf.ln(1.5)


def facts(pdf: FPDF, rows: Iterable[tuple[str, str]], label_width: float = 48) -> None:
    """Label and value side by side; either may wrap (a borderless table keeps them aligned)."""
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*INK)
    label_style = FontFace(family=FONT, size_pt=9, color=MUTED)
    with pdf.table(col_widths=(label_width, pdf.epw - label_width), width=pdf.epw, first_row_as_headings=False,
                   borders_layout="NONE", text_align="LEFT", v_align="TOP", line_height=4.6,
                   padding=(0.4, 1, 0.4, 0)) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label, style=label_style)
            row.cell(value or "—")


def paragraph(pdf: FPDF, text: str, *, size: float = 9, color=INK) -> None:
    pdf.set_font(FONT, "", size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, 4.6, text, align="L", new_x="LMARGIN", new_y="NEXT")


def table(pdf: FPDF, *, col_widths: Sequence[float], headings: Sequence[str], rows: Iterable[Sequence[str]],
          size: float = 7.5) -> None:
    """A table with a filled heading row repeated on every page, horizontal rules between
    rows; cells wrap. ``col_widths`` are relative (fpdf2 scales them to the page)."""
    pdf.set_font(FONT, "", size)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*LINE)
    heading_style = FontFace(family=FONT, emphasis="BOLD", size_pt=size, fill_color=HEAD_FILL)
    with pdf.table(col_widths=tuple(col_widths), text_align="LEFT", v_align="TOP", line_height=size * 0.48,
                   headings_style=heading_style, repeat_headings=1, padding=1,
                   borders_layout="HORIZONTAL_LINES") as grid:
        head = grid.row()
        for text in headings:
            head.cell(text)
        for values in rows:
            row = grid.row()
            for value in values:
                row.cell(str(value))


def output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
