"""Uploaded files told by their bytes and stored without what they say about their maker.

A photo from a phone carries where and when it was taken and with what; a PDF carries its
author, the software and computer that made it, earlier revisions, attached files and
scripts. Whoever stores an upload (an incident's attachment, an anonymous report) stores
only what is seen: the pixels, the pages. This matters most where the sender must stay
unknown.

- :func:`sniff` says what a file is by its first bytes. The name and the type the sender
  declares are never trusted: a PDF named ``photo.jpg`` is a PDF.
- :func:`strip_image` decodes a JPEG or PNG and encodes the pixels again, turned upright
  first as its EXIF says, so nothing of the original file but the picture survives.
- :func:`strip_pdf` writes a new PDF of the same pages, without the document's
  information, XMP, attached files, scripts and the metadata inside its JPEG images.
- :func:`strip` does either, for the type the bytes have.

Every refusal is a ``ValueError`` in plain English for the log; callers show their own
translated message.
"""

from __future__ import annotations

import io

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
IMAGES = frozenset({JPEG, PNG})
ALLOWED = frozenset({JPEG, PNG, PDF})
MAX_PIXELS = 50_000_000  # a phone's 48-megapixel photo passes; a decompression bomb does not
JPEG_QUALITY = 90

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PIL_FORMATS = {JPEG: ("JPEG",), PNG: ("PNG",)}

# PDF keys that say who made the file and when, or that run something when it is opened.
# Removed wherever they occur on a page and in what the page uses.
_PDF_DROP_KEYS = (
    "/Metadata",  # XMP
    "/PieceInfo",  # private data of the application that made the page (Illustrator, Word)
    "/LastModified",
    "/AA",  # actions on open, close, focus...
    "/OpenAction",
    "/JS",
)
# An annotation's author, its dates and its own id: a reviewer's comment keeps its text only.
_PDF_ANNOTATION_DROP_KEYS = ("/T", "/M", "/CreationDate", "/NM", "/RC")
# Annotations that carry a file, a sound or a film rather than show something on the page.
_PDF_CARRIER_ANNOTATIONS = frozenset({"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"})
# Actions that only move the reader (to a page, a web address, the next page): all others
# (JavaScript, launching a program, submitting a form, opening an attached file) go.
_PDF_SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})


