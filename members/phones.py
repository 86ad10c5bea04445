"""Phone numbers: parsed with `phonenumbers` (default region CN), stored in E.164, shown masked."""

import re

import phonenumbers
from django.conf import settings

# The common case, a mainland mobile, is recognised without the (slower) full parser: imports
# of 100k members spend most of their phone time here.
_CN_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_SEPARATORS = re.compile(r"[\s\-()]")


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Return the E.164 form of `raw` ('' stays ''), or raise InvalidPhone saying why."""
    text = _SEPARATORS.sub("", str(raw or "").strip())
    if not text:
        return ""
    if text.endswith(".0") and text[:-2].isdigit():  # a phone stored as a number by a spreadsheet
        text = text[:-2]
    match = _CN_MOBILE.match(text)
    if match:
        return "+86" + match.group(1)
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    """'+8613800138000' -> '13800138000'; '+862885551234' -> '02885551234'."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "").replace("-", "")


def mask_phone(e164: str) -> str:
    """'+8613800138000' -> '138****8000': the first three and last four digits stay, the rest is hidden."""
    digits = national_digits(e164)
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
