"""Uploaded files told by their bytes and stripped of their metadata (core/files.py), on real
files made here: a phone-like JPEG with EXIF, GPS, XMP and a comment, a PNG with text chunks,
a PDF by fpdf2 with its author, XMP, an attached file and a photo, one with JavaScript."""

from __future__ import annotations

import io

import pytest
from fpdf import FPDF
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject, TextStringObject

from havenwatch.core import files

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>XmpPerson</dc:creator>'
       b"</rdf:Description></rdf:RDF></x:xmpmeta>")
PERSONAL = [b"Jan Peeters", b"SecretCreator", b"SecretTitle", b"SecretKeyword", b"SecretSubject", b"XmpPerson",
            b"SecretPayload", b"secret.txt", b"TestCam", b"quay 1742", b"OpenSecret", b"NamedSecret", b"PageSecret"]


def camera_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0110] = "TestCam X1"  # Model
    exif[0x0132] = "2026:03:29 01:59:00"  # DateTime
    if orientation is not None:
        exif[0x0112] = orientation
    exif.get_ifd(EXIF_IFD)[0x9003] = "2026:03:29 01:58:00"  # DateTimeOriginal
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 17.0, 2.5), 3: "E", 4: (4.0, 18.0, 1.0)})
    return exif


def camera_jpeg(orientation: int | None = None, size=(64, 48)) -> bytes:
    """Left half red, right half blue: which way it was turned shows in the pixels."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=camera_exif(orientation), comment=b"taken at quay 1742", xmp=XMP)
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jan Peeters")
    info.add_itxt("Location", "quay 1742, 51.2801,4.3005")
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, format="PNG", pnginfo=info, exif=camera_exif())
    return out.getvalue()


def fpdf2_document(**extra) -> bytes:
    pdf = FPDF()
    pdf.set_author("Jan Peeters")
    pdf.set_creator("SecretCreator")
    pdf.set_title("SecretTitle")
    pdf.set_keywords("SecretKeyword")
    pdf.set_subject("SecretSubject")
    pdf.set_xmp_metadata(XMP.decode())
    pdf.embed_file(bytes=b"SecretPayload: the whole draft", basename="secret.txt")
    for text in ("Statement of the witness", "Second page"):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=text)
    pdf.image(io.BytesIO(camera_jpeg()), x=10, y=30, w=30)  # fpdf2 embeds a JPEG as it is, EXIF and all
    return bytes(pdf.output())


def javascript_document() -> bytes:
    """A PDF that runs JavaScript on opening, by name and on its page, made with pypdf's objects
    (``add_js`` is gone from pypdf 7)."""

    def script(text: str) -> DictionaryObject:
        return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(text)})

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): script("app.alert('PageSecret')")})
    root = writer.root_object
    root[NameObject("/OpenAction")] = script("app.alert('OpenSecret')")
    root[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("hello"), script("app.alert('NamedSecret')")])})})
    writer.add_metadata({"/Author": "Jan Peeters"})
    return written(writer)


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_document() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    return written(writer)


def truncated_in_the_picture(jpeg: bytes) -> bytes:
    """The headers whole, the compressed picture cut short: Image.open succeeds, decoding fails."""
    scan = jpeg.index(b"\xff\xda")
    return jpeg[:scan + (len(jpeg) - scan) // 2]


def absent(data: bytes, strings=PERSONAL) -> list[bytes]:
    """The strings of ``strings`` that ``data`` still holds (in the raw bytes: none must)."""
    return [s for s in strings if s in data]


# --- sniff -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (camera_jpeg(), "image/jpeg"),
    (png_with_text(), "image/png"),
    (fpdf2_document(), "application/pdf"),
    (b"<!DOCTYPE html><html><body>hello</body></html>", None),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", None),  # a ZIP (and so DOCX, XLSX)
    (b"", None),
    (b"\xff\xd8", None),  # too short to be a JPEG
    (b" %PDF-1.7", None),
])
def test_sniff_tells_the_type_by_the_bytes(data, expected):
    assert files.sniff(data) == expected


def test_a_pdf_named_as_a_photo_is_a_pdf():
    upload = {"name": "holiday.jpg", "content_type": "image/jpeg", "data": fpdf2_document()}
    assert files.sniff(upload["data"]) == "application/pdf"
    with pytest.raises(ValueError, match="not image/jpeg"):
        files.strip(upload["data"], upload["content_type"])  # the declared type is not believed
    assert files.strip(upload["data"], "application/pdf").startswith(b"%PDF-")


def test_allowed_is_what_sniff_knows():
    assert files.ALLOWED == {"image/jpeg", "image/png", "application/pdf"}
    assert files.IMAGES == {"image/jpeg", "image/png"}


# --- images ----------------------------------------------------------------------------------


def test_a_photo_loses_its_exif_gps_xmp_and_comment():
    original = camera_jpeg()
    with Image.open(io.BytesIO(original)) as image:  # the sample holds what it should
        assert image.getexif()[0x010F] == "TestCam" and image.getexif().get_ifd(GPS_IFD)
    assert b"quay 1742" in original and b"XmpPerson" in original and b"Exif" in original

    stripped = files.strip_image(original, "image/jpeg")

    with Image.open(io.BytesIO(stripped)) as image:
        image.load()
        assert image.format == "JPEG" and image.size == (64, 48)
        assert dict(image.getexif()) == {} and not image.getexif().get_ifd(GPS_IFD)
        assert "comment" not in image.info and "xmp" not in image.info and "icc_profile" not in image.info
        assert image.getpixel((5, 24))[0] > 200 and image.getpixel((58, 24))[2] > 200  # red left, blue right
    assert absent(stripped) == []
    assert b"Exif" not in stripped and b"GPS" not in stripped and b"http://ns.adobe.com/xap" not in stripped
    assert files.strip(original, "image/jpeg") == stripped


def test_a_photo_taken_sideways_is_turned_upright_before_its_exif_goes():
    stripped = files.strip_image(camera_jpeg(orientation=6), "image/jpeg")  # 6: turn 90° clockwise to view
    with Image.open(io.BytesIO(stripped)) as image:
        assert image.size == (48, 64) and dict(image.getexif()) == {}
        assert image.getpixel((24, 5))[0] > 200 and image.getpixel((24, 58))[2] > 200  # red on top now


def test_a_png_loses_its_text_chunks_and_exif():
    original = png_with_text()
    assert b"Jan Peeters" in original and b"iTXt" in original and b"eXIf" in original
    stripped = files.strip_image(original, "image/png")
    with Image.open(io.BytesIO(stripped)) as image:
        image.load()
        assert image.format == "PNG" and image.size == (32, 24) and image.getpixel((3, 3)) == (200, 30, 30)
        assert image.text == {} and dict(image.getexif()) == {}
    assert absent(stripped) == [] and not any(chunk in stripped for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf"))


def test_a_transparent_png_keeps_its_transparency():
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(out, format="PNG")
    with Image.open(io.BytesIO(files.strip_image(out.getvalue(), "image/png"))) as image:
        assert image.mode == "RGBA" and image.getpixel((1, 1))[3] == 0


def test_an_image_over_50_megapixels_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (10_000, 5_001)).save(out, format="PNG")  # 50.01 megapixels, a few kilobytes
    with pytest.raises(ValueError, match="larger than 50 megapixels"):
        files.strip_image(out.getvalue(), "image/png")


@pytest.mark.parametrize(("data", "content_type", "message"), [
    (truncated_in_the_picture(camera_jpeg()), "image/jpeg", "damaged or incomplete"),
    (camera_jpeg()[:40], "image/jpeg", "does not open as a JPEG"),  # truncated within the header
    (png_with_text(), "image/jpeg", "does not open as a JPEG"),  # the type said is not the type it is
    (camera_jpeg(), "application/pdf", "not an image type"),
    (b"%PDF-1.7 garbage", "image/png", "does not open as a PNG"),
])
def test_broken_images_are_refused(data, content_type, message):
    with pytest.raises(ValueError, match=message):
        files.strip_image(data, content_type)


# --- PDFs ------------------------------------------------------------------------------------


def test_a_pdf_keeps_its_pages_and_text_and_loses_everything_about_its_maker():
    original = fpdf2_document()
    source = PdfReader(io.BytesIO(original))  # the sample holds what it should
    assert source.metadata.author == "Jan Peeters" and source.xmp_metadata is not None
    assert "secret.txt" in source.attachments
    assert b"TestCam" in original  # the photo's EXIF, inside the PDF

    stripped = files.strip_pdf(original)

    reader = PdfReader(io.BytesIO(stripped))
    assert len(reader.pages) == 2
    assert "Statement of the witness" in reader.pages[0].extract_text()
    assert "Second page" in reader.pages[1].extract_text()
    (photo,) = reader.pages[1].images  # the photo is still there, still a JPEG...
    assert photo.image.size == (64, 48) and photo.image.format == "JPEG"
    assert dict(photo.image.getexif()) == {}  # ... without its EXIF
    assert reader.metadata is None and reader.xmp_metadata is None and reader.attachments == {}
    assert "/Names" not in reader.trailer["/Root"] and "/Metadata" not in reader.trailer["/Root"]
    assert all("/Metadata" not in page and "/PieceInfo" not in page for page in reader.pages)
    assert absent(stripped) == []
    for written_by_a_tool in (b"/Producer", b"/Creator", b"pypdf", b"PyFPDF", b"fpdf", b"/Info", b"/ID"):
        assert written_by_a_tool not in stripped
    assert files.strip(original, "application/pdf") == stripped


def test_a_pdf_loses_its_javascript():
    original = javascript_document()
    assert b"OpenSecret" in original and b"NamedSecret" in original and b"PageSecret" in original

    stripped = files.strip_pdf(original)

    reader = PdfReader(io.BytesIO(stripped))
    assert len(reader.pages) == 1 and reader.metadata is None
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/Names" not in root and "/AA" not in reader.pages[0]
    assert absent(stripped) == [] and b"/JavaScript" not in stripped and b"/JS" not in stripped


def test_an_annotation_keeps_its_text_but_not_its_author_and_an_attached_file_goes():
    writer = PdfWriter(clone_from=io.BytesIO(fpdf2_document()))
    comment = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Text"),
        NameObject("/Rect"): ArrayObject([]), NameObject("/Contents"): TextStringObject("Seen at the gate"),
        NameObject("/T"): TextStringObject("Jan Peeters"), NameObject("/M"): TextStringObject("D:20260329015900"),
    })
    carrier = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/FileAttachment"),
        NameObject("/Rect"): ArrayObject([]), NameObject("/Contents"): TextStringObject("SecretPayload"),
    })
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([]), NameObject("/A"): DictionaryObject({
            NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("PageSecret.exe")}),
    })
    for annotation in (comment, carrier, link):
        writer.add_annotation(0, annotation)

    stripped = files.strip_pdf(written(writer))

    annotations = [a.get_object() for a in PdfReader(io.BytesIO(stripped)).pages[0]["/Annots"]]
    assert [a["/Subtype"] for a in annotations] == ["/Text", "/Link"]
    assert annotations[0]["/Contents"] == "Seen at the gate" and "/T" not in annotations[0]
    assert "/A" not in annotations[1]
    assert absent(stripped) == [] and b"D:2026" not in stripped


@pytest.mark.parametrize(("data", "message"), [
    (b"%PDF-1.7 garbage", "damaged"),
    (fpdf2_document()[:600], "damaged"),  # truncated
    (encrypted_document(), "password"),
    (written(PdfWriter()), "no pages"),
])
def test_broken_encrypted_and_empty_pdfs_are_refused(data, message):
    with pytest.raises(ValueError, match=message):
        files.strip_pdf(data)


def test_a_damaged_photo_in_a_pdf_refuses_the_pdf():
    writer = PdfWriter(clone_from=io.BytesIO(fpdf2_document()))
    (image,) = writer.pages[1].images
    stream = image.indirect_reference.get_object()
    StreamObject.set_data(stream, b"\xff\xd8\xff\xe1\xff\xffExif")  # an APP1 longer than the file
    with pytest.raises(ValueError, match="An image in the PDF is damaged"):
        files.strip_pdf(written(writer))


# --- strip -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "content_type", "message"), [
    (b"<html>hello</html>", "text/html", "not a JPEG, PNG or PDF"),
    (b"PK\x03\x04zip", "application/zip", "not a JPEG, PNG or PDF"),
    (b"", "image/jpeg", "not a JPEG, PNG or PDF"),
    (png_with_text(), "image/jpeg", "is image/png, not image/jpeg"),
])
def test_strip_refuses_anything_but_what_the_bytes_are(data, content_type, message):
    with pytest.raises(ValueError, match=message):
        files.strip(data, content_type)


def test_jpeg_segments_keep_the_picture_and_adobes_marker():
    original = camera_jpeg()
    adobe = b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x01"
    with_adobe = original[:2] + adobe + original[2:]
    cleaned = files.jpeg_without_metadata(with_adobe)
    assert adobe in cleaned and absent(cleaned) == [] and b"Exif" not in cleaned
    assert cleaned.endswith(original[original.index(b"\xff\xda"):])  # the scan, byte for byte
