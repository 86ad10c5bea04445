"""What a violation's screenshot may be: a real image (Pillow opens and verifies it) of a known format, within a
file size and pixel bounds. A file that fails says why."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8000
FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}


def screenshot_check(upload) -> str:
    """Check an uploaded screenshot; returns the extension of its real format. Raises ValidationError."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("The screenshot is %(size)s MB; at most %(max)s MB.")
            % {"size": f"{upload.size / 1024 / 1024:.2f}", "max": MAX_BYTES // 1024 // 1024}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format, (width, height) = image.format, image.size
            if width > MAX_SIDE or height > MAX_SIDE:
                raise ValidationError(
                    _("The screenshot is %(width)s×%(height)s pixels; at most %(max)s on a side.")
                    % {"width": width, "height": height, "max": MAX_SIDE}
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(_("The screenshot is not an image (PNG, JPEG, GIF or WebP).")) from error
    finally:
        upload.seek(0)
    if image_format not in FORMATS:
        raise ValidationError(_("The screenshot is not an image (PNG, JPEG, GIF or WebP)."))
    return FORMATS[image_format]
