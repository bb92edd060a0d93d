"""The five lists (properties, entrances, units, people, leases): filters, sorting, paging.

The Excel export reads the same sort whitelist (`LISTS`, `ordering`) so a downloaded file
has its rows in the order the caseworker saw them.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from core.crypto import search_hash
from core.pagination import PAGE_SIZE, ListPaginator

from .. import selectors
from ..filters import (
    EntranceFilter,
    LeaseFilter,
    PersonFilter,
    PropertyFilter,
    UnitFilter,
    full_cpr,
)
from ..scope import scoped


@dataclass(frozen=True)
class ListConfig:
    """What differs between the five lists."""

    kind: str  # the export kind as well
    title: object
    selector: object
    filterset: type
    sorts: dict  # whitelisted sort key -> model fields
    default_sort: str
    template: str
    post_filters: bool = False  # the filter form posts (the people list: CPR numbers)


LISTS = {
    "properties": ListConfig(
        "properties",
        gettext_lazy("Ejendomme"),
        selectors.property_list,
        PropertyFilter,
        {
            "navn": ("name",),
            "afdeling": ("department__number",),
            "kommune": ("municipality_code",),
            "bfe": ("bfe_number",),
        },
        "navn",
        "tenancy/property_list.html",
    ),
    "entrances": ListConfig(
        "entrances",
        gettext_lazy("Opgange"),
        selectors.entrance_list,
        EntranceFilter,
        {
            "adresse": ("street_name", "house_number"),
            "postnummer": ("postcode",),
            "ejendom": ("building__property__name",),
        },
        "adresse",
        "tenancy/entrance_list.html",
    ),
    "units": ListConfig(
        "units",
        gettext_lazy("Enheder"),
        selectors.unit_list,
        UnitFilter,
        {
            "adresse": ("search_text",),
            "postnummer": ("entrance__postcode",),
            "vaerelser": ("rooms",),
            "areal": ("area_m2",),
            "udlejning": ("letting_code",),
        },
        "adresse",
        "tenancy/unit_list.html",
    ),
    "people": ListConfig(
        "people",
        gettext_lazy("Personer"),
        selectors.person_list,
        PersonFilter,
        {"navn": ("name",), "foedselsdato": ("birth_date",)},
        "navn",
        "tenancy/person_list.html",
        post_filters=True,
    ),
    "leases": ListConfig(
        "leases",
        pgettext_lazy("flertal", "Lejemål"),
        selectors.lease_list,
        LeaseFilter,
        {
            "nummer": ("number",),
            "start": ("start_date",),
            "slut": ("end_date",),
            "status": ("status",),
            "husleje": ("rent",),
        },
        # Lease number (indexed, unique) by default: sorting 600,000 leases by an
        # unindexed start date costs ~1 s. The other columns sort on request.
        "nummer",
        "tenancy/lease_list.html",
    ),
}


def ordering(config: ListConfig, requested: str) -> tuple[str, list[str]]:
    """The sort key actually used (a key not in the whitelist falls back to the default)
    and the order_by fields, with the primary key last so pages never overlap."""
    key = requested.lstrip("-")
    if key not in config.sorts:
        requested, key = config.default_sort, config.default_sort.lstrip("-")
    desc = requested.startswith("-")
    fields = [f"-{f}" if desc else f for f in config.sorts[key]]
    return requested, [*fields, "-pk" if desc else "pk"]


# Filters by id that links from detail pages set (a property's units, a person's leases):
# carried as hidden inputs, not typed by hand.
LINK_FILTERS = {"department", "property", "entrance", "unit", "person", "cpr_ref"}


def _link_scope(request, filterset) -> str:
    """A readable note for an id filter set by a link, e.g. 'Ejendom: Strandparken'."""
    if not filterset.is_bound or not filterset.is_valid():
        return ""
    data = filterset.form.cleaned_data
    lookups = {
        "property": (selectors.property_list, _("Ejendom")),
        "entrance": (selectors.entrance_list, _("Opgang")),
        "unit": (selectors.unit_list, _("Enhed")),
        "person": (selectors.person_list, _("Person")),
    }
    notes = []
    for name, (selector, label) in lookups.items():
        if data.get(name):
            obj = scoped(request, selector).filter(pk=data[name]).first()
            if obj is not None:
                notes.append(f"{label}: {obj}")
    if data.get("cpr_ref"):
        person = (
            scoped(request, selectors.person_list).filter(cpr_hash=data["cpr_ref"].lower()).first()
        )
        notes.append(_("CPR-nummer: %s") % (person.cpr_masked if person else "–"))
    return " · ".join(notes)


def _cpr_out_of_url(request, config: ListConfig):
    """The people list's filter form posts; its values come back as a GET URL with a whole
    CPR number replaced by its keyed hash (`cpr_ref`), so the number never stands in a URL:
    not in access logs, browser history or Referer headers. A GET with a CPR number in `q`
    (a typed or old URL) is sent on the same way. None when there is nothing to move."""
    if not config.post_filters:
        return None
    source = request.POST if request.method == "POST" else request.GET
    digits = full_cpr(source.get("q"))
    if request.method != "POST" and not digits:
        return None
    params = QueryDict(mutable=True)
    for key, values in source.lists():
        if key in {"csrfmiddlewaretoken", "page"}:
            continue
        # Empty fields and the yes/no filters' "no filter" choice say nothing.
        kept = [v for v in values if v.strip() and v != "unknown"]
        if kept:
            params.setlist(key, kept)
    if params.get("q"):
        params.pop("cpr_ref", None)  # a new search replaces the CPR number searched before
    if digits:
        params.pop("q")
        params["cpr_ref"] = search_hash(digits)
    query = params.urlencode()
    return redirect(f"{request.path}?{query}" if query else request.path, permanent=False)


def _list(request, config: ListConfig):
    moved = _cpr_out_of_url(request, config)
    if moved is not None:
        return moved
    queryset = scoped(request, config.selector)
    filterset = config.filterset(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    if filterset.is_bound and not filterset.is_valid():
        rows = queryset.none()
    sort, order_by = ordering(config, request.GET.get("sort", ""))
    paginator = ListPaginator(rows.order_by(*order_by), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    try:  # the Excel export view (tenancy.export_urls) may not be wired yet
        export_url = reverse("tenancy:export", args=[config.kind])
    except NoReverseMatch:
        export_url = ""
    return render(
        request,
        config.template,
        {
            "title": config.title,
            "kind": config.kind,
            "filter": filterset,
            "form": filterset.form,
            "page": page,
            "rows": page.object_list,
            "sort": sort,
            "export_url": export_url,
            "link_filters": LINK_FILTERS,
            "link_scope": _link_scope(request, filterset),
            "filtered": bool(request.GET.dict().keys() - {"sort", "page"}),
            "post_filters": config.post_filters,
        },
    )


@login_required
def property_list(request):
    return _list(request, LISTS["properties"])


@login_required
def entrance_list(request):
    return _list(request, LISTS["entrances"])


@login_required
def unit_list(request):
    return _list(request, LISTS["units"])


@login_required
@require_http_methods(["GET", "POST"])
def person_list(request):
    return _list(request, LISTS["people"])


@login_required
def lease_list(request):
    return _list(request, LISTS["leases"])
