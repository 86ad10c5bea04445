"""What an uploaded image may be (a violation's screenshot, a live code's QR or contact image): a real image of a
known format that Pillow opens and verifies, whatever its name says, within a file size and a side in pixels.
A file that fails says why."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ImageKind:
    extension: str
    content_type: str


KINDS = {
    "PNG": ImageKind("png", "image/png"),
    "JPEG": ImageKind("jpg", "image/jpeg"),
    "GIF": ImageKind("gif", "image/gif"),
    "WEBP": ImageKind("webp", "image/webp"),
}


def image_check(upload, *, max_bytes: int, max_side: int, what: str) -> ImageKind:
    """The real kind of an uploaded image, or ValidationError saying why it is refused; `what` names the file in
    the message ("The screenshot", "This file")."""
    from PIL import Image, UnidentifiedImageError  # Pillow loads only when an image is uploaded

    if upload.size > max_bytes:
        raise ValidationError(
            _("%(what)s is %(size)s MB; at most %(max)s MB.")
            % {"what": what, "size": f"{upload.size / 1024 / 1024:.2f}", "max": f"{max_bytes / 1024 / 1024:g}"}
        )
    not_an_image = _("%(what)s is not an image (PNG, JPEG, GIF or WebP).") % {"what": what}
    try:
        upload.seek(0)
        # Only the parsers of the formats taken: Pillow would otherwise try each of its ~40 (TGA, PCX, FLI, EPS,
        # …) on an outsider's bytes, for a file refused anyway.
        with Image.open(upload, formats=list(KINDS)) as image:
            image_format, (width, height) = image.format, image.size
            if width > max_side or height > max_side:
                raise ValidationError(
                    _("%(what)s is %(width)s×%(height)s pixels; at most %(side)s×%(side)s.")
                    % {"what": what, "width": width, "height": height, "side": max_side}
                )
            image.verify()
    except Image.DecompressionBombError as error:
        # Pillow refuses to even open an image of so many pixels (a few bytes can claim 50000×50000): it is an
        # image, only far too big, which is what the uploader is told.
        raise ValidationError(
            _("%(what)s has more pixels than an image may have; at most %(side)s×%(side)s.")
            % {"what": what, "side": max_side}
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(not_an_image) from error
    finally:
        upload.seek(0)
    if image_format not in KINDS:
        raise ValidationError(not_an_image)
    return KINDS[image_format]
