"""What an uploaded file really is, told by its bytes, and the clean bytes we keep of it:
images drawn afresh without their metadata, PDFs as sent. Anything else is refused by name."""

from __future__ import annotations

import io
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from PIL import Image, ImageCms, ImageOps
from starlette.datastructures import UploadFile

from frontdesk.languages import gettext
from frontdesk.services.errors import Invalid

MiB = 1024 * 1024
MAX_FILE_BYTES = 10 * MiB
# A 48-megapixel phone photo fits; a small file claiming more is a decompression bomb (it would
# take gigabytes to decode). Pillow refuses beyond its own MAX_IMAGE_PIXELS as well.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
KINDS = "a JPEG, PNG, WebP or GIF image or a PDF"
# What a file's name says it is, where it says anything we take.
NAMED = {
    ".jpg": "image",
    ".jpeg": "image",
    ".png": "image",
    ".gif": "image",
    ".webp": "image",
    ".pdf": "pdf",
}


@dataclass(frozen=True)
class Clean:
    filename: str
    content_type: str
    data: bytes


# Files, by their first bytes: what the client says a file is (its name, its Content-Type)
# decides nothing.
def _sniffed(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head.startswith(b"%PDF-"):
        return "PDF"
    return None


def cleaned(upload: UploadFile, field: str) -> Clean:
    name = display_name(upload.filename or "")
    size = size_of(upload)
    if size > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // MiB
        said = gettext("%(name)s is %(size)s MB; files can be up to %(limit)s MB.")
        raise _refused(field, said % {"name": name, "size": _megabytes(size), "limit": limit})
    if size == 0:
        raise _refused(field, gettext("%(name)s is empty.") % {"name": name})
    upload.file.seek(0)
    data = upload.file.read(MAX_FILE_BYTES + 1)
    kind = _sniffed(data[:16])
    # A name that says image over bytes that say PDF (or the reverse) is a disguise or a mix-up
    # either way; one image format named as another (a PNG saved as .jpg) is common and harmless.
    named = NAMED.get(PurePath(name).suffix.lower())
    if kind is None or (named and named != ("pdf" if kind == "PDF" else "image")):
        said = gettext("%(name)s is not a JPEG, PNG, WebP or GIF image or a PDF.")
        raise _refused(field, said % {"name": name})
    if kind == "PDF":
        return Clean(_renamed(name, ".pdf"), "application/pdf", data)
    encoded, transparent = _reencoded(data, kind, name, field)
    if transparent:
        return Clean(_renamed(name, ".png"), "image/png", encoded)
    return Clean(_renamed(name, ".jpg"), "image/jpeg", encoded)


def _reencoded(data: bytes, kind: str, name: str, field: str) -> tuple[bytes, bool]:
    """The image drawn afresh: turned upright as its EXIF says, in sRGB, with nothing of the
    original file's metadata (EXIF with GPS, XMP, comments, profiles). Lossless sources and
    anything with transparency become PNG (is it PNG is the second value); photos JPEG."""
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise _too_many_pixels(name, field)
            # The first frame of an animation; decoding it all checks the file is whole.
            image.load()
            upright = ImageOps.exif_transpose(image)
            transparent = kind in ("PNG", "GIF") or _has_alpha(upright)
            drawn = _in_srgb(upright, "RGBA" if _has_alpha(upright) else "RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name, field) from None
    except (OSError, SyntaxError, ValueError):
        said = gettext("%(name)s could not be read as an image; it may be damaged.")
        raise _refused(field, said % {"name": name}) from None
    # Only what we pass is written: no exif=, no xmp=, no comment=, no icc_profile=.
    drawn.info = {}
    out = io.BytesIO()
    if transparent:
        drawn.save(out, "PNG", optimize=False)
    else:
        drawn.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), transparent


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def _in_srgb(image: Image.Image, mode: Literal["RGB", "RGBA"]) -> Image.Image:
    """The image in plain sRGB: a wide-gamut (Display P3) or CMYK photo keeps its colours
    without carrying its profile along."""
    profile = image.info.get("icc_profile")
    if profile:
        try:
            converted = ImageCms.profileToProfile(
                image, io.BytesIO(profile), ImageCms.createProfile("sRGB"), outputMode=mode
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a profile that does not fit the pixels is dropped
        if converted is not None:
            return converted
    return image.convert(mode)


def _too_many_pixels(name: str, field: str) -> Invalid:
    said = gettext(
        "%(name)s has too many pixels to open safely (over %(megapixels)s megapixels); "
        "please send a smaller image."
    )
    return _refused(field, said % {"name": name, "megapixels": MAX_PIXELS // 1_000_000})


def display_name(raw: str) -> str:
    """A file name to show: the last part of any path, without control or direction-changing
    characters (which can disguise an extension), at most 150 characters."""
    last = re.split(r"[\\/]", raw)[-1]
    normal = unicodedata.normalize("NFC", last)
    kept = "".join(ch for ch in normal if not unicodedata.category(ch).startswith("C"))
    return kept.strip(" .")[:150] or "file"


def _renamed(name: str, extension: str) -> str:
    """The name with the extension of what is stored (a .webp photo is kept as .jpg)."""
    stem = PurePath(name).stem if "." in name else name
    return f"{stem or 'file'}{extension}"


def size_of(upload: UploadFile) -> int:
    upload.file.seek(0, io.SEEK_END)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def _megabytes(size: int) -> str:
    return f"{math.ceil(size * 10 / MiB) / 10:g}"


def _refused(field: str, message: str) -> Invalid:
    return Invalid(message, {field: message})
