"""Detail pages of the portfolio: property, entrance (stairwell), unit."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from core.pagination import page_of

from .. import selectors
from ..choices import LeaseStatus
from ..history import history_entries
from ..scope import scoped


@login_required
def property_detail(request, pk):
    prop = get_object_or_404(scoped(request, selectors.property_list), pk=pk)
    entrances = (
        scoped(request, selectors.entrance_list)
        .filter(building__property=prop)
        .order_by("street_name", "house_number", "pk")
    )
    return render(
        request,
        "tenancy/property_detail.html",
        {
            "object": prop,
            "entrances": page_of(request, entrances),
            "history": history_entries(prop),
        },
    )


@login_required
def entrance_detail(request, pk):
    entrance = get_object_or_404(scoped(request, selectors.entrance_list), pk=pk)
    units = list(
        scoped(request, selectors.unit_list).filter(entrance=entrance).order_by("search_text")[:500]
    )
    # The tenants of each unit's active lease (the stairwell at a glance).
    tenants: dict[int, list[str]] = {}
    active = (
        scoped(request, selectors.lease_list)
        .filter(unit__entrance=entrance, status=LeaseStatus.ACTIVE)
        .prefetch_related("parties")
    )
    for lease in active:
        tenants.setdefault(lease.unit_id, []).extend(p.public_name for p in lease.parties.all())
    for unit in units:
        unit.tenant_names = ", ".join(tenants.get(unit.pk, []))
    return render(
        request,
        "tenancy/entrance_detail.html",
        {
            "object": entrance,
            "units": units,
            "history": history_entries(entrance),
            # One CPR search per stairwell: the price is shown before the caseworker pays.
            "cpr_price": settings.CPR_SEARCH_PRICE,
        },
    )


@login_required
def unit_detail(request, pk):
    unit = get_object_or_404(
        scoped(request, selectors.unit_list).select_related(
            "entrance__building__property", "letting_reference__entrance"
        ),
        pk=pk,
    )
    leases = scoped(request, selectors.lease_list).filter(unit=unit).order_by("-start_date")
    return render(
        request,
        "tenancy/unit_detail.html",
        {
            "object": unit,
            "leases": leases,
            "has_active_lease": any(lease.status == LeaseStatus.ACTIVE for lease in leases),
            "cpr_price": settings.CPR_SEARCH_PRICE,
            "history": history_entries(unit),
        },
    )