def sniff(data: bytes) -> str | None:
    """The file's real type by its first bytes: ``image/jpeg``, ``image/png``,
    ``application/pdf``, or ``None`` for anything else (HTML, ZIP, nothing)."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == PNG_SIGNATURE:
        return PNG
    if data[:5] == b"%PDF-":
        return PDF
    return None


def strip(data: bytes, content_type: str) -> bytes:
    """``data`` without its metadata, for ``content_type`` as sniffed. The bytes must be
    what ``content_type`` says: a caller that passes a declared type gets a refusal rather
    than a PDF stripped as an image."""
    actual = sniff(data)
    if actual is None:
        raise ValueError("The file is not a JPEG, PNG or PDF.")
    if content_type != actual:
        raise ValueError(f"The file is {actual}, not {str(content_type)[:60]}.")
    if actual == PDF:
        return strip_pdf(data)
    return strip_image(data, actual)


def strip_image(data: bytes, content_type: str) -> bytes:
    """The image decoded and written again from its pixels alone: no EXIF (camera, GPS,
    dates), no XMP, no ICC profile, no JPEG comment, no PNG text chunks. A photo is first
    turned as its EXIF orientation says, or it would be shown sideways once that is gone.
    JPEG stays JPEG (re-encoded, quality 90) and PNG stays PNG (lossless).

    Refused with ``ValueError``: another type, bytes that do not decode as ``content_type``,
    and images over 50 megapixels (checked from the header, before anything is decoded)."""
    formats = _PIL_FORMATS.get(content_type)
    if formats is None:
        raise ValueError(f"{str(content_type)[:60]} is not an image type (JPEG or PNG).")
    from PIL import Image, ImageOps, UnidentifiedImageError

    failures = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)
    try:
        image = Image.open(io.BytesIO(data), formats=formats)
    except failures:
        raise ValueError(f"The file does not open as a {formats[0]} image.") from None
    with image:
        if image.width * image.height > MAX_PIXELS:
            raise ValueError(f"The image is larger than {MAX_PIXELS // 1_000_000} megapixels.")
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            # The pixels' transparency is all of ``info`` that is picture; the rest (EXIF, ICC,
            # comments, text chunks, DPI) Pillow would write again unless told not to.
            transparency = upright.info.get("transparency")
            upright.info.clear()
            out = io.BytesIO()
            if content_type == PNG:
                options = {} if transparency is None else {"transparency": transparency}
                upright.save(out, format="PNG", **options)
            else:
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                upright.save(out, format="JPEG", quality=JPEG_QUALITY)
        except failures:
            raise ValueError(f"The {formats[0]} image is damaged or incomplete.") from None
    return out.getvalue()


def strip_pdf(data: bytes) -> bytes:
    """A new PDF of the same pages, and nothing else of the original file.

    Only the pages are carried over, so the catalogue stays behind with everything it holds:
    the document information (author, creator, producer, title, subject, keywords, dates),
    the XMP metadata, attached files, document-level JavaScript and the action run on
    opening, outlines, forms, the structure tree and earlier revisions of an edited file.
    On the pages and in what they use (images, fonts, annotations), XMP, application data
    (``/PieceInfo``), modification dates and actions go; annotations that carry a file or a
    film go whole; comments lose their author and dates; JPEG images lose their EXIF, XMP,
    ICC and comment segments. The text and pictures on the pages stay as they were.

    pypdf names itself as the producer of what it writes: that is removed too, so nothing
    says how the file was cleaned.

    Refused with ``ValueError``: encrypted PDFs (they cannot be read without the password,
    so not cleaned either), PDFs without pages, and files pypdf cannot read."""
    from pypdf import PdfReader, PdfWriter

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _Refused("The PDF is protected by a password.")
        pages = list(reader.pages)
        if not pages:
            raise _Refused("The PDF has no pages.")
        _scrub(pages)
        writer = PdfWriter()
        for page in pages:
            writer.add_page(page)
        writer.metadata = None  # no /Info at all, not even pypdf's /Producer
        root = writer.root_object
        for key in ("/Names", "/OpenAction", "/AA", "/Metadata", "/PieceInfo", "/AcroForm", "/Outlines"):
            root.pop(key, None)  # a fresh catalogue has none; kept so should pypdf ever copy them
        out = io.BytesIO()
        writer.write(out)
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    except Exception:  # pypdf on a hostile file raises almost anything
        raise ValueError("The PDF is damaged and does not open.") from None
    return out.getvalue()


class _Refused(Exception):
    """A PDF refused for a reason worth telling (a password, no pages, a damaged image),
    rather than as merely damaged."""


def _scrub(pages: list) -> None:
    """Remove, in place on the reader's objects, what :func:`strip_pdf` promises is gone from
    the pages and everything they use, before the writer copies them. Walked with a stack,
    not recursion (a hostile file may nest deeper than Python's stack), and each object once
    (pages share their fonts and images)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

    seen: set[int] = set()
    stack: list = list(pages)
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            obj = obj.get_object()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, ArrayObject):
            stack.extend(obj)
            continue
        if not isinstance(obj, DictionaryObject):
            continue
        for key in _PDF_DROP_KEYS:
            obj.pop(key, None)
        for key in ("/A", "/Next"):
            action = obj.get(key)
            if isinstance(action, DictionaryObject) and "/S" in action and action["/S"] not in _PDF_SAFE_ACTIONS:
                del obj[key]
        annotations = obj.get("/Annots")
        if isinstance(annotations, ArrayObject):
            kept = ArrayObject()
            for reference in annotations:
                annotation = reference.get_object() if isinstance(reference, IndirectObject) else reference
                if not isinstance(annotation, DictionaryObject):
                    continue
                if annotation.get("/Subtype") in _PDF_CARRIER_ANNOTATIONS:
                    continue
                for key in _PDF_ANNOTATION_DROP_KEYS:
                    annotation.pop(key, None)
                kept.append(reference)
            obj[NameObject("/Annots")] = kept
        if isinstance(obj, StreamObject) and obj.get("/Filter") in ("/DCTDecode", ["/DCTDecode"]):
            _clean_jpeg_stream(obj)
        stack.extend(value for key, value in obj.items() if key not in ("/Parent", "/P"))


def _clean_jpeg_stream(stream) -> None:
    from pypdf.generic import StreamObject

    try:
        cleaned = jpeg_without_metadata(stream.get_data())
    except ValueError:
        raise _Refused("An image in the PDF is damaged.") from None
    StreamObject.set_data(stream, cleaned)  # the raw bytes, not re-compressed: they are the JPEG
    stream.decoded_self = None


def jpeg_without_metadata(data: bytes) -> bytes:
    """The JPEG with its APP segments (EXIF, XMP, ICC, IPTC, JFIF thumbnail) and comments
    removed, the compressed picture untouched. Used inside PDFs, where decoding and encoding
    an image again would cost quality and the image's colours are the PDF's to say. The
    Adobe segment stays: without it, CMYK images show inverted. ``ValueError`` when the
    segments do not parse."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("Not a JPEG.")
    out = bytearray(b"\xff\xd8")
    index = 2
    while True:
        if index + 4 > len(data) or data[index] != 0xFF:
            raise ValueError("The JPEG ends before its picture.")
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker == 0xDA:  # start of scan: the picture, to the end
            out += data[index:]
            return bytes(out)
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            out += data[index:index + 2]
            index += 2
            continue
        end = index + 2 + int.from_bytes(data[index + 2:index + 4], "big")
        if end > len(data):
            raise ValueError("A JPEG segment runs past the end.")
        if not ((0xE0 <= marker <= 0xEF and marker != 0xEE) or marker == 0xFE):  # APP0-15 but Adobe's, COM
            out += data[index:end]
        index = end
