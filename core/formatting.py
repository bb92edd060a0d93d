"""The one place amounts, areas, counts, dates and users are written for people to read.

Built on Django's localisation with the product's Danish formats (config/formats/da): the
template filters in core.templatetags.boligkontor, the e-mail drafts, Excel headers and the
admin all call these, so "7.808,00 kr.", "68 m²" and "01.12.2026" look the same everywhere.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def number(value, decimals: int = 0) -> str:
    """A number with Danish grouping and decimal comma: 12.345 or 12.345,50."""
    amount = _decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    return formats.number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def money(value) -> str:
    """An amount in kroner: 7.808,00 kr. (empty for no value)."""
    amount = _decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    return f"{number(amount, 2)} kr."


def area(value) -> str:
    """An area in square metres: 68 m² or 72,5 m² (no trailing ,00)."""
    amount = _decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    decimals = 0 if amount == amount.to_integral_value() else 1
    if decimals and (amount * 10) != (amount * 10).to_integral_value():
        decimals = 2
    return f"{number(amount, decimals)} m²"


def day(value) -> str:
    """A date (or the local date of a datetime): 01.12.2026."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def moment(value) -> str:
    """A point in time in Danish local time: 01.12.2026 14:05."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")


def user_name(user, *, system: str = "") -> str:
    """A user as people see them everywhere: full name, else username; `system` for none."""
    if user is None:
        return system
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()
