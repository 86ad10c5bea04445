"""What a violation's screenshot may be: an image within these bounds (the check is `core.images`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.images import image_check

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8000


def screenshot_check(upload) -> str:
    """Check an uploaded screenshot; returns the extension of its real format. Raises ValidationError."""
    return image_check(upload, max_bytes=MAX_BYTES, max_side=MAX_SIDE, what=_("The screenshot")).extension
