"""Bounded filters for the FilterSets every list shares (browser, API, Excel).

django-filter's NumberFilter takes any decimal ("1e300", "-1.2e248"): as an id that
overflows the database's integer (a 500 on SQLite and PostgreSQL alike). These filters
refuse such values in the form, so the list answers 400 (API) or shows the form error."""

import django_filters
from django import forms
from drf_spectacular.drainage import set_override

# The largest value a BigAutoField / bigint column holds.
MAX_ID = 2**63 - 1


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
        schema_type = "integer" if decimal_places == 0 else "number"
        bounds = {"minimum": kwargs["min_value"], "maximum": kwargs["max_value"]}
        set_override(self, "field", {"type": schema_type, **bounds})
