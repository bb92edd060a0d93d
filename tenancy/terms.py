"""The lease terms: what a lease says besides its unit, tenants, start date and rent.

They are what a running lease may change (a new tenant or start date is end + new lease,
the rent changes from a date). Declared once here, in the order every screen shows them:
the caseworker forms, the admin, the API, the services' accepted keywords, the Excel export
and the rent-register payload all take the terms from this tuple.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class LeaseTerm:
    name: str  # the Lease model field
    # The rent register holds it. The acontos are not filed: the register records who is
    # paid for each utility, not the amounts.
    filed: bool = True


TERMS: tuple[LeaseTerm, ...] = (
    LeaseTerm("holder_type"),
    LeaseTerm("special_payments"),
    LeaseTerm("heating_aconto", filed=False),
    LeaseTerm("water_aconto", filed=False),
    LeaseTerm("electricity"),
    LeaseTerm("water"),
    LeaseTerm("drainage"),
    LeaseTerm("heating"),
    LeaseTerm("heating_form"),
    LeaseTerm("tenant_maintains"),
    LeaseTerm("private_kitchen"),
    LeaseTerm("garage_carport"),
    LeaseTerm("accessible"),
    LeaseTerm("student_room"),
)

# The field names, in order.
LEASE_TERMS: tuple[str, ...] = tuple(term.name for term in TERMS)
# The terms the rent register holds (rentregister.payload files them).
FILED_TERMS: tuple[str, ...] = tuple(term.name for term in TERMS if term.filed)
