"""CPR numbers: format validation, normalisation and the birth date they carry.

Modulus 11 is NOT checked: since 2007 valid CPR numbers without it are issued (see
docs/domain.md, "CPR numbers"). Encryption at rest is in core.crypto.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError as StdnumError


def normalise_cpr(value: str) -> str:
    """Return the 10 digits of a CPR number, accepting `DDMMYY-SSSS` and spaces."""
    return stdnum_cpr.compact(value or "")


def validate_cpr(value: str) -> None:
    """Format and embedded birth date (no modulus 11 check, see the module docstring)."""
    try:
        stdnum_cpr.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("Ugyldigt CPR-nummer. Skriv 10 cifre som DDMMÅÅ-XXXX med en gyldig fødselsdato."),
            code="invalid_cpr",
        ) from exc


def cpr_birth_date(value: str) -> date:
    """The birth date a CPR number carries (century from the 7th digit)."""
    return stdnum_cpr.get_birth_date(normalise_cpr(value))
