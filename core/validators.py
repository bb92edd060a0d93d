"""Input bounds shared by forms and API serializers (issue 17: bad input never gives a 500).

A date a person types or an integration sends lies between 1900 and 2199: year 1 and
year 9999 pass Python's date type but break month arithmetic (date(9999, 12, 1) has no
next month) and make no sense in a lease, a filing or a refund."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def validate_plausible_date(value: date) -> None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(_("Datoen skal ligge mellem 1900 og 2199."), code="date_out_of_range")


def axes_username(request, credentials=None) -> str:
    """The username django-axes records for a login attempt (AXES_USERNAME_CALLABLE), cut to
    the 150 characters a username can have: axes stores it in a 255-character column, and a
    pasted page as username must be a failed login, not a database error (a 500)."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    value = credentials.get(field) if credentials else request.POST.get(field)
    return str(value or "")[:150]
