"""Money is CNY as Decimal with two places. This is the one place that says how to make, round and write it:
`format_money` for machines (JSON, files: "12345.50"), `yuan` for people ("¥12,345.50")."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 12
MAX_AMOUNT = Decimal(10) ** (MAX_DIGITS - 2) - CENT  # the largest amount a MoneyField holds: 9,999,999,999.99
MINUS = "−"  # a true minus sign: "−¥5,220.00" reads as one token, a hyphen does not
DASH = "—"
# The same text as `yuan` for money cells of the workbooks people download (the cell keeps its number).
XLSX_FORMAT = f'"¥"#,##0.00;"{MINUS}¥"#,##0.00'
XLSX_WHOLE_FORMAT = f'"¥"#,##0;"{MINUS}¥"#,##0'


def to_money(value) -> Decimal:
    """Round to the cent, half up, as the shop and the finance team do."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def cents_to_money(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)


def format_money(value: Decimal | None) -> str:
    """Two decimals as a string, the JSON form of money in every stable interface ('' for None)."""
    return "" if value is None else f"{to_money(value):.2f}"


def yuan(value, *, signed: bool = False, whole: bool = False) -> str:
    """Money as people read it: '¥12,345.00', '−¥5,220.00'; '—' for None.

    `signed` marks gains too ('+¥900.00'): for changes. `whole` drops the cents when there are none
    ('+¥900', '−¥5,100.50'): for sentences and summaries. Zero is '¥0.00' (or '¥0'), never signed.
    """
    if value is None or value == "":
        return DASH
    try:
        amount = to_money(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    magnitude = abs(amount)
    text = f"{magnitude:,.0f}" if whole and magnitude == magnitude.to_integral_value() else f"{magnitude:,.2f}"
    sign = MINUS if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}¥{text}"


class MoneyField(models.DecimalField):
    """Decimal(12,2), CNY. Every money column in the project uses it, so the size is decided once."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "core.money.MoneyField", args, kwargs
