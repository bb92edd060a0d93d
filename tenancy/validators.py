"""Validators for the CVR number and DAR address parts (docs/domain.md, "Identifiers").
CPR numbers are handled in core.cpr, since every app that holds people needs them."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.dk import cvr as stdnum_cvr
from stdnum.exceptions import ValidationError as StdnumError

HOUSE_NUMBER_RE = re.compile(r"^[1-9][0-9]{0,2}[A-Z]?$")
FLOOR_RE = re.compile(r"^(st|kl[0-9]?|k[2-9]|[1-9][0-9]?)$")
DOOR_RE = re.compile(r"^(tv|th|mf|[0-9A-Za-z/\-]{1,4})$")
FOUR_DIGITS_RE = re.compile(r"^[0-9]{4}$")


def validate_cvr(value: str) -> None:
    try:
        stdnum_cvr.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("Ugyldigt CVR-nummer: 8 cifre, første ciffer ikke 0, og kontrolcifferet skal passe."),
            code="invalid_cvr",
        ) from exc


def validate_house_number(value: str) -> None:
    if not HOUSE_NUMBER_RE.match(value or ""):
        raise ValidationError(
            _("Husnummer skal være 1–999 med et eventuelt stort bogstav, fx 12B."),
            code="invalid_house_number",
        )


def validate_floor(value: str) -> None:
    if value and not FLOOR_RE.match(value):
        raise ValidationError(
            _("Etage skal være st, kl (kl2 …, k2 …) eller 1–99."), code="invalid_floor"
        )


def validate_door(value: str) -> None:
    if value and not DOOR_RE.match(value):
        raise ValidationError(
            _("Dør skal være tv, th, mf eller op til 4 tegn (cifre, bogstaver, / og -)."),
            code="invalid_door",
        )


def validate_four_digits(value: str) -> None:
    if not FOUR_DIGITS_RE.match(value or ""):
        raise ValidationError(_("Skal være 4 cifre."), code="invalid_code")
