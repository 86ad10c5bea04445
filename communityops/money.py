"""Money is CNY as Decimal with two places; this is the one place that says how to make and round it."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 12


def to_money(value) -> Decimal:
    """Round to the cent, half up, as the shop and the finance team do."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def cents_to_money(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)


def format_money(value: Decimal | None) -> str:
    """Two decimals as a string, the JSON form of money in every stable interface."""
    return "" if value is None else f"{to_money(value):.2f}"


class MoneyField(models.DecimalField):
    """Decimal(12,2), CNY. Every money column in the project uses it, so the size is decided once."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "communityops.money.MoneyField", args, kwargs
