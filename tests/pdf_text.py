"""What a PDF shows, read with pypdf (the library core.files strips PDFs with)."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_has(pdf: bytes, wanted: str) -> bool:
    """Whether the PDF shows ``wanted``; spaces and line breaks aside, as a cell may wrap it."""
    return "".join(wanted.split()) in "".join(pdf_text(pdf).split())
