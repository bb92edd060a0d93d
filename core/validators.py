"""Input bounds shared by forms and API serializers (issue 17: bad input never gives a 500).

A date a person types or an integration sends lies between 1900 and 2199: year 1 and
year 9999 pass Python's date type but break month arithmetic (date(9999, 12, 1) has no
next month) and make no sense in a lease, a filing or a refund."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def validate_plausible_date(value: date) -> None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(_("Datoen skal ligge mellem 1900 og 2199."), code="date_out_of_range")
