"""Bounded filters for the FilterSets every list shares (browser, API, Excel).

django-filter's NumberFilter takes any decimal ("1e300", "-1.2e248"): as an id that
overflows the database's integer (a 500 on SQLite and PostgreSQL alike). These filters
refuse such values in the form, so the list answers 400 (API) or shows the form error."""

from decimal import Decimal

import django_filters
from django import forms
from drf_spectacular.drainage import set_override

# The largest value a BigAutoField / bigint column holds.
MAX_ID = 2**63 - 1


def decimal_pattern(*, max_digits: int, decimal_places: int, min_value=None) -> str:
    """The OpenAPI pattern of a decimal written as a string, exactly as the API parses it:
    at most max_digits - decimal_places whole digits and decimal_places decimals, at least
    one digit, a minus sign only when negatives are allowed, and no zero when the smallest
    value is the smallest step above it (0.01 for two decimals). drf-spectacular's own
    pattern also matches "", "-" and "." and every sign, which the API refuses."""
    whole = max_digits - decimal_places
    sign = "" if min_value is not None and Decimal(min_value) >= 0 else "-?"
    fraction = rf"(?:\.\d{{1,{decimal_places}}})?" if decimal_places else ""
    step = Decimal(1).scaleb(-decimal_places)
    if min_value is not None and decimal_places and Decimal(min_value) == step:
        # Positive: a non-zero whole part, or 0 and a non-zero fraction.
        nonzero = "|".join(
            "0" * i
            + "[1-9]"
            + (rf"\d{{0,{decimal_places - 1 - i}}}" if i < decimal_places - 1 else "")
            for i in range(decimal_places)
        )
        return rf"^(?:[1-9]\d{{0,{whole - 1}}}{fraction}|0\.(?:{nonzero}))$"
    return rf"^{sign}(?:0|[1-9]\d{{0,{whole - 1}}}){fraction}$"


class IdFilter(django_filters.NumberFilter):
    """A primary key (or foreign key) filter: a whole number from 1 to the bigint limit."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
        # The OpenAPI schema states the bounds, so a generated client is right.
        set_override(self, "field", {"type": "integer", "minimum": 1, "maximum": MAX_ID})


class BoundedNumberFilter(django_filters.NumberFilter):
    """A number filter with the column's bounds: max_digits/decimal_places as the model's
    DecimalField, or min_value/max_value for an integer column."""

    def __init__(self, *args, max_digits: int = 12, decimal_places: int = 2, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 10 ** (max_digits - decimal_places) - 1)
        kwargs["max_digits"] = max_digits
        kwargs["decimal_places"] = decimal_places
        super().__init__(*args, **kwargs)
        if decimal_places == 0:
            bounds = {"minimum": kwargs["min_value"], "maximum": kwargs["max_value"]}
            set_override(self, "field", {"type": "integer", **bounds})
            return
        # A decimal as a string (as the decimals of the request bodies): a number would let
        # a client send more decimals than the filter takes.
        pattern = decimal_pattern(
            max_digits=max_digits, decimal_places=decimal_places, min_value=kwargs["min_value"]
        )
        set_override(self, "field", {"type": "string", "format": "decimal", "pattern": pattern})
