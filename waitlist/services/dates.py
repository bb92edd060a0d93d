"""Calendar arithmetic for periods and notice: years run from the payment date, and a
month's notice ends on the same day next month (clamped to the month's last day)."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months; 31 January + 1 month is 28/29 February."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_year(day: date) -> date:
    """One year later; 29 February becomes 28 February."""
    return add_months(day, 12)


def kr(amount) -> str:
    """An amount as Danish letters show it, whatever language is active: 1.250,00 kr."""
    text = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} kr."
