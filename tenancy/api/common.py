"""What the API modules share: the scoped primary-key field and the buildings selector."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.filters import decimal_pattern
from core.validators import validate_plausible_date

from .. import selectors
from ..models import Building


def building_list(*, user):
    """Buildings in the user's organisations (the selectors module has no building list;
    this is the same organisation filter they use)."""
    return Building.objects.filter(
        organisation_id__in=selectors.organisation_ids_for(user)
    ).select_related("property")


class ScopedPk(serializers.PrimaryKeyRelatedField):
    """A primary key that must point at an object in the requesting user's organisations
    (through a scoping selector): another organisation's id gets the same "does not exist"
    400 as a wrong id, so nothing is ever created under it."""

    def __init__(self, *, selector, model, **kwargs):
        self.selector = selector
        # The empty queryset only tells the schema generator the model; lookups use
        # get_queryset below.
        kwargs["queryset"] = model._default_manager.none()
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.selector(user=self.context["request"].user)


# --- protected persons (docs/domain.md, "Protected persons") -------------------------------

# Where the API withholds a protected person's name, it also withholds everything that would
# lead back to the person or their address: the unit and its address, and the person id (the
# person resource carries the birth date). The API's callers are other systems, i.e. private
# parties as far as CPR's rule is concerned (seed 000: "må ikke videregives til andre private").
LEASE_WITHHELD = {"unit": None, "unit_address": ""}


def party_output(person) -> dict:
    """A lease party as it may leave the organisation: a protected person without name or id."""
    if person.protected:
        return {"id": None, "name": person.public_name, "protected": True}
    return {"id": person.pk, "name": person.name, "protected": False}


def withhold_protected(data: dict, *, protected: bool, withheld: dict) -> dict:
    """`data` with the `withheld` keys replaced when a protected person is in it."""
    if protected:
        data.update({key: value for key, value in withheld.items() if key in data})
    return data


class ProtectedLeaseOutput:
    """Mixin for lease serializers: a lease with a protected party comes out without its unit
    and address, and its protected parties without id (see `party_output`)."""

    def to_representation(self, instance):
        data = super().to_representation(instance)  # type: ignore[misc]
        parties = list(instance.parties.all())
        if "parties" in data:
            data["parties"] = [party_output(p) for p in parties]
        return withhold_protected(
            data, protected=any(p.protected for p in parties), withheld=LEASE_WITHHELD
        )


class StrictDecimalField(serializers.DecimalField):
    """A DecimalField whose OpenAPI schema states what it accepts (core.filters.
    decimal_pattern: digits, decimals, sign, non-zero) instead of drf-spectacular's pattern,
    which also matches "", "-" and "." and negatives the field refuses."""


class StrictDecimalFieldExtension(OpenApiSerializerFieldExtension):
    target_class = StrictDecimalField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = {"type": "string", "format": "decimal"}
        if field.max_digits is not None and field.decimal_places is not None:
            schema["pattern"] = decimal_pattern(
                max_digits=field.max_digits,
                decimal_places=field.decimal_places,
                min_value=field.min_value,
            )
        return schema


# core.validators.validate_plausible_date's range (1900-2199) stated in the schema: JSON Schema
# has no date bounds, so a pattern on the year.
PLAUSIBLE_DATE_SCHEMA = {"type": "string", "format": "date", "pattern": r"^(?:19|2[01])\d\d-"}


@extend_schema_field(PLAUSIBLE_DATE_SCHEMA)
class PlausibleDateField(serializers.DateField):
    """A date from 1900 to 2199 (core.validators.validate_plausible_date), as the schema says."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [validate_plausible_date])
        super().__init__(**kwargs)
