"""Shared builders for the letting tests (issue 14)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.factories import make_cpr
from waitlist.models import Applicant, Application, UnitListing


def applicant_on_list(
    cooperation,
    *,
    seniority: date,
    name: str = "Ansøger",
    list_type: str = "family",
    status: str = "active",
    channel: str = "e_offer",
    email: str = "a@example.dk",
    children: int = 0,
    spouse: str = "",
    **wishes,
) -> Application:
    """An applicant with one application on the list (built directly: the sign-up and fee
    rules are tested elsewhere)."""
    applicant = Applicant(
        cooperation=cooperation,
        name=name,
        address="Nygade 1",
        postal_code="7400",
        city="Herning",
        email=email if channel == "e_offer" else "",
        channel=channel,
        children_under_23=children,
        spouse_name=spouse,
    )
    applicant.set_cpr(make_cpr(date(1990, 3, 4)))
    applicant.save()
    return Application.objects.create(
        applicant=applicant,
        list_type=list_type,
        status=status,
        seniority_date=seniority,
        paid_until=date(2030, 1, 1),
        **wishes,
    )


def list_unit(unit, *, municipal: bool = False) -> None:
    UnitListing.objects.update_or_create(
        unit=unit,
        defaults={"let_through_joint_list": not municipal, "municipality_allocated": municipal},
    )


RENT = Decimal("6500.00")
